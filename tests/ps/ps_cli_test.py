#!/usr/bin/env python3
"""End-to-end checks of `ccbench ps` and `ccbench hogwild` under mpiexec (suite 'mpi').

    ps_cli_test.py --ccbench build/bench/ccbench --mpiexec mpiexec sweep|bad-input|failure|hogwild

sweep: every mode on 3 ranks writes schema-1 records with the PS keys, nwrong 0 and no lost push.
bad-input: each bad flag exits 2 with one "ccbench: error:" line naming it.
failure: a stopped worker ends sync at --timeout naming it (non-zero exit); async, ssp and backup finish and
report it in failed_workers.
hogwild: the locked variant loses nothing; records carry the Hogwild keys.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

PS_KEYS = ("mode", "servers", "workers", "colocated", "partition_bytes", "step_time", "push_time", "pull_time",
           "idle_time", "updates_per_s", "staleness_histogram", "dropped_pushes", "failed_workers", "seed",
           "compute")
STATS_KEYS = ("min", "median", "mean", "p99", "max")

failures = []


def expect(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL: " + message, file=sys.stderr)


def run(args, ranks, timeout=90):
    command = [ARGS.mpiexec, "-n", str(ranks), ARGS.ccbench] + args
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    return result


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def check_ps_record(record, where):
    expect(record["collective"] == "ps", f"{where}: collective {record['collective']}")
    expect(record["algo"] == "ps_" + record.get("mode", "?"), f"{where}: algo {record['algo']}")
    for key in PS_KEYS:
        expect(key in record, f"{where}: missing key {key}")
    for key in ("step_time", "push_time", "pull_time", "idle_time"):
        stats = record.get(key, {})
        expect(all(isinstance(stats.get(k), (int, float)) for k in STATS_KEYS), f"{where}: {key} not a stats object")
    expect(record["time"] == record["step_time"], f"{where}: time is not the step time")
    expect(math.isclose(record["alg_bw"], record["bytes"] / record["time"]["median"] / 1e3, rel_tol=1e-6),
           f"{where}: alg_bw is not bytes / median step time")
    expect(record["nwrong"] == 0, f"{where}: nwrong {record['nwrong']}")
    expect(record.get("lost_pushes") == 0, f"{where}: lost pushes {record.get('lost_pushes')}")
    expect(all(int(k) >= 0 and v > 0 for k, v in record["staleness_histogram"].items()),
           f"{where}: bad staleness histogram {record['staleness_histogram']}")


def sweep():
    with tempfile.TemporaryDirectory() as workdir:
        path = os.path.join(workdir, "ps.json")
        result = run(["ps", "-b", "4K", "-e", "64K", "-f", "16", "-n", "4", "-w", "1", "--mode",
                      "sync,async,ssp,backup", "--staleness", "1", "--partition", "4K", "--compute", "uniform:0,1",
                      "--straggler", "2:3", "--seed", "7", "--json", path], 3)
        expect(result.returncode == 0, f"sweep exited {result.returncode}: {result.stderr.strip()}")
        doc = load(path)
        expect(doc["schema"] == 1 and doc["kind"] == "measured", "not a schema-1 measured document")
        expect(doc["config"]["seed"] == 7 and doc["config"]["compute"] == "uniform:0,1", "config misses seed/compute")
        records = doc["records"]
        expect(len(records) == 2 * 4, f"{len(records)} records, expected 8")
        for index, record in enumerate(records):
            check_ps_record(record, f"records[{index}]")
            if record["mode"] == "ssp":
                expect(record["max_lead"] <= 1, f"records[{index}]: ssp lead {record['max_lead']} > 1")
            if record["mode"] == "backup":
                expect(record["step_pushes"] == {"min": 1, "max": 1}, f"records[{index}]: {record['step_pushes']}")
        rows = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
        expect(len(rows) == 8, f"{len(rows)} table rows, expected 8")


BAD_INPUTS = [
    (["--servers", "3"], "--servers 3"),
    (["--servers", "0"], "--servers"),
    (["--mode", "backup", "--backup", "2"], "--backup 2"),
    (["--staleness", "-1"], "--staleness"),
    (["--partition", "2M", "-e", "1M"], "--partition"),
    (["--partition", "1001"], "--partition 1001"),
    (["--compute", "gamma:1"], "unknown distribution 'gamma'"),
    (["--mode", "lazy"], "--mode"),
    (["--fail", "0:1"], "--fail"),
]


def bad_input():
    for flags, needle in BAD_INPUTS:
        result = run(["ps", "-b", "4K", "-e", "1M"] + flags, 3, timeout=60)
        lines = [line for line in result.stderr.splitlines() if line.startswith("ccbench: error:")]
        expect(result.returncode == 2, f"{flags}: exit {result.returncode}, expected 2")
        expect(len(lines) == 1 and needle in lines[0], f"{flags}: stderr {result.stderr.strip()!r}")
    result = run(["hogwild", "--sparsity", "1.5"], 2, timeout=60)
    expect(result.returncode == 2 and "--sparsity" in result.stderr, f"hogwild bad sparsity: {result.stderr!r}")


def failure():
    common = ["ps", "-b", "16K", "-e", "16K", "-n", "4", "-w", "1", "--fail", "3:2", "--timeout", "1"]
    result = run(common + ["--mode", "sync"], 4)
    expect(result.returncode != 0, "sync with a stopped worker exited 0")
    expect("worker rank 3" in result.stderr and "--timeout" in result.stderr,
           f"sync failure message does not name the worker: {result.stderr.strip()!r}")
    with tempfile.TemporaryDirectory() as workdir:
        path = os.path.join(workdir, "fail.json")
        result = run(common + ["--mode", "async,ssp,backup", "--staleness", "0", "--json", path], 4)
        expect(result.returncode == 0, f"async/ssp/backup with a stopped worker exited {result.returncode}: "
                                       f"{result.stderr.strip()}")
        for record in load(path)["records"]:
            expect(record["failed_workers"] == [3], f"{record['mode']}: failed_workers {record['failed_workers']}")
            expect(record["nwrong"] == 0 and record["lost_pushes"] == 0, f"{record['mode']}: accounting broken")
        expect("# Failure:" in result.stdout, "the table does not report the failure")


def hogwild():
    with tempfile.TemporaryDirectory() as workdir:
        path = os.path.join(workdir, "hogwild.json")
        result = run(["hogwild", "-b", "4K", "-e", "64K", "-f", "16", "-n", "3", "-w", "1", "--updates", "200",
                      "--sparsity", "1,0.1", "--variant", "racy,atomic,locked", "--json", path], 3)
        expect(result.returncode == 0, f"hogwild exited {result.returncode}: {result.stderr.strip()}")
        records = load(path)["records"]
        expect(len(records) == 2 * 2 * 3, f"{len(records)} hogwild records, expected 12")
        for index, record in enumerate(records):
            where = f"hogwild records[{index}]"
            expect(record["collective"] == "hogwild", f"{where}: collective {record['collective']}")
            for key in ("variant", "sparsity", "updates_per_s", "lost_fraction", "lost_increments", "increments"):
                expect(key in record, f"{where}: missing {key}")
            if record.get("variant") in ("locked", "atomic"):
                expect(record["lost_increments"] == 0,
                       f"{where}: {record['variant']} lost {record['lost_increments']}")
                expect(record["nwrong"] == 0, f"{where}: nwrong {record['nwrong']}")


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ccbench", required=True)
    parser.add_argument("--mpiexec", required=True)
    parser.add_argument("check", choices=["sweep", "bad-input", "failure", "hogwild"])
    ARGS = parser.parse_args()
    {"sweep": sweep, "bad-input": bad_input, "failure": failure, "hogwild": hogwild}[ARGS.check]()
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
