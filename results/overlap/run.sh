#!/bin/sh
# Issue 8, prediction side: ccbench overlap on 2 local ranks, ccsim predict overlap of the same configuration
# (three levels of inputs taken from the measurement), and ccsim compare of each. Run from the repository root
# after `ninja -C build-sim bench/ccbench sim/ccsim`. Usage: results/overlap/run.sh [BUILD_DIR] [NAME] [ccbench flags]
# LAUNCH (default "mpiexec -n 2") and CLUSTER (default sim/clusters/local-2ranks.json) may be set in the
# environment: results/overlap/run_cluster.sh sets them for an emulated cluster.
set -eu
B=${1:-build-sim}
NAME=${2:-resnet50_2ranks}
shift 2 2>/dev/null || true
FLAGS=${*:---layers resnet50 --compute-us 40000}
OUT=results/overlap
M=$OUT/measured_$NAME.json
CLUSTER=${CLUSTER:-sim/clusters/local-2ranks.json}
LAUNCH=${LAUNCH:-mpiexec -n 2}
if [ ! -f "$M" ]; then
  uptime > "$OUT/load_$NAME.txt"
  # shellcheck disable=SC2086
  $LAUNCH "$B/bench/ccbench" overlap $FLAGS -n 20 -w 3 -J "$M" | tee "$OUT/measured_$NAME.txt"
  uptime >> "$OUT/load_$NAME.txt"
fi
# shellcheck disable=SC2086
"$B/sim/ccsim" predict overlap --cluster $CLUSTER $FLAGS -q -J "$OUT/pred_${NAME}_closed_form.json"
# shellcheck disable=SC2086
"$B/sim/ccsim" predict overlap --cluster $CLUSTER $FLAGS --slowdown-from "$M" -q -J "$OUT/pred_${NAME}_slowdown.json"
# shellcheck disable=SC2086
"$B/sim/ccsim" predict overlap --cluster $CLUSTER $FLAGS --slowdown-from "$M" --compute-from "$M" --comm-from "$M" \
  -q -J "$OUT/pred_${NAME}_measured_inputs.json"
for level in closed_form slowdown measured_inputs; do
  "$B/sim/ccsim" compare -m "$M" -p "$OUT/pred_${NAME}_$level.json" -o "$OUT/compare_${NAME}_$level.json" \
    > "$OUT/compare_${NAME}_$level.txt"
done
