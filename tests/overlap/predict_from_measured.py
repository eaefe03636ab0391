#!/usr/bin/env python3
"""DDP's bucket recurrence (sim/overlap_model.h) fed with what `ccbench overlap -J` measured: each bucket's
all-reduce alone (C_j) and compute alone, with backward stretched by 1, by the compute slowdown, and by the
effective slowdown (compute + communication work on the compute thread, over compute alone). Prints predicted
vs measured step time, per-bucket finish times and the overhead fraction ((step - compute alone) / no-overlap
communication). Usage: predict_from_measured.py measured.json
It stands in for `ccsim predict overlap` until that takes a layer profile, measured C_j and a slowdown factor."""
import json
import sys


def main(path):
    doc = json.load(open(path))
    cfg = doc["config"]
    recs = {r["algo"]: r for r in doc["records"]}
    layers, buckets = cfg["layers"], cfg["buckets"]
    nominal = cfg["forward_us"] + cfg["backward_us"]
    for algo in cfg["algos"]:
        ddp, no = recs.get("ddp_" + algo), recs.get("no_overlap_" + algo)
        if not ddp or not no:
            continue
        alone = ddp["compute_alone_us"]
        scale = alone / nominal  # the machine's real compute rate against the requested times
        no_comm = no["comm_us"]["median"]
        factors = [("1", 1.0), ("compute_slowdown", ddp["compute_slowdown"]),
                   ("effective_slowdown", ddp["effective_slowdown"])]
        for label, f in factors:
            t = cfg["forward_us"] * scale
            end, i, ends = 0.0, len(layers) - 1, []
            for j, b in enumerate(buckets):
                while i >= b["layers"][-1]:
                    t += layers[i]["compute_us"] * scale * f
                    i -= 1
                end = max(t, end) + ddp["bucket_alone_us"][j]  # e_j = max(ready_j, e_{j-1}) + C_j
                ends.append(end)
            while i >= 0:
                t += layers[i]["compute_us"] * scale * f
                i -= 1
            step = max(t, end)
            print(f"{algo} factor {label}={f:.3f}: step {step / 1e3:.1f} ms (measured {ddp['time']['median'] / 1e3:.1f}); "
                  f"overhead fraction {(step - alone) / no_comm:.3f} (measured {ddp['overhead_fraction']:.3f}); "
                  f"bucket finish ms {[round(x / 1e3, 1) for x in ends]} "
                  f"(measured {[round(b['finish_us']['median'] / 1e3, 1) for b in ddp['buckets']]})")


if __name__ == "__main__":
    main(sys.argv[1])
