#!/usr/bin/env python3
"""Per-size bus-bandwidth ratio of two algorithms measured in ONE ccbench run.

    python3 scripts/compare_algos.py results/allreduce_2ranks_cpu.json --algo ring --baseline mpi

Prints a Markdown table (size, both median times and bus bandwidths, ratio = algo / baseline busbw) for each
(dtype, op, placement) in the file, then the smallest and geometric-mean ratio at sizes >= --from, and
whether that smallest ratio meets --goal. Both algorithms must come from the same file: the sweep
interleaves them size by size, so they saw the same machine state.
"""
import argparse
import json
import math
import sys


def parse_bytes(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().rstrip("B").rstrip("I")
    if text and text[-1] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text)


def format_bytes(n):
    for unit, shift in (("G", 30), ("M", 20), ("K", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}iB"
    return f"{n} B"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", help="a measured ccbench document")
    parser.add_argument("--algo", default="ring")
    parser.add_argument("--baseline", default="mpi")
    parser.add_argument("--from", dest="from_bytes", default="1M", help="summary over sizes >= this (default 1M)")
    parser.add_argument("--goal", type=float, default=0.9, help="the smallest ratio wanted at those sizes")
    args = parser.parse_args()

    with open(args.json, encoding="utf-8") as f:
        doc = json.load(f)
    context = doc["context"]
    print(f"{args.json}: {context['ranks']} ranks on {', '.join(context['hosts'])}, {context['mpi_library']}, "
          f"git {context['git_revision']}, {context['date']}")
    print(f"command: {context['command']}")
    if context.get("oversubscribed"):
        print("WARNING: oversubscribed run: timings measure the scheduler")

    points = {}
    for record in doc["records"]:
        group = (record["dtype"], record["op"], record["in_place"])
        points.setdefault(group, {}).setdefault(record["bytes"], {})[record["algo"]] = record
    from_bytes = parse_bytes(args.from_bytes)
    verdicts = []
    for (dtype, op, in_place), sizes in sorted(points.items()):
        print(f"\n{dtype} {op} {'in-place' if in_place else 'out-of-place'}\n")
        print(f"| size | {args.algo} median (us) | {args.baseline} median (us) | {args.algo} busbw (GB/s) "
              f"| {args.baseline} busbw (GB/s) | ratio |")
        print("|---:|---:|---:|---:|---:|---:|")
        large = []
        for size in sorted(sizes):
            both = sizes[size]
            if args.algo not in both or args.baseline not in both:
                continue
            ours, theirs = both[args.algo], both[args.baseline]
            ratio = ours["bus_bw"] / theirs["bus_bw"] if theirs["bus_bw"] > 0 else float("nan")
            if size >= from_bytes:
                large.append(ratio)
            print(f"| {format_bytes(size)} | {ours['time']['median']:.1f} | {theirs['time']['median']:.1f} "
                  f"| {ours['bus_bw']:.3f} | {theirs['bus_bw']:.3f} | {ratio:.2f} |")
        if large:
            smallest = min(large)
            geomean = math.exp(sum(math.log(r) for r in large) / len(large))
            met = smallest >= args.goal
            verdicts.append(met)
            print(f"\nat >= {format_bytes(from_bytes)}: smallest ratio {smallest:.2f}, geometric mean {geomean:.2f} "
                  f"({'meets' if met else 'misses'} the goal of >= {args.goal}x)")
    if not verdicts:
        print(f"\nno size >= {format_bytes(from_bytes)} has both {args.algo} and {args.baseline}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
