#!/usr/bin/env python3
"""End-to-end checks of `ccbench train` under mpiexec (suite 'mpi').

    train_cli_test.py --ccbench build/bench/ccbench --mpiexec mpiexec bad-input|outcomes

bad-input: each bad flag or layout exits 2 with one "ccbench: error:" line naming it, and writes no file.
outcomes: a run that reaches its target, one that does not (exit 0, "NOT REACHED", nulls in the JSON), one
that hits --max-time, and one that diverges (exit 4, the record written with "diverged": true).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

failures = []
CONTRACT_KEYS = ("updates_per_s", "samples_per_s", "step_time_us", "compute_us_median", "comm_us_median",
                 "servers", "staleness_bound", "backup", "straggler", "compute", "target_loss", "time_to_target_s",
                 "steps_to_target", "final_loss", "final_accuracy", "diverged", "curve", "staleness")


def expect(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL: " + message, file=sys.stderr)


def run(args, ranks, timeout=90):
    command = [ARGS.mpiexec, "-n", str(ranks), ARGS.ccbench, "train"] + args
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def record_of(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    expect(doc["schema"] == 1 and len(doc["records"]) == 1, f"{path}: not one schema-1 record")
    record = doc["records"][0]
    expect(record["collective"] == "train", f"{path}: collective {record['collective']}")
    for key in CONTRACT_KEYS:
        expect(key in record, f"{path}: missing key {key}")
    return record


def check_bad_input(tmp):
    cases = [
        (["--lr", "fast"], 1, "--lr"),
        (["--strategy", "ring"], 1, "--strategy"),
        (["--max-steps", "0"], 1, "--max-steps"),
        (["--compute", "fixed:-1"], 1, "--compute"),
        (["--strategy", "single"], 2, "mpiexec -n 1"),
        (["--strategy", "sync_ring", "--straggler", "4:2"], 3, "--straggler"),
        (["--strategy", "sync_ps", "--straggler", "0:2"], 3, "server"),
        (["--strategy", "backup_ps", "--backup", "2"], 3, "--backup"),
        (["--strategy", "sync_ring", "--workers", "2"], 3, "--workers"),
        (["--strategy", "sync_ring", "--batch", "2"], 3, "--batch"),
    ]
    for args, ranks, needle in cases:
        path = os.path.join(tmp, "bad.json")
        if os.path.exists(path):
            os.remove(path)
        result = run(args + ["--json", path], ranks)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        where = " ".join(args)
        expect(result.returncode == 2, f"{where}: exit {result.returncode}, want 2")
        expect(len(lines) == 1 and lines[0].startswith("ccbench: error:") and needle in lines[0],
               f"{where}: stderr {lines!r} should be one error line naming {needle}")
        expect(not os.path.exists(path), f"{where}: wrote {path}")


def check_outcomes(tmp):
    small = ["--samples", "1024", "--batch", "48", "--lr", "2", "--eval-every", "2"]
    reached = os.path.join(tmp, "reached.json")
    result = run(["--strategy", "sync_ring", "--max-steps", "40", "--target-loss", "0.7", "--json", reached] + small, 2)
    expect(result.returncode == 0, f"reached: exit {result.returncode}: {result.stderr}")
    expect("Target loss 0.7000: reached" in result.stdout, "reached: no 'reached' line")
    record = record_of(reached)
    expect(record["time_to_target_s"] is not None and record["steps_to_target"] is not None, "reached: nulls")
    expect(record["staleness"] == {"0": 40 * 2}, f"reached: staleness {record['staleness']}")

    missed = os.path.join(tmp, "missed.json")
    result = run(["--strategy", "async_ps", "--max-steps", "10", "--target-loss", "0.01", "--json", missed] + small, 3)
    expect(result.returncode == 0, f"not reached: exit {result.returncode}: {result.stderr}")
    expect("NOT REACHED" in result.stdout and "--max-steps" in result.stdout, "not reached: no report line")
    record = record_of(missed)
    expect(record["time_to_target_s"] is None and record["steps_to_target"] is None, "not reached: not null")
    expect(record["stop_reason"] == "max_steps" and not record["diverged"], "not reached: stop reason")

    timed = os.path.join(tmp, "timed.json")
    # PS workers that stop at --max-time run their remaining steps as no-ops (no compute, zero update): keep
    # --max-steps modest.
    result = run(["--strategy", "sync_ps", "--max-steps", "400", "--max-time", "0.3", "--compute", "fixed:5",
                  "--target-loss", "0.01", "--json", timed] + small, 3)
    expect(result.returncode == 0, f"max-time: exit {result.returncode}: {result.stderr}")
    expect("--max-time" in result.stdout, "max-time: no report line")
    record = record_of(timed)
    expect(record["stop_reason"] == "max_time" and record["iters"] < 100, f"max-time: {record['stop_reason']} "
           f"after {record['iters']} steps")

    diverged = os.path.join(tmp, "diverged.json")
    result = run(small + ["--strategy", "sync_ring", "--lr", "1e6", "--json", diverged], 2)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    expect(result.returncode == 4, f"diverged: exit {result.returncode}, want 4")
    expect(len(lines) == 1 and "diverged" in lines[0], f"diverged: stderr {lines!r}")
    record = record_of(diverged)
    expect(record["diverged"] and record["stop_reason"] == "diverged", "diverged: record says otherwise")


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--ccbench", required=True)
    parser.add_argument("--mpiexec", required=True)
    parser.add_argument("check", choices=["bad-input", "outcomes"])
    ARGS = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        {"bad-input": check_bad_input, "outcomes": check_outcomes}[ARGS.check](tmp)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
