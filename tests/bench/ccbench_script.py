"""Shared pieces of the end-to-end test scripts that drive ccbench under mpiexec (tests/bench/mpi_sweep_test.py,
tests/gpu/ccbench_device_test.py): failures collected rather than raised, so one run reports every problem."""
import subprocess
import sys
import time

FAILURES = []


def expect(condition, message):
    if not condition:
        FAILURES.append(message)
        print("FAIL: " + message, file=sys.stderr)


def run_under_mpiexec(mpiexec, command, ranks, timeout):
    """Runs `command` (a list) on `ranks` ranks, prints it with its exit status and duration, returns the result."""
    full = [mpiexec, "-n", str(ranks)] + command
    started = time.monotonic()
    result = subprocess.run(full, capture_output=True, text=True, timeout=timeout)
    print(f"$ {' '.join(full)}  -> exit {result.returncode} in {time.monotonic() - started:.1f} s")
    return result


def gpus_answering():
    """GPUs nvidia-smi lists; 0 where it is missing or fails."""
    try:
        result = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    if result.returncode != 0:
        return 0
    return sum(1 for line in result.stdout.splitlines() if line.startswith("GPU "))


def table_rows(stdout):
    """The data rows of a ccbench table (every non-comment line, split into columns)."""
    return [line.split() for line in stdout.splitlines() if line.strip() and not line.startswith("#")]
