#!/usr/bin/env python3
"""Small, bounded measurement programs for scripts/cluster, run inside the cluster's namespaces.

Each server binds an ephemeral port, prints "ready <port>" on stdout, serves one client and prints one JSON
line with what it measured. Every program is bounded in time (an alarm) and in work (a duration or a count),
so a stuck peer can never hang the caller.

  cluster_probe.py sink   [--timeout-s T]                       goodput receiver (drains, counts bytes)
  cluster_probe.py source --host H --port P [--seconds S] [--skip-s S]   goodput sender (measures)
  cluster_probe.py echo   [--timeout-s T]                       ping-pong server
  cluster_probe.py ping   --host H --port P [--count N] [--size-bytes B]   ping-pong client (prints RTTs)
  cluster_probe.py reduce [--size-bytes B] [--repeats R]        float32 add throughput (numpy), GB/s of input
"""

import argparse
import json
import signal
import socket
import statistics
import struct
import sys
import time

CHUNK_BYTES = 1 << 20
SEND_CHUNK_BYTES = 256 << 10  # small enough that the sender looks at the clock often
TCP_INFO_BYTES = 256
TCP_INFO_BYTES_ACKED_OFFSET = 120  # struct tcp_info: __u64 tcpi_bytes_acked (Linux >= 4.1)


def fail_after(seconds):
    """Ends the process with a clear message if it runs past `seconds` (a hung peer must not hang us)."""
    def on_alarm(_signum, _frame):
        sys.exit(f"cluster_probe: timed out after {seconds} s")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(max(1, int(seconds + 0.999)))


def listen_once():
    """Binds an ephemeral port on every address of this namespace and announces it on stdout."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("0.0.0.0", 0))
    server.listen(1)
    print(f"ready {server.getsockname()[1]}", flush=True)
    conn, _ = server.accept()
    server.close()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def connect(host, port):
    conn = socket.create_connection((host, port), timeout=10)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def run_sink(args):
    """Receives until EOF and reports how many bytes came."""
    fail_after(args.timeout_s)
    conn = listen_once()
    buf = bytearray(CHUNK_BYTES)
    total = 0
    while True:
        got = conn.recv_into(buf)
        if got == 0:
            break
        total += got
    conn.close()
    print(json.dumps({"bytes": total}), flush=True)


def bytes_acked(conn):
    """Payload bytes the peer's TCP has acknowledged so far: the kernel's count, exact at the moment it is
    read however late this process was scheduled."""
    info = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_BYTES)
    return struct.unpack_from("=Q", info, TCP_INFO_BYTES_ACKED_OFFSET)[0]


def run_source(args):
    """Sends as fast as the socket accepts for `seconds` and measures goodput as acknowledged bytes over time,
    from `skip_s` after the start (past TCP's ramp-up and the token bucket's initial burst: the steady rate
    is what a link model describes) to the end. Counting at the receiver instead would credit a backlog that
    sat in its socket buffer while a busy machine kept the receiving process off the CPU."""
    fail_after(args.seconds + 20)
    conn = connect(args.host, args.port)
    payload = bytes(SEND_CHUNK_BYTES)
    start = time.perf_counter()
    window = None
    while (now := time.perf_counter()) < start + args.seconds:
        if window is None and now - start >= args.skip_s:
            window = (now, bytes_acked(conn))
        conn.sendall(payload)
    end = (time.perf_counter(), bytes_acked(conn))
    conn.close()
    if window is None or end[0] <= window[0]:
        sys.exit("cluster_probe: transfer too short to measure")
    acked, seconds = end[1] - window[1], end[0] - window[0]
    print(json.dumps({"window_bytes_acked": acked, "window_s": seconds, "goodput_Bps": acked / seconds}),
          flush=True)


def run_echo(args):
    """Echoes every message back until the client closes."""
    fail_after(args.timeout_s)
    conn = listen_once()
    while True:
        data = conn.recv(65536)
        if not data:
            break
        conn.sendall(data)
    conn.close()


def recv_exactly(conn, size):
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        n = conn.recv_into(view[got:])
        if n == 0:
            sys.exit("cluster_probe: peer closed during ping-pong")
        got += n
    return buf


def run_ping(args):
    """Round trips of `size_bytes` messages; the first tenth warm up ARP, caches and the TCP connection."""
    fail_after(args.timeout_s)
    conn = connect(args.host, args.port)
    message = bytes(args.size_bytes)
    warmup = max(1, args.count // 10)
    rtts_us = []
    for i in range(warmup + args.count):
        start = time.perf_counter()
        conn.sendall(message)
        recv_exactly(conn, args.size_bytes)
        if i >= warmup:
            rtts_us.append((time.perf_counter() - start) * 1e6)
    conn.close()
    rtts_us.sort()
    print(json.dumps({"count": args.count, "size_bytes": args.size_bytes, "rtt_us_min": rtts_us[0],
                      "rtt_us_median": statistics.median(rtts_us),
                      "rtt_us_p90": rtts_us[int(0.9 * (len(rtts_us) - 1))]}), flush=True)


def run_reduce(args):
    """Throughput of an in-place float32 add (numpy's vectorised loop), in GB/s of one operand: the cost per
    byte a reduction step pays, which is what the cluster file's reduce_GBps means."""
    try:
        import numpy
    except ImportError:
        sys.exit("cluster_probe: numpy is not installed; pass --reduce-gbps to scripts/cluster instead")
    count = args.size_bytes // 4
    dst = numpy.ones(count, dtype=numpy.float32)
    src = numpy.ones(count, dtype=numpy.float32)
    numpy.add(dst, src, out=dst)  # first touch pages outside the timed loop
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        numpy.add(dst, src, out=dst)
        times.append(time.perf_counter() - start)
    print(json.dumps({"size_bytes": count * 4, "reduce_GBps": count * 4 / statistics.median(times) / 1e9}))


def parse_args(argv):
    parser = argparse.ArgumentParser(description="measurement probes for scripts/cluster")
    sub = parser.add_subparsers(dest="command", required=True)
    sink = sub.add_parser("sink")
    sink.add_argument("--timeout-s", type=float, default=30)
    source = sub.add_parser("source")
    source.add_argument("--host", required=True)
    source.add_argument("--port", type=int, required=True)
    source.add_argument("--seconds", type=float, default=1.0)
    source.add_argument("--skip-s", type=float, default=0.25)
    echo = sub.add_parser("echo")
    echo.add_argument("--timeout-s", type=float, default=30)
    ping = sub.add_parser("ping")
    ping.add_argument("--host", required=True)
    ping.add_argument("--port", type=int, required=True)
    ping.add_argument("--count", type=int, default=500)
    ping.add_argument("--size-bytes", type=int, default=8)
    ping.add_argument("--timeout-s", type=float, default=30)
    reduce = sub.add_parser("reduce")
    reduce.add_argument("--size-bytes", type=int, default=64 << 20)
    reduce.add_argument("--repeats", type=int, default=5)
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    {"sink": run_sink, "source": run_source, "echo": run_echo, "ping": run_ping,
     "reduce": run_reduce}[args.command](args)


if __name__ == "__main__":
    main(sys.argv[1:])
