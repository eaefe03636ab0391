#!/bin/bash
# Runs scripts/validate on K = 2 and 3 with three sizes and checks its output with check_validation.py.
# Exit 77 (skip) when not root or when network namespaces cannot be created. Whatever happens, the run's
# clusters (named val<pid>...) must be gone afterwards: the trap removes leftovers and fails if it had to.
#
#   test_validate.sh scripts/validate path/to/ccbench path/to/ccsim check_validation.py
set -u
validate=${1:?usage: test_validate.sh VALIDATE CCBENCH CCSIM CHECKER}
ccbench=${2:?} ccsim=${3:?} checker=${4:?}
prefix=vt$$x  # cluster names are <prefix><K>: unique per run, so parallel runs never meet
cluster=$(dirname "$validate")/cluster

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root (network namespaces)"
  exit 77
fi
if ! ip netns add "${prefix}probe" 2>/dev/null; then
  echo "SKIP: cannot create network namespaces here"
  exit 77
fi
ip netns del "${prefix}probe"

work=$(mktemp -d)
CCB_CLUSTER_STATE_DIR=$work/state
export CCB_CLUSTER_STATE_DIR

leftovers() {
  local path
  for path in /run/netns/"$prefix"*; do
    [[ -e $path ]] && echo "${path##*/}"
  done
}

# shellcheck disable=SC2317  # reached through the trap
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  local left
  left=$(leftovers)
  if [[ -n $left ]]; then
    echo "FAIL: the run left namespaces behind: $(echo "$left" | tr '\n' ' ')"
    for k in 2 3; do "$cluster" down -c "$prefix$k" >/dev/null 2>&1; done
    status=1
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$validate" --ranks 2,3 --rate 200mbit -b 64K -e 1M -f 4 -n 2 -w 1 --ccbench "$ccbench" --ccsim "$ccsim" \
  --out-dir "$work/out" --name-prefix "$prefix" --no-plot -q
status=$?
if [[ $status -eq 77 ]]; then
  echo "SKIP: scripts/validate says this machine cannot host a cluster"
  exit 77
fi
[[ $status -eq 0 ]] || { echo "FAIL: scripts/validate exited $status"; exit 1; }
python3 "$checker" "$work/out" --ranks 2,3 --sizes 65536,262144,1048576
