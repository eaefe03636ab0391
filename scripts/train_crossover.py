#!/usr/bin/env python3
"""Time to the target loss, measured vs predicted, over the straggler sweep of scripts/train_experiment.

The simulator predicts step time (ccsim predict train), not how many steps a strategy needs, so the predicted
time to target of a strategy at a straggler factor is its measured median steps to target x the predicted step
time. The crossover is the smallest factor of the sweep at which the best relaxed strategy (async, ssp, backup)
reaches the target at least MARGIN faster than the best synchronous one (ring, PS): the repeats' ranges on this
machine are 5-10% wide, so a smaller lead is a tie.

Usage: train_crossover.py --measured train_experiment.json --predicted pred_f1.json [pred_f1.5.json ...]
Prints a Markdown table and the crossover line; exits 2 with one line on unreadable input."""
import argparse
import json
import statistics
import sys

SYNC = ("sync_ring", "sync_ps")
RELAXED = ("async_ps", "ssp_ps", "backup_ps")
MARGIN = 0.05


def factor_of(record):
    straggler = record.get("straggler")
    return float(straggler["factor"]) if straggler else 1.0


def load_records(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)["records"]
    except (OSError, ValueError, KeyError) as e:
        print(f"train_crossover: {path}: {e}", file=sys.stderr)
        sys.exit(2)


def measured_medians(records):
    """(algo, factor) -> (median seconds to target, median steps to target) over the repeats of the main
    setting (lr 4, K = 3); runs that never reached the target are left out."""
    groups = {}
    for r in records:
        if r.get("lr") != 4 or r.get("ranks") != 3 or r.get("time_to_target_s") is None:
            continue
        groups.setdefault((r["algo"], factor_of(r)), []).append(r)
    return {key: (statistics.median(r["time_to_target_s"] for r in rs),
                  statistics.median(r["steps_to_target"] for r in rs)) for key, rs in groups.items()}


def predicted_steps(paths):
    """(algo, factor) -> predicted step time in seconds."""
    steps = {}
    for path in paths:
        for r in load_records(path):
            steps[(r["algo"], factor_of(r))] = r["time"]["median"] / 1e6
    return steps


def crossover(times, factors):
    for factor in factors:
        best_sync = min((times[(a, factor)] for a in SYNC if (a, factor) in times), default=None)
        best_relaxed = min((times[(a, factor)] for a in RELAXED if (a, factor) in times), default=None)
        if best_sync is not None and best_relaxed is not None and best_relaxed < (1 - MARGIN) * best_sync:
            return factor
    return None


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measured", required=True)
    parser.add_argument("--predicted", required=True, nargs="+")
    args = parser.parse_args(argv)
    measured = measured_medians(load_records(args.measured))
    step = predicted_steps(args.predicted)
    factors = sorted({f for _, f in measured})
    predicted = {key: steps * step[key] for key, (_, steps) in measured.items() if key in step}
    print("| strategy | straggler factor | steps to target (measured) | time to target measured (s) "
          "| predicted (s) | error |")
    print("|---|---:|---:|---:|---:|---:|")
    for algo in SYNC + RELAXED:
        for factor in factors:
            if (algo, factor) not in predicted:
                continue
            seconds, steps = measured[(algo, factor)]
            guess = predicted[(algo, factor)]
            print(f"| {algo} | {factor:g} | {steps:g} | {seconds:.3f} | {guess:.3f} | "
                  f"{(guess - seconds) / seconds:+.1%} |")
    seen = crossover({k: v[0] for k, v in measured.items()}, factors)
    guessed = crossover(predicted, factors)
    def name(f):
        return "none in the sweep" if f is None else f"factor {f:g}"
    print(f"\nCrossover (first factor where async, ssp or backup beats both sync strategies by more than "
          f"{MARGIN:.0%}): measured "
          f"{name(seen)}, predicted {name(guessed)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
