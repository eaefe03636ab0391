#!/usr/bin/env bash
# The main job: installs what is missing, builds, then runs each step below in order and leaves its
# results in results/. To add a step, write a step_<name> function and append <name> to `steps`.
#
#   bash scripts/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh build
mkdir -p results

# Ring all-reduce and MPI_Allreduce interleaved size by size in one verified sweep on 2 local ranks.
step_measure() {
  mpiexec -n 2 build/bench/ccbench allreduce --algo ring,mpi -b 1K -e 64M -f 2 -n 20 -w 5 -c 1 \
    --json results/allreduce_2ranks_cpu.json
}

# Ring's bus bandwidth relative to MPI_Allreduce's, size by size, from that one file.
step_compare_algos() {
  python3 scripts/compare_algos.py results/allreduce_2ranks_cpu.json --algo ring --baseline mpi
}

steps=(measure compare_algos)
for step in "${steps[@]}"; do
  echo "== run.sh: $step"
  "step_$step"
done
