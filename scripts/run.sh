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

# The same sweep predicted from the cluster description of 2 local ranks on this kind of machine.
step_predict() {
  build/sim/ccsim predict allreduce --cluster sim/clusters/local-2ranks.json --algo ring,mpi \
    -b 1K -e 64M -f 2 -J results/allreduce_2ranks_cpu.predicted.json -q
}

# Model vs measurement, point by point (table on stdout, JSON next to the inputs).
step_compare() {
  build/sim/ccsim compare -m results/allreduce_2ranks_cpu.json -p results/allreduce_2ranks_cpu.predicted.json \
    -o results/allreduce_2ranks_cpu.compare.json
}

# Bus bandwidth, time and prediction-error plots of this run (PNG + SVG next to the JSON).
step_plot() {
  python3 scripts/plot.py results/allreduce_2ranks_cpu.json results/allreduce_2ranks_cpu.predicted.json \
    results/allreduce_2ranks_cpu.compare.json -o results
}

steps=(measure compare_algos predict compare plot)
for step in "${steps[@]}"; do
  echo "== run.sh: $step"
  "step_$step"
done
