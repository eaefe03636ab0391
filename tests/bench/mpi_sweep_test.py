#!/usr/bin/env python3
"""ccbench allreduce under mpiexec, end to end (suite 'mpi').

  sweep N       checked sweeps on N ranks with both algorithms: exit 0, #wrong 0, a valid JSON file
  bad-input     bad flags under mpiexec -n 2: exit 2, one error line (rank 0 only), no JSON file left;
                --mem device and --algo nccl where no GPU answers (this build's CUDA/NCCL decide the line)
  stopped-peer  rank 1 is stopped (SIGSTOP) mid-sweep: rank 0 ends the run at --timeout naming the
                collective and size, instead of hanging
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ccbench_script import FAILURES, expect, gpus_answering, run_under_mpiexec, table_rows  # noqa: E402
from check_result_json import validate_measured  # noqa: E402


def run(args, ranks, timeout=120):
    return run_under_mpiexec(ARGS.mpiexec, [ARGS.ccbench] + args, ranks, timeout)


def check_sweep(ranks, args, expected_records, workdir, name):
    path = os.path.join(workdir, name + ".json")
    result = run(args + ["--json", path], ranks)
    expect(result.returncode == 0, f"{name}: exit {result.returncode}, stderr: {result.stderr.strip()}")
    rows = table_rows(result.stdout)
    expect(len(rows) == expected_records, f"{name}: {len(rows)} table rows, expected {expected_records}")
    expect(all(row[-1] == "0" for row in rows), f"{name}: a row with wrong elements:\n{result.stdout}")
    expect("Out of bounds values : 0 OK" in result.stdout, f"{name}: no OK verdict in the table")
    oversubscribed = ranks > os.cpu_count()
    expect(("WARNING: oversubscribed" in result.stdout) == oversubscribed,
           f"{name}: oversubscription warning should be {'present' if oversubscribed else 'absent'}")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        expect(False, f"{name}: JSON not readable: {e}")
        return
    for problem in validate_measured(doc, ranks=ranks, records=expected_records):
        expect(False, f"{name}: {problem}")
    expect(doc["context"].get("oversubscribed") == oversubscribed, f"{name}: context.oversubscribed wrong")
    expect(sorted({r.get("algo") for r in doc["records"]}) == ["mpi", "ring"], f"{name}: both algos expected")
    leftovers = [f for f in os.listdir(workdir) if ".tmp-" in f]
    expect(not leftovers, f"{name}: temporary files left: {leftovers}")


def sweep(ranks):
    with tempfile.TemporaryDirectory() as workdir:
        # 6 sizes x 2 algos x 2 placements, float32 sum.
        check_sweep(ranks, ["allreduce", "--algo", "ring,mpi", "-b", "8", "-e", "256K", "-f", "8", "-n", "3",
                            "-w", "1", "-c", "1", "--inplace", "both"], 24, workdir, "float32")
        # Other dtypes and ops, sizes that do not split evenly into K chunks (8 bytes: fewer elements than
        # ranks), small segments. Every combination on 2 ranks; oversubscribed ranks take milliseconds per
        # collective, so 3 and 4 ranks get a sample.
        dtypes, ops = ("all", "all") if ranks == 2 else ("bfloat16,int64", "max,avg")
        points = (6 * 5 if ranks == 2 else 2 * 2) * 2 * 2
        check_sweep(ranks, ["allreduce", "--algo", "ring,mpi", "-b", "8", "-e", "1000", "-f", "125", "-n", "1",
                            "-w", "0", "-d", dtypes, "-o", ops, "--segment", "64"], points, workdir, "types")


BAD_INPUT = [
    (["--algo", "tree"], "--algo: unknown algorithm 'tree'"),
    (["-d", "float128"], "--datatype: "),
    (["-o", "median"], "--op: "),
    (["-b", "1M", "-e", "1K"], "--minbytes 1048576 is larger than --maxbytes 1024"),
    (["-b", "0"], "--minbytes must be at least 1 byte"),
    (["--minbytes=-8"], "--minbytes: '-8' is negative"),
    (["-b", "6", "-e", "1K"], "--minbytes 6 does not divide into float32 elements of 4 bytes"),
    (["-f", "1"], "--stepfactor must be an integer >= 2, got '1'"),
    (["--bogus"], "--bogus"),
    (["--mem", "gpu"], "--mem: unknown memory 'gpu' (expected host or device)"),
    (["--algo", "nccl"], "--algo nccl needs --mem device (NCCL reduces GPU buffers)"),
    (["--algo", "ring,nccl", "--mem", "host"], "--algo nccl needs --mem device"),
    (["--algo", "ring,mpi", "--mem", "device"], "--algo mpi needs --mem host"),
]

# Where no GPU answers, device runs are bad input too: the line names the missing piece, which depends on the
# build (no CUDA / no NCCL compiled in) or the machine (no device answers), so any of these will do.
NO_GPU_INPUT = [
    (["--mem", "device"], ("--mem device: this build has no CUDA", "--mem device: no CUDA device answers (")),
    (["--algo", "ring,nccl", "--mem", "device"],
     ("--algo nccl: this build has no NCCL", "--mem device: no CUDA device answers (")),
]


def bad_input():
    with tempfile.TemporaryDirectory() as workdir:
        out = os.path.join(workdir, "out.json")
        cases = [(args + ["--json", out], (message,)) for args, message in BAD_INPUT]
        if gpus_answering() == 0:
            cases += [(args + ["--json", out], messages) for args, messages in NO_GPU_INPUT]
        else:
            print("a GPU answers: --mem device is no bad input here (tests/gpu runs it)")
        missing = os.path.join(workdir, "missing", "out.json")
        cases.append((["--json", missing], ("--json: cannot write JSON to",)))
        cases.append((["--json", workdir], ("--json: cannot write JSON to",)))
        for args, messages in cases:
            result = run(["allreduce", "-b", "4K", "-e", "4K", "-n", "1"] + args, 2, timeout=60)
            errors = [line for line in result.stderr.splitlines() if line.startswith("ccbench: error: ")]
            expect(result.returncode == 2, f"{args}: exit {result.returncode}, expected 2")
            expect(len(errors) == 1, f"{args}: {len(errors)} error lines, expected 1 (rank 0 only): {errors}")
            expect(any(message in line for line in errors for message in messages),
                   f"{args}: no line with any of {messages!r}: {result.stderr}")
            expect(not os.path.exists(out), f"{args}: {out} was written")
            expect(os.listdir(workdir) == [], f"{args}: files left behind: {os.listdir(workdir)}")


def descendants(root):
    """Pids of every live descendant of `root`."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def rank_pid(mpiexec_pid, rank):
    for pid in descendants(mpiexec_pid):
        try:
            if os.path.realpath(f"/proc/{pid}/exe") != os.path.realpath(ARGS.ccbench):
                continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if f"PMI_RANK={rank}".encode() in env:
            return pid
    return None


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def stopped_peer(algo):
    """Stops rank 1 during the timed iterations of a 1 MiB point; rank 0 must give up at --timeout."""
    timeout_s = 2
    with tempfile.TemporaryDirectory() as workdir:
        stdout_path, stderr_path = os.path.join(workdir, "out"), os.path.join(workdir, "err")
        command = [ARGS.mpiexec, "-n", "2", ARGS.ccbench, "allreduce", "--algo", algo, "-b", "1M", "-e", "1M",
                   "-n", "100000000", "-w", "0", "-c", "0", "--timeout", str(timeout_s)]
        with open(stdout_path, "w") as out, open(stderr_path, "w") as err:
            proc = subprocess.Popen(command, stdout=out, stderr=err, start_new_session=True)
        stopped = None
        try:
            # The table header is printed once both ranks are set up; the iterations run right after it.
            header = wait_for(lambda: "#wrong" in open(stdout_path).read(), 60)
            expect(header, f"{algo}: the table header never appeared")
            stopped = rank_pid(proc.pid, 1)
            expect(stopped is not None, f"{algo}: rank 1's process not found")
            if not header or stopped is None:
                return
            time.sleep(0.5)  # well inside the timed iterations
            os.kill(stopped, signal.SIGSTOP)
            stopped_at = time.monotonic()
            reported = wait_for(lambda: "timed out" in open(stderr_path).read(), timeout_s + 20)
            elapsed = time.monotonic() - stopped_at
            expect(reported, f"{algo}: no timeout reported within {timeout_s + 20} s")
            expect(elapsed >= timeout_s * 0.9, f"{algo}: reported after {elapsed:.1f} s, before the timeout")
            print(f"{algo}: timeout reported {elapsed:.1f} s after the peer stopped (--timeout {timeout_s})")
            # mpiexec kills the stopped rank once rank 0 has failed; should it only send a catchable signal,
            # the rank must run again to receive it.
            try:
                os.kill(stopped, signal.SIGCONT)
            except ProcessLookupError:
                pass
            returncode = proc.wait(timeout=30)
            errors = open(stderr_path).read()
            expect(returncode != 0, f"{algo}: mpiexec exited 0 after a timeout")
            line = next((l for l in errors.splitlines() if "timed out" in l), "")
            expect(line.startswith("ccbench: error: "), f"{algo}: timeout line not a ccbench error: {line!r}")
            expect(f"allreduce {algo} 1M" in line, f"{algo}: timeout line does not name the collective and size: "
                                                  f"{line!r}")
            print(f"{algo}: {line}")
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            if stopped is not None:
                try:
                    os.kill(stopped, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ccbench", required=True)
    parser.add_argument("--mpiexec", required=True)
    parser.add_argument("mode", choices=["sweep", "bad-input", "stopped-peer"])
    parser.add_argument("ranks", nargs="?", type=int, default=2)
    ARGS = parser.parse_args()
    if ARGS.mode == "sweep":
        sweep(ARGS.ranks)
    elif ARGS.mode == "bad-input":
        bad_input()
    else:
        stopped_peer("ring")
        stopped_peer("mpi")
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
