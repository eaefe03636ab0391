#!/usr/bin/env python3
"""Checks that a file is a valid ccbench schema-1 measured document (see results/README.md).

Usable as a module (validate_measured) and from the shell:
    python3 tests/bench/check_result_json.py results/allreduce_2ranks_cpu.json [--ranks 2] [--records N]
Exits non-zero with one line per problem.
"""
import argparse
import json
import math
import sys

CONTEXT_FIELDS = {
    "tool": str, "version": str, "git_revision": str, "date": str, "command": str, "hosts": list,
    "ranks": int, "ranks_per_host": int, "cores_per_host": int, "oversubscribed": bool,
    "mpi_library": str, "device": str, "env": dict,
}
RECORD_FIELDS = {
    "collective": str, "algo": str, "ranks": int, "dtype": str, "op": str, "bytes": int, "count": int,
    "in_place": bool, "iters": int, "time": dict, "alg_bw": (int, float), "bus_bw": (int, float), "nwrong": int,
}
TIME_FIELDS = ("min", "median", "mean", "p99", "max")
DTYPE_BYTES = {"float32": 4, "float64": 8, "float16": 2, "bfloat16": 2, "int32": 4, "int64": 8}


def is_type(value, expected):
    # bool is an int in Python; the schema keeps them apart.
    if expected is int or expected == (int, float):
        return isinstance(value, expected) and not isinstance(value, bool)
    return isinstance(value, expected)


def check_fields(obj, fields, where, problems):
    for key, expected in fields.items():
        if key not in obj:
            problems.append(f"{where}: missing field '{key}'")
        elif not is_type(obj[key], expected):
            problems.append(f"{where}: field '{key}' has the wrong type ({obj[key]!r})")


def check_record(record, index, ranks, problems):
    where = f"records[{index}]"
    check_fields(record, RECORD_FIELDS, where, problems)
    if any(p.startswith(where) for p in problems):
        return
    time = record["time"]
    for key in TIME_FIELDS:
        if not is_type(time.get(key), (int, float)):
            problems.append(f"{where}: time.{key} missing or not a number")
            return
    if not time["min"] <= time["median"] <= time["p99"] <= time["max"] or time["min"] <= 0:
        problems.append(f"{where}: times out of order or not positive: {time}")
    if not time["min"] <= time["mean"] <= time["max"]:
        problems.append(f"{where}: mean outside [min, max]: {time}")
    if record["dtype"] not in DTYPE_BYTES:
        problems.append(f"{where}: unknown dtype {record['dtype']!r}")
    elif record["count"] * DTYPE_BYTES[record["dtype"]] != record["bytes"]:
        problems.append(f"{where}: count * element size != bytes")
    if ranks is not None and record["ranks"] != ranks:
        problems.append(f"{where}: ranks {record['ranks']} != {ranks}")
    alg_bw = record["bytes"] / time["median"] / 1e3
    if not math.isclose(record["alg_bw"], alg_bw, rel_tol=1e-6):
        problems.append(f"{where}: alg_bw {record['alg_bw']} != bytes / median time = {alg_bw}")
    k = record["ranks"]
    bus_bw = record["alg_bw"] * 2 * (k - 1) / k
    if not math.isclose(record["bus_bw"], bus_bw, rel_tol=1e-6, abs_tol=1e-12):
        problems.append(f"{where}: bus_bw {record['bus_bw']} != alg_bw * 2(K-1)/K = {bus_bw}")


def validate_measured(doc, ranks=None, records=None, require_checked=True):
    """Returns a list of problems (empty when the document is valid)."""
    problems = []
    if not isinstance(doc, dict):
        return ["document is not a JSON object"]
    if doc.get("schema") != 1:
        problems.append(f"schema is {doc.get('schema')!r}, expected 1")
    if doc.get("kind") != "measured":
        problems.append(f"kind is {doc.get('kind')!r}, expected 'measured'")
    context = doc.get("context")
    if not isinstance(context, dict):
        return problems + ["missing context object"]
    check_fields(context, CONTEXT_FIELDS, "context", problems)
    if ranks is not None and context.get("ranks") != ranks:
        problems.append(f"context.ranks is {context.get('ranks')!r}, expected {ranks}")
    if not isinstance(doc.get("config"), dict):
        problems.append("missing config object")
    recs = doc.get("records")
    if not isinstance(recs, list):
        return problems + ["missing records array"]
    if records is not None and len(recs) != records:
        problems.append(f"{len(recs)} records, expected {records}")
    for index, record in enumerate(recs):
        if not isinstance(record, dict):
            problems.append(f"records[{index}] is not an object")
            continue
        check_record(record, index, ranks, problems)
        if require_checked and record.get("nwrong") != 0:
            problems.append(f"records[{index}]: nwrong is {record.get('nwrong')!r}, expected 0")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--ranks", type=int)
    parser.add_argument("--records", type=int)
    args = parser.parse_args()
    try:
        with open(args.path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{args.path}: {e}", file=sys.stderr)
        return 1
    problems = validate_measured(doc, args.ranks, args.records)
    for problem in problems:
        print(f"{args.path}: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
