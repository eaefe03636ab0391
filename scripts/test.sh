#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite; then builds a second configuration with
# AddressSanitizer + UndefinedBehaviorSanitizer (build-asan) and runs the 'unit' and 'loopback' suites in it.
#
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh build
meson test -C build --print-errorlogs

bash scripts/setup.sh build-asan -Db_sanitize=address,undefined -Dbuildtype=debugoptimized
# halt_on_error: the first report fails the test instead of scrolling by. Leak checking stays on: these
# suites never initialise MPI, and MPICH's library merely being linked in leaks nothing.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
meson test -C build-asan --print-errorlogs --suite unit --suite loopback
