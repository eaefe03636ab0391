#!/usr/bin/env python3
"""Checks the output of scripts/validate: for every K, the comparison has every (collective, algorithm, size)
that was measured, each with positive times, a consistent and bounded relative error, and results that were
checked correct; the calibrated comparison has the odd-indexed sizes; the summary lists every cluster.

  check_validation.py OUT_DIR --ranks 2,3 --sizes 65536,262144,1048576
Exit 0 when everything holds, 1 with one line per problem otherwise.
"""

import argparse
import json
import math
import os
import sys

# Sane, not accurate: a loaded 2-core machine can make small sizes many times slower than the wire allows,
# so this bounds predicted/measured to [1/50, 21] and leaves accuracy to the summary's targets.
MIN_REL_ERROR, MAX_REL_ERROR = -0.98, 20.0


def load(path, problems):
    try:
        with open(path, encoding="utf-8") as src:
            return json.load(src)
    except (OSError, ValueError) as error:
        problems.append(f"{path}: {error}")
        return None


def check_points(path, records, want, problems):
    """want: set of (collective, algo, bytes) that must each appear exactly once."""
    seen = {}
    for r in records:
        key = (r["collective"], r["algo"], r["bytes"])
        seen[key] = seen.get(key, 0) + 1
        m, p, e = r["measured_us"], r["predicted_us"], r["rel_error"]
        if not (m > 0 and p > 0 and math.isfinite(m) and math.isfinite(p)):
            problems.append(f"{path}: {key}: non-positive time (measured {m}, predicted {p})")
        elif abs(e - (p - m) / m) > 1e-6 * max(1.0, abs(e)):
            problems.append(f"{path}: {key}: rel_error {e} is not (predicted - measured) / measured")
        elif not MIN_REL_ERROR < e < MAX_REL_ERROR:
            problems.append(f"{path}: {key}: rel_error {e:+.3f} outside ({MIN_REL_ERROR}, {MAX_REL_ERROR})")
    for key in sorted(want - seen.keys()):
        problems.append(f"{path}: point {key} missing")
    for key in sorted(seen.keys() - want):
        problems.append(f"{path}: unexpected point {key}")
    for key, count in seen.items():
        if count > 1:
            problems.append(f"{path}: point {key} appears {count} times")


def check_cluster(out_dir, ranks, sizes, algos, with_ps, problems):
    tag_dir = os.path.join(out_dir, f"k{ranks}")
    measured = load(os.path.join(tag_dir, "measured_allreduce.json"), problems)
    if measured:
        wrong = [r for r in measured["records"] if r["nwrong"] != 0]
        if wrong:
            problems.append(f"k{ranks}: {len(wrong)} measured all-reduce record(s) with wrong elements")
    want = {("allreduce", a, s) for a in algos for s in sizes}
    if with_ps:
        want |= {("ps", "ps_sync", s) for s in sizes}
    comparison = load(os.path.join(tag_dir, "comparison.json"), problems)
    if comparison:
        if any(r["ranks"] != ranks for r in comparison["records"]):
            problems.append(f"k{ranks}: comparison has records of another rank count")
        check_points(f"k{ranks}/comparison.json", comparison["records"], want, problems)
        if comparison["summary"]["points"] != len(want):
            problems.append(f"k{ranks}: summary counts {comparison['summary']['points']} points, want {len(want)}")
    # scripts/validate fits each algorithm on its own only with at least three even-indexed sizes.
    names = ["comparison_calibrated.json"] + (["comparison_calibrated_per_algo.json"] if len(sizes[0::2]) >= 3 else [])
    for name in names:
        calibrated = load(os.path.join(tag_dir, name), problems)
        if calibrated:
            check_points(f"k{ranks}/{name}", calibrated["records"],
                         {("allreduce", a, s) for a in algos for s in sizes[1::2]}, problems)


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--ranks", required=True)
    parser.add_argument("--sizes", required=True)
    args = parser.parse_args(argv)
    ranks = [int(k) for k in args.ranks.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    problems = []
    summary = load(os.path.join(args.out_dir, "summary.json"), problems)
    if summary:
        if [row["ranks"] for row in summary["clusters"]] != ranks:
            problems.append(f"summary lists K = {[row['ranks'] for row in summary['clusters']]}, want {ranks}")
        if summary["sizes"] != sizes:
            problems.append(f"summary sizes {summary['sizes']}, want {sizes}")
        for k in ranks:
            check_cluster(args.out_dir, k, sizes, summary["algos"], summary["ps"], problems)
    if not os.path.getsize(os.path.join(args.out_dir, "commands.txt")):
        problems.append("commands.txt is empty")
    for line in problems:
        print("FAIL: " + line)
    if not problems:
        print(f"ok: K = {args.ranks}, {len(sizes)} sizes, every point present and sane")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
