#!/usr/bin/env python3
"""Summarises and plots `ccbench train` runs (scripts/train_experiment).

    scripts/plot_train.py --runs DIR --out DIR

Reads every DIR/*.json (schema 1, collective "train", one record per file, named STRATEGY_fFACTOR_rREPEAT),
and writes OUT/train_experiment.json (all records in one schema-1 document, each with "repeat"),
OUT/summary.md (median time to the target loss per strategy and straggler factor, and the crossover), and
plots: loss against wall time for factors 1 and 3, loss against worker-0 steps, and time to target against
the straggler factor. Needs matplotlib (headless).
"""

import argparse
import glob
import json
import os
import re
import statistics
import sys

SYNC = ("sync_ring", "sync_ps")
RELAXED = ("async_ps", "ssp_ps", "backup_ps")
ORDER = ("single", "sync_ring", "sync_ps", "async_ps", "ssp_ps", "backup_ps", "hogwild")


def load_runs(runs_dir):
    runs = []
    for path in sorted(glob.glob(os.path.join(runs_dir, "*.json"))):
        with open(path) as f:
            doc = json.load(f)
        if doc.get("schema") != 1 or not doc.get("records"):
            print(f"plot_train: skipping {path}: no schema-1 record", file=sys.stderr)
            continue
        match = re.search(r"_r(\d+)\.json$", path)
        record = doc["records"][0]
        straggler = record.get("straggler")
        runs.append({
            "path": path,
            "context": doc["context"],
            "record": record,
            "strategy": record["algo"],
            "factor": float(straggler["factor"]) if straggler else 1.0,
            "lr": float(record["lr"]),
            "K": int(record["ranks"]),
            "repeat": int(match.group(1)) if match else 1,
        })
    return runs


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def summarise(runs):
    """{(strategy, factor): {...medians...}}"""
    groups = {}
    for run in runs:
        # Side cases (another lr, another K) are told apart by the pair (lr, K), folded into one "lr" key.
        groups.setdefault((run["strategy"], run["factor"], (run["lr"], run["K"])), []).append(run["record"])
    table = {}
    for key, records in groups.items():
        times = [r.get("time_to_target_s") for r in records]
        table[key] = {
            "n": len(records),
            "reached": sum(t is not None for t in times),
            "time_to_target_s": median_or_none(times),
            "min": min((t for t in times if t is not None), default=None),
            "max": max((t for t in times if t is not None), default=None),
            "steps_to_target": median_or_none([r.get("steps_to_target") for r in records]),
            "step_ms": statistics.median(r["time"]["median"] / 1e3 for r in records),
            "compute_ms": statistics.median(r["compute_us_median"] / 1e3 for r in records),
            "comm_ms": statistics.median(r["comm_us_median"] / 1e3 for r in records),
            "updates_per_s": statistics.median(r["updates_per_s"] for r in records),
            "final_loss": median_or_none([r.get("final_loss") for r in records]),
            "max_staleness": max((max(map(int, r["staleness"])) if r["staleness"] else 0) for r in records),
            "dropped": statistics.median(r.get("dropped_pushes", 0) for r in records),
        }
    return table


def best(table, strategies, factor, lr):
    candidates = [(table[(s, factor, lr)]["time_to_target_s"], s) for s in strategies
                  if (s, factor, lr) in table and table[(s, factor, lr)]["time_to_target_s"] is not None]
    return min(candidates) if candidates else (None, None)


def verdict(table, factor, lr):
    """'sync', 'relaxed' or 'tie': a side wins only when its best strategy's range over the repeats lies
    entirely below the other side's best (overlapping ranges are within the noise of this machine)."""
    sync_t, sync_s = best(table, SYNC, factor, lr)
    relaxed_t, relaxed_s = best(table, RELAXED, factor, lr)
    if sync_t is None or relaxed_t is None:
        return ("relaxed" if sync_t is None else "sync"), sync_t, sync_s, relaxed_t, relaxed_s
    sync_row, relaxed_row = table[(sync_s, factor, lr)], table[(relaxed_s, factor, lr)]
    if sync_row["max"] < relaxed_row["min"]:
        return "sync", sync_t, sync_s, relaxed_t, relaxed_s
    if relaxed_row["max"] < sync_row["min"]:
        return "relaxed", sync_t, sync_s, relaxed_t, relaxed_s
    return "tie", sync_t, sync_s, relaxed_t, relaxed_s


def main_lr(runs):
    """The (learning rate, K) most runs used (the sweep's); others are side cases."""
    counts = {}
    for run in runs:
        counts[(run["lr"], run["K"])] = counts.get((run["lr"], run["K"]), 0) + 1
    return max(counts, key=counts.get)


def setting(key):
    lr, workers = key
    return f"lr {lr:g}, K {workers}"


def write_summary(table, runs, out):
    lr_main = main_lr(runs)
    factors = sorted({f for (_, f, lr) in table if lr == lr_main})
    lrs = sorted({lr for (_, _, lr) in table})
    first = runs[0]["record"]
    ctx = runs[0]["context"]
    lines = [
        "# `ccbench train`: sync vs async (generated by scripts/train_experiment)",
        "",
        f"Host: {', '.join(ctx.get('hosts', []))}, {ctx.get('cores_per_host', '?')} cores; "
        f"oversubscribed: {any(r['context'].get('oversubscribed') for r in runs)} "
        "(K = 3 workers, plus the PS server rank, on 2 cores).",
        f"Task: {first.get('classifier', first.get('model'))} on {first['dataset']} data, batch {first['batch']}, {setting(lr_main)} "
        f"(equal workers also at {'; '.join(setting(lr) for lr in lrs if lr != lr_main) or 'no other setting'}), "
        f"target loss {first['target_loss']}, compute {first['compute']['spec']} per worker step, "
        f"{len(runs)} runs ({max(r['repeat'] for r in runs)} repeats); medians over repeats.",
        "",
        "| strategy | setting | straggler factor | time to target (s) | range (s) | reached | steps to target | "
        "step (ms) | compute (ms) | comm (ms) | updates/s | max staleness | final loss |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lr, factor in [(lr, f) for lr in [lr_main] + [x for x in lrs if x != lr_main] for f in factors]:
        for strategy in ORDER:
            row = table.get((strategy, factor, lr))
            if not row:
                continue
            lines.append(
                f"| {strategy} | {setting(lr)} | {factor:g} | {fmt(row['time_to_target_s'])} | "
                f"{fmt(row['min'])}-{fmt(row['max'])} | {row['reached']}/{row['n']} | "
                f"{fmt(row['steps_to_target'], 0)} | {row['step_ms']:.1f} | {row['compute_ms']:.1f} | "
                f"{row['comm_ms']:.2f} | {row['updates_per_s']:.0f} | {row['max_staleness']} | "
                f"{fmt(row['final_loss'], 4)} |")
    lines += ["", f"Fastest to the target per straggler factor at {setting(lr_main)} (sync = sync_ring/sync_ps; "
              "relaxed = async_ps/ssp_ps/backup_ps; hogwild shares memory in one process and is left out):", ""]
    crossover = None
    def describe(winner):
        return "a tie (ranges overlap)" if winner == "tie" else f"{winner} wins"

    for factor in factors:
        winner, sync_t, sync_s, relaxed_t, relaxed_s = verdict(table, factor, lr_main)
        if winner == "relaxed" and crossover is None:
            crossover = factor
        lines.append(f"- factor {factor:g}: best sync {sync_s} {fmt(sync_t)} s, best relaxed {relaxed_s} "
                     f"{fmt(relaxed_t)} s -> {describe(winner)}")
    lines += ["", f"Crossover: relaxed consistency first wins outright at straggler factor {crossover:g}."
              if crossover else "Crossover: relaxed consistency never won outright."]
    for lr in lrs:
        if lr == lr_main:
            continue
        winner, sync_t, sync_s, relaxed_t, relaxed_s = verdict(table, 1.0, lr)
        lines.append(f"Equal workers at {setting(lr)}: best sync {sync_s} {fmt(sync_t)} s, best relaxed "
                     f"{relaxed_s} {fmt(relaxed_t)} s -> {describe(winner)}.")
    path = os.path.join(out, "summary.md")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return path


def write_document(runs, out):
    context = dict(runs[0]["context"])
    context["command"] = "scripts/train_experiment (each record's own command is in runs/*.json)"
    records = []
    for run in runs:
        record = dict(run["record"])
        record["repeat"] = run["repeat"]
        records.append(record)
    doc = {"schema": 1, "kind": "measured", "context": context,
           "config": {"experiment": "train sync vs async, K = 3, straggler sweep", "runs": len(runs)},
           "records": records}
    path = os.path.join(out, "train_experiment.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, path)
    return path


def plot(runs, table, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot_train: matplotlib missing, no plots", file=sys.stderr)
        return []
    paths = []
    lr_main = main_lr(runs)
    runs = [r for r in runs if (r["lr"], r["K"]) == lr_main]
    table = {(s, f): row for (s, f, lr), row in table.items() if lr == lr_main}
    target = runs[0]["record"]["target_loss"]
    for factor in (1.0, 3.0):
        for axis, key, label in (("time", "time_s", "wall time (s)"), ("steps", "step", "worker 0 steps")):
            fig, ax = plt.subplots(figsize=(7, 4.5))
            for strategy in ORDER:
                chosen = [r for r in runs if r["strategy"] == strategy and r["factor"] == factor and r["repeat"] == 1]
                if strategy == "single" and not chosen:
                    continue
                for run in chosen:
                    curve = [p for p in run["record"]["curve"] if p["loss"] is not None]
                    ax.plot([p[key] for p in curve], [p["loss"] for p in curve], label=strategy)
            if target:
                ax.axhline(target, color="grey", linestyle=":", label=f"target {target}")
            ax.set_xlabel(label)
            ax.set_ylabel("training loss")
            ax.set_ylim(top=1.0)
            ax.set_title(f"loss vs {axis}, straggler factor {factor:g}, {setting(lr_main)} (repeat 1)")
            ax.legend(fontsize=8)
            path = os.path.join(out, f"train_loss_vs_{axis}_f{factor:g}.png")
            fig.tight_layout()
            fig.savefig(path, dpi=110)
            plt.close(fig)
            paths.append(path)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for strategy in ORDER:
        points = sorted((f, row) for (s, f), row in table.items() if s == strategy and row["time_to_target_s"])
        if len(points) < 2:
            continue
        xs = [f for f, _ in points]
        ys = [row["time_to_target_s"] for _, row in points]
        lo = [y - row["min"] for y, (_, row) in zip(ys, points)]
        hi = [row["max"] - y for y, (_, row) in zip(ys, points)]
        ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=3, label=strategy)
    ax.set_xlabel("straggler factor (worker 2's compute time / the others')")
    ax.set_ylabel(f"time to loss {target} (s), median and range")
    ax.set_title(f"time to target vs straggler factor ({setting(lr_main)})")
    ax.legend(fontsize=8)
    path = os.path.join(out, "train_time_to_target.png")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    paths.append(path)
    return paths


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    runs = load_runs(args.runs)
    if not runs:
        print(f"plot_train: no runs in {args.runs}", file=sys.stderr)
        return 2
    table = summarise(runs)
    written = [write_document(runs, args.out), write_summary(table, runs, args.out)] + plot(runs, table, args.out)
    for path in written:
        print(f"plot_train: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
