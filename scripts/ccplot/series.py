"""Selecting records and grouping them into plotted series (no matplotlib)."""

from collections import defaultdict

from .describe import format_bytes

# Record fields that split a series only when they actually vary among the plotted records.
_VARIANT_FIELDS = ("dtype", "op", "in_place")


def records_of(docs, kind, collective=None, require=None):
    """(document, record) pairs of one kind, optionally one collective and only records having `require`."""
    return [(doc, rec) for doc in docs if doc.kind == kind for rec in doc.records
            if (collective is None or rec["collective"] == collective) and (require is None or require in rec)]


def rank_counts(pairs):
    return sorted({rec["ranks"] for _, rec in pairs})


def variant_fields(pairs):
    """The variant fields with more than one value among `pairs` (so labels mention only what differs)."""
    return [f for f in _VARIANT_FIELDS if len({str(rec.get(f)) for _, rec in pairs}) > 1]


def variant_label(rec, fields):
    parts = []
    for f in fields:
        if f == "in_place":
            parts.append("in-place" if rec.get(f) else "out-of-place")
        else:
            parts.append(str(rec.get(f)))
    return " ".join(parts)


def group_series(pairs, key_fn):
    """Groups records into series by key_fn(record) (a tuple), sorted by size within each.

    When the same key comes from more than one document (two runs of the same algorithm), the document's
    name is appended to the key so the runs stay separate lines instead of one zig-zag.
    """
    stems_of_key = defaultdict(set)
    for doc, rec in pairs:
        stems_of_key[key_fn(rec)].add(doc.stem)
    series = defaultdict(list)
    for doc, rec in pairs:
        key = key_fn(rec)
        source = doc.stem if len(stems_of_key[key]) > 1 else ""
        series[key + (source,)].append(rec)
    return {key: sorted(recs, key=lambda r: r["bytes"]) for key, recs in sorted(series.items())}


def series_label(algo, what, variant="", source=""):
    """"ring measured", "ring float64 predicted (replay)", "mpi measured [tbf.k4]"."""
    text = " ".join(part for part in (algo, variant, what) if part)
    return f"{text} [{source}]" if source else text


def oversubscribed_ranks(docs):
    """Rank counts measured in runs whose context says more ranks than cores shared a host."""
    return {rec["ranks"] for doc in docs if doc.kind == "measured" and doc.context.get("oversubscribed")
            for rec in doc.records}


def panel_title(ranks, oversubscribed):
    title = f"K = {ranks} rank{'s' if ranks != 1 else ''}"
    return title + " (oversubscribed)" if ranks in oversubscribed else title


def config_label(rec, with_algo):
    """A parameter-server configuration: "K=4, 16 MiB" (plus the algorithm when several are shown)."""
    label = f"K={rec['ranks']}, {format_bytes(rec['bytes'])}"
    return f"{rec['algo']}, {label}" if with_algo else label


def all_algos(docs):
    return {rec["algo"] for doc in docs for rec in doc.records}
