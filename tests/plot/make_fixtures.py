#!/usr/bin/env python3
"""Writes the small fixture documents of tests/plot/fixtures (run once; the JSON is committed).

The numbers are SYNTHETIC, not measurements: an alpha-beta model of the 4-host 200 Mbit/s tbf testbed of
DESIGN.md, with the slow-downs DESIGN.md reports for ring and MPICH (1.01x, 1.17x, 1.57x the bound) and a
seeded jitter, so the plots look like real runs without pretending to be one.
"""

import json
import math
import os
import random
import statistics

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
SIZES = [1024 * 4 ** i for i in range(8)]  # 1 KiB .. 16 MiB
LINK_GBPS = 0.02392
LATENCY_US = 60.0
REDUCE_GBPS = 4.0

CLUSTER = {
    "schema": 1, "kind": "cluster", "name": "4 hosts, 200 Mbit/s tbf", "ranks": 4, "ranks_per_host": 1,
    "topology": "switch",
    "links": {"intra_host": {"latency_us": 1.0, "bandwidth_GBps": 8.0},
              "inter_host": {"latency_us": LATENCY_US, "bandwidth_GBps": LINK_GBPS}},
    "reduce_GBps": REDUCE_GBPS,
    "source": {"generated_by": "tests/plot/make_fixtures.py", "rate_mbit": 200, "header_overhead": 0.9564},
}


def context(tool, command, ranks, hosts, oversubscribed=False):
    return {"tool": tool, "version": "0.1.0", "git_revision": "a1c4772", "date": "2026-11-21T22:43:00Z",
            "command": command, "hosts": hosts, "ranks": ranks, "ranks_per_host": 1, "cores_per_host": 2,
            "oversubscribed": oversubscribed, "mpi_library": "MPICH 4.0.2 (ch4:ucx)" if tool == "ccbench" else "",
            "device": "cpu", "env": {"UCX_TLS": "tcp"} if tool == "ccbench" else {}}


def stats(median, rng, tail):
    p99 = median * (1 + tail * rng.uniform(0.5, 1.5))
    return {"min": round(median * 0.97, 2), "median": round(median, 2), "mean": round(median * 1.02, 2),
            "p99": round(p99, 2), "max": round(p99 * 1.04, 2)}


def bus_factor(ranks):
    return 2 * (ranks - 1) / ranks


def point(algo, ranks, size, time, iters, nwrong=0, **extra):
    alg_bw = size / (time["median"] * 1e3)
    record = {"collective": "allreduce", "algo": algo, "ranks": ranks, "dtype": "float32", "op": "sum",
              "bytes": size, "count": size // 4, "in_place": False, "iters": iters, "time": time,
              "alg_bw": round(alg_bw, 5), "bus_bw": round(alg_bw * bus_factor(ranks), 5), "nwrong": nwrong}
    record.update(extra)
    return record


def bandwidth_us(ranks, size):
    return bus_factor(ranks) * size / (LINK_GBPS * 1e3)


def predicted_us(algo, ranks, size):
    gamma_us = size / (REDUCE_GBPS * 1e3)
    if algo == "ring":
        return 2 * (ranks - 1) * LATENCY_US + bandwidth_us(ranks, size) + (ranks - 1) / ranks * gamma_us
    steps = math.log2(ranks)  # recursive doubling: lg K rounds of the whole buffer
    return steps * (LATENCY_US + size / (LINK_GBPS * 1e3) + gamma_us)


def measured_us(algo, ranks, size, rng):
    slow = {("ring", 2): 1.01, ("ring", 4): 1.17, ("mpi", 2): 1.01, ("mpi", 4): 1.57}[(algo, ranks)]
    step_us = 150.0 if algo == "ring" else 110.0
    steps = 2 * (ranks - 1) if algo == "ring" else 2 * math.log2(ranks)
    return (steps * step_us + slow * bandwidth_us(ranks, size)) * rng.uniform(0.97, 1.05)


def measured_doc(ranks, rng):
    hosts = [f"h{i}" for i in range(ranks)]
    command = (f"mpiexec -n {ranks} -launcher ssh -launcher-exec scripts/testbed/netns-exec -iface ccbr0 "
               f"build/bench/ccbench allreduce -b 1K -e 16M -f 4 --algos ring,mpi -o results/tbf.k{ranks}.json")
    records = [point(algo, ranks, size, stats(measured_us(algo, ranks, size, rng), rng, 0.25 if size < 2 ** 16
                                              else 0.06), 20 if size <= 2 ** 20 else 5)
               for algo in ("ring", "mpi") for size in SIZES]
    return {"schema": 1, "kind": "measured", "context": context("ccbench", command, ranks, hosts),
            "config": {"minbytes": SIZES[0], "maxbytes": SIZES[-1], "stepfactor": 4, "iters": 20, "warmup": 5,
                       "algos": ["ring", "mpi"], "dtype": "float32", "op": "sum"},
            "records": records}


def predicted_doc():
    records = []
    for algo in ("ring", "recursive_doubling"):
        for ranks in (2, 4):
            for size in SIZES:
                t = round(predicted_us(algo, ranks, size), 2)
                records.append(point(algo, ranks, size, {k: t for k in ("min", "median", "mean", "p99", "max")},
                                     0, nwrong=-1, model="closed_form"))
    command = "ccsim predict --cluster results/cluster-tbf4.json --ranks 2,4 -b 1K -e 16M -f 4"
    return {"schema": 1, "kind": "predicted", "context": context("ccsim", command, 4, []),
            "config": {"cluster": CLUSTER, "ranks": [2, 4], "algos": ["ring", "recursive_doubling"],
                       "model": "closed_form"}, "records": records}


def nearest_rank(values, percent):
    ordered = sorted(values)
    return ordered[max(math.ceil(percent / 100 * len(ordered)) - 1, 0)]


def error_summary(apes):
    return {"points": len(apes), "median_ape": round(statistics.median(apes), 4),
            "p90_ape": round(nearest_rank(apes, 90), 4), "max_ape": round(max(apes), 4),
            "geomean_ape": round(math.exp(sum(math.log(a) for a in apes) / len(apes)), 4)}


def fastest_agreement(measured, predicted):
    """Sizes where the faster measured algorithm (ring or mpi) matches the faster predicted one (ring or
    recursive doubling, the model standing in for MPICH's algorithm)."""
    def fastest(records, other):
        best = {}
        for r in records:
            key = (r["ranks"], r["bytes"])
            if r["algo"] in ("ring", other) and (key not in best or r["time"]["median"] < best[key][1]):
                best[key] = ("ring" if r["algo"] == "ring" else "other", r["time"]["median"])
        return best
    m = fastest([r for doc in measured for r in doc["records"]], "mpi")
    p = fastest(predicted["records"], "recursive_doubling")
    return {"sizes": len(m), "agree": sum(m[k][0] == p[k][0] for k in m)}


def comparison_doc(measured, predicted):
    by_key = {(r["algo"], r["ranks"], r["bytes"]): r for r in predicted["records"]}
    records = []
    for doc in measured:
        for r in doc["records"]:
            if r["algo"] != "ring":
                continue
            p = by_key[("ring", r["ranks"], r["bytes"])]["time"]["median"]
            m = r["time"]["median"]
            latency = 2 * (r["ranks"] - 1) * LATENCY_US > bandwidth_us(r["ranks"], r["bytes"])
            records.append({"collective": "allreduce", "algo": "ring", "ranks": r["ranks"], "dtype": "float32",
                            "op": "sum", "bytes": r["bytes"], "measured_us": m, "predicted_us": p,
                            "rel_error": round((p - m) / m, 4), "regime": "latency" if latency else "bandwidth"})
    summary = error_summary([abs(r["rel_error"]) for r in records])
    summary["by_regime"] = {g: error_summary([abs(r["rel_error"]) for r in records if r["regime"] == g])
                            for g in ("latency", "bandwidth")}
    summary["fastest_algo_agreement"] = fastest_agreement(measured, predicted)
    command = "ccsim compare results/tbf.k2.json results/tbf.k4.json results/tbf.predicted.json"
    return {"schema": 1, "kind": "comparison", "context": context("ccsim", command, 4, []),
            "config": {"measured": ["tbf.k2.json", "tbf.k4.json"], "predicted": "tbf.predicted.json"},
            "records": records, "summary": summary}


_PS_MODES = {  # mode -> (step time factor, idle share, staleness histogram shape, dropped pushes)
    "sync": (1.0, 0.55, [1.0], 0),
    "ssp": (0.72, 0.25, [0.46, 0.31, 0.15, 0.08], 0),
    "async": (0.41, 0.04, [0.22, 0.24, 0.19, 0.13, 0.09, 0.06, 0.04, 0.02, 0.01], 17),
}


def ps_record(mode, size, rng, predicted=False):
    factor, idle, shape, dropped = _PS_MODES[mode]
    workers = 3  # 4 ranks: 1 server shard + 3 workers; push and pull each move K*S through the server's link
    step = factor * (2 * workers * size / (LINK_GBPS * 1e3) + 2 * LATENCY_US)
    if predicted:  # the model misses per-step costs in sync mode and contention in async mode
        step *= 0.9 if mode == "sync" else 1.12
    step_stats = {k: round(step, 1) for k in ("min", "median", "mean", "p99", "max")} if predicted else \
        stats(step, rng, 0.2)
    record = point("ps", 4, size, step_stats, 0 if predicted else 50, nwrong=-1 if predicted else 0, mode=mode,
                   step_time=step_stats)
    record["collective"] = "ps"
    record["bus_bw"] = record["alg_bw"]
    if predicted:
        record["model"] = "closed_form"
        return record
    updates = 50 * workers
    record.update({"push_time": stats(step * 0.45, rng, 0.2), "pull_time": stats(step * 0.4, rng, 0.2),
                   "updates_per_s": round(workers / (step * 1e-6), 2),
                   "staleness_histogram": {str(s): round(updates * p) for s, p in enumerate(shape)},
                   "dropped_pushes": dropped, "idle_time": stats(step * idle, rng, 0.3)})
    return record


def ps_docs(rng):
    sizes = (256 * 1024, 1024 * 1024)
    command = ("mpiexec -n 4 -launcher ssh -launcher-exec scripts/testbed/netns-exec -iface ccbr0 "
               "build/bench/ccbench ps --modes sync,ssp,async --staleness 3 -b 256K -e 1M -o results/ps-tbf.json")
    measured = {"schema": 1, "kind": "measured", "context": context("ccbench", command, 4, ["h0", "h1", "h2", "h3"]),
                "config": {"modes": list(_PS_MODES), "staleness_bound": 3, "servers": 1, "steps": 50},
                "records": [ps_record(m, s, rng) for m in _PS_MODES for s in sizes]}
    predicted = {"schema": 1, "kind": "predicted",
                 "context": context("ccsim", "ccsim predict ps --cluster results/cluster-tbf4.json", 4, []),
                 "config": {"cluster": CLUSTER, "modes": ["sync", "async"]},
                 "records": [ps_record(m, s, rng, predicted=True) for m in ("sync", "async") for s in sizes]}
    return measured, predicted


def write(name, doc):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as stream:
        json.dump(doc, stream, indent=1)
        stream.write("\n")


def main():
    rng = random.Random(20261121)
    os.makedirs(HERE, exist_ok=True)
    measured = [measured_doc(k, rng) for k in (2, 4)]
    predicted = predicted_doc()
    write("tbf.k2.json", measured[0])
    write("tbf.k4.json", measured[1])
    write("tbf.predicted.json", predicted)
    write("tbf.compare.json", comparison_doc(measured, predicted))
    ps_measured, ps_predicted = ps_docs(rng)
    write("ps-tbf.json", ps_measured)
    write("ps-tbf.predicted.json", ps_predicted)
    write("cluster-tbf4.json", CLUSTER)


if __name__ == "__main__":
    main()
