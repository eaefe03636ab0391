#!/usr/bin/env bash
# Installs what is missing, then configures and builds one build folder. Shared by run.sh and test.sh.
#
#   bash scripts/setup.sh [BUILD_DIR [MESON_OPTION...]]     e.g. bash scripts/setup.sh build-asan -Db_sanitize=address,undefined
#
# Safe to run again: packages already installed are left alone (and apt-get update runs only when one is
# missing); an existing build folder is reconfigured in place (new options applied, dependencies looked up
# again) and ninja rebuilds only what changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir=${1:-build}
shift || true

# Debian packages the build, the tests and mpiexec need.
packages=(g++ git meson ninja-build pkg-config mpich libmpich-dev nlohmann-json3-dev libcli11-dev
          libbenchmark-dev libgtest-dev python3)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

install_missing_packages() {
  local missing=()
  for package in "${packages[@]}"; do
    is_installed "$package" || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return
  fi
  echo "setup: installing ${missing[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# matplotlib is only for scripts/plot.py. pip serves the python3 on PATH (a pyenv one here); a Debian system
# python refuses pip installs (PEP 668), so that case falls back to the Debian package.
install_matplotlib() {
  if python3 -c 'import matplotlib' 2>/dev/null; then
    return
  fi
  echo "setup: installing matplotlib for $(command -v python3)"
  if ! python3 -m pip install --quiet matplotlib; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-matplotlib
  fi
}

configure_and_build() {
  if [ -f "$build_dir/meson-private/coredata.dat" ]; then
    meson setup --reconfigure "$build_dir" "$@"
  else
    meson setup "$build_dir" "$@"
  fi
  ninja -C "$build_dir" -j "$(nproc)"
}

install_missing_packages
install_matplotlib
configure_and_build "$@"
