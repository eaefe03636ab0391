#!/bin/sh
# Issue 7, prediction side, a first check on this 2-core machine: ccbench train (fixed 10 ms compute, equal
# workers and one 3x straggler) against ccsim predict train from sim/clusters/local-2ranks.json.
# PS strategies need K + 1 = 3 ranks on 2 cores (oversubscribed: UCX busy-polls; the model does not know).
# Usage (repository root): results/train_predicted/run.sh [BUILD_DIR]
set -eu
B=${1:-build-sim}
OUT=results/train_predicted
C=sim/clusters/local-2ranks.json
M=""
for st in sync_ring sync_ps async_ps ssp_ps backup_ps hogwild single; do
  for slow in eq strag; do
    case $st in
      sync_ring) launch="mpiexec -n 2"; who=1; extra="" ;;
      hogwild|single) launch=""; who=1; extra="--workers 2" ;;
      *) launch="mpiexec -n 3"; who=2; extra="" ;;  # rank 0 is the server; workers are ranks 1, 2
    esac
    s=""; [ "$slow" = strag ] && s="--straggler $who:3"
    f=$OUT/measured_${st}_$slow.json
    # shellcheck disable=SC2086
    [ -f "$f" ] || $launch "$B/bench/ccbench" train --strategy $st $extra --compute fixed:10 --max-steps 40 $s --json "$f" > /dev/null
    M="$M -m $f"
  done
done
"$B/sim/ccsim" predict train --cluster $C --compute fixed:10 --params 132 --workers 2 -q -J $OUT/pred_eq.json
"$B/sim/ccsim" predict train --cluster $C --compute fixed:10 --params 132 --workers 2 --straggler 1:3 -J $OUT/pred_strag.json > $OUT/pred_strag.txt
# shellcheck disable=SC2086
"$B/sim/ccsim" compare $M -p $OUT/pred_eq.json -p $OUT/pred_strag.json -o $OUT/compare.json > $OUT/compare.txt
cat $OUT/compare.txt
