#!/bin/sh
# Issue 8 on the emulated cluster: two hosts (scripts/cluster, one rank each, tbf-shaped links at RATE), the
# cluster file generated from the testbed, then results/overlap/run.sh (measure, predict at three levels,
# compare). Root only. Usage: results/overlap/run_cluster.sh [BUILD_DIR] [NAME] [RATE] [ccbench flags]
set -eu
B=${1:-build}
NAME=${2:-resnet50_scale005_2hosts}
RATE=${3:-200mbit}
[ $# -ge 3 ] && shift 3 || shift $#
FLAGS=${*:---layers resnet50 --scale 0.05 --compute-us 200000}
cluster=$(scripts/cluster up --hosts 2 --rate "$RATE")
trap 'scripts/cluster down -c "$cluster" > /dev/null' EXIT INT TERM HUP
scripts/cluster validate-links -c "$cluster" > "results/overlap/links_$NAME.txt"
scripts/cluster gen-cluster-file -c "$cluster" -o "results/overlap/cluster_$NAME.json"
# shellcheck disable=SC2086
LAUNCH="scripts/cluster mpiexec -c $cluster --" CLUSTER="results/overlap/cluster_$NAME.json" \
  results/overlap/run.sh "$B" "$NAME" $FLAGS
