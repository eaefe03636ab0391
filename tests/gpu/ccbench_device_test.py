#!/usr/bin/env python3
"""ccbench allreduce --mem device end to end on real GPUs (suite 'gpu'); exit 77 (Meson's skip) without one.

With N GPUs answering (nvidia-smi -L):
  - 1 rank: checked sweeps of --algo ring (and nccl when compiled in) on device buffers over every dtype
    and op, in and out of place, sizes that do not split evenly, small segments, and one large point;
  - 2 ranks: the staged ring (sharing one GPU round robin when N = 1); NCCL with one GPU each when N >= 2,
    otherwise NCCL's refusal as one line and exit 2;
  - a size larger than device memory: one line and exit 2 before anything is allocated.
Every JSON document must pass tests/bench/check_result_json.py and name the GPU.
"""
import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from ccbench_script import FAILURES, expect, gpus_answering, run_under_mpiexec, table_rows  # noqa: E402
from check_result_json import validate_measured  # noqa: E402


def run(args, ranks, timeout=300):
    return run_under_mpiexec(ARGS.mpiexec, [ARGS.ccbench, "allreduce"] + args, ranks, timeout)


def checked_sweep(name, ranks, algos, args, workdir):
    path = os.path.join(workdir, name + ".json")
    result = run(["--mem", "device", "--algo", ",".join(algos), "--json", path] + args, ranks)
    expect(result.returncode == 0, f"{name}: exit {result.returncode}: {result.stderr.strip()}")
    table = table_rows(result.stdout)
    expect(table and all(row[-1] == "0" for row in table), f"{name}: wrong elements:\n{result.stdout}")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        expect(False, f"{name}: JSON not readable: {e}")
        return
    for problem in validate_measured(doc, ranks=ranks, records=len(table)):
        expect(False, f"{name}: {problem}")
    device = doc["context"]["device"]
    expect(device not in ("", "cpu"), f"{name}: context.device is {device!r}")
    expect(doc["config"].get("mem") == "device", f"{name}: config.mem is {doc['config'].get('mem')!r}")
    expect(sorted({r["algo"] for r in doc["records"]}) == sorted(algos),
           f"{name}: algorithms {algos} expected")
    if "nccl" in algos:
        expect(bool(doc["config"].get("nccl_version")), f"{name}: config.nccl_version missing")


def one_line_refusal(name, ranks, args, text):
    result = run(["--mem", "device"] + args, ranks)
    errors = [line for line in result.stderr.splitlines() if line.startswith("ccbench: error: ")]
    expect(result.returncode == 2, f"{name}: exit {result.returncode}, expected 2: {result.stderr.strip()}")
    expect(len(errors) == 1 and text in errors[0], f"{name}: expected one line with {text!r}: {errors}")


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ccbench", required=True)
    parser.add_argument("--mpiexec", required=True)
    parser.add_argument("--nccl", type=int, choices=[0, 1], required=True, help="NCCL compiled in")
    ARGS = parser.parse_args()
    gpus = gpus_answering()
    if gpus == 0:
        print("skipped: no GPU answers (nvidia-smi -L)")
        return 77
    algos = ["ring", "nccl"] if ARGS.nccl else ["ring"]
    with tempfile.TemporaryDirectory() as workdir:
        every_type = ["-b", "8", "-e", "100000", "-f", "50", "-n", "2", "-w", "1", "-d", "all", "-o", "all",
                      "--inplace", "both", "--segment", "4K"]
        checked_sweep("all-types", 1, algos, every_type, workdir)
        checked_sweep("large", 1, algos, ["-b", "256M", "-e", "256M", "-n", "5", "-w", "2"], workdir)
        checked_sweep("ring-n2", 2, ["ring"], ["-b", "8", "-e", "64M", "-f", "64", "-n", "3", "-w", "1",
                                               "-d", "float32,bfloat16,int64", "-o", "sum,avg",
                                               "--inplace", "both", "--segment", "64K"], workdir)
        if ARGS.nccl and gpus >= 2:
            nccl_args = ["-b", "8", "-e", "64M", "-f", "64", "-n", "3", "-w", "1",
                         "-d", "float32,float16,int64",
                         "-o", "sum,max,avg"]
            checked_sweep("nccl-n2", 2, ["nccl"], nccl_args, workdir)
        elif ARGS.nccl:
            one_line_refusal("nccl-n2 on one GPU", 2, ["--algo", "nccl", "-b", "4K", "-e", "4K", "-n", "1"],
                             "one GPU per rank needed")
        one_line_refusal("larger than the GPU", 1, ["--algo", "ring", "-b", "64T", "-e", "64T", "-c", "0"],
                         "of device memory needed")
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
