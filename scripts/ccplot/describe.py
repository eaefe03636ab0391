"""Words and numbers for people: sizes, times, collective names and "what ran where" from the JSON context.

Pure functions (no matplotlib), shared by the figures and the HTML report so both say the same thing.
"""

import textwrap

_BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")
_COLLECTIVE_TITLES = {"allreduce": "All-reduce", "ps": "Parameter server", "train": "Training step",
                      "overlap": "Compute/communication overlap"}
# Order in which parameter-server modes are shown: from fully synchronous to fully asynchronous.
_MODE_ORDER = ("sync", "backup", "ssp", "async", "hogwild")


def format_bytes(size):
    """1024 -> "1 KiB", 1536 -> "1.5 KiB", 4 -> "4 B" (binary multiples, as ccbench's -b/-e flags)."""
    value = float(size)
    for unit in _BINARY_UNITS:
        if value < 1024 or unit == _BINARY_UNITS[-1]:
            return f"{value:.4g} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def time_unit(max_us):
    """The unit that keeps numbers up to `max_us` short: (divisor from microseconds, unit name)."""
    if max_us >= 1e6:
        return 1e6, "s"
    if max_us >= 1e4:
        return 1e3, "ms"
    return 1.0, "µs"


def format_time_us(time_us):
    """A time in microseconds with the unit that fits it: 250 -> "250 µs", 1e5 -> "100 ms"."""
    for divisor, unit in ((1e6, "s"), (1e3, "ms")):
        if time_us >= divisor:
            return f"{time_us / divisor:.3g} {unit}"
    return f"{time_us:.3g} µs"


def collective_title(collective):
    return _COLLECTIVE_TITLES.get(collective, collective)


def mode_sort_key(mode):
    """Known parameter-server modes in a fixed order (sync first), unknown ones after, alphabetically."""
    return (_MODE_ORDER.index(mode), "") if mode in _MODE_ORDER else (len(_MODE_ORDER), mode)


def cluster_of(doc):
    """The cluster description a predicted document was computed for, or None.

    ccsim may embed it as config["cluster"] or put its keys at the top of config; a cluster document is one.
    """
    if doc.cluster:
        return doc.cluster
    candidate = doc.config.get("cluster")
    if isinstance(candidate, dict) and isinstance(candidate.get("links"), dict):
        return candidate
    if isinstance(doc.config.get("links"), dict):
        return doc.config
    return None


def _unique(values):
    """Distinct values in first-seen order."""
    seen = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


def _hosts_phrase(hosts):
    if not hosts:
        return ""
    if len(hosts) == 1:
        return f" on {hosts[0]}"
    shown = ", ".join(hosts[:4]) + (", ..." if len(hosts) > 4 else "")
    return f" on {len(hosts)} hosts ({shown})"


def _describe_measured(docs):
    contexts = [doc.context for doc in docs]
    tool = " / ".join(_unique(c.get("tool", "ccbench") for c in contexts)) or "ccbench"
    hosts = _unique(h for c in contexts for h in c.get("hosts", []) if isinstance(h, str))
    parts = _unique(str(c.get("mpi_library", "")) for c in contexts)
    parts += _unique(str(c.get("device", "")) for c in contexts)
    env = _unique(f"{k}={v}" for c in contexts if isinstance(c.get("env"), dict) for k, v in c["env"].items())
    parts += env
    if any(c.get("oversubscribed") for c in contexts):
        parts.append("oversubscribed (times measure the scheduler)")
    details = f" ({', '.join(parts)})" if parts else ""
    return f"measured by {tool}{_hosts_phrase(hosts)}{details}"


def _describe_predicted(docs):
    names = _unique((cluster_of(doc) or {}).get("name", "") for doc in docs)
    models = _unique(r.get("model", "") for doc in docs for r in doc.records)
    text = "predicted by ccsim"
    if names:
        text += " for " + ", ".join(f"'{n}'" for n in names)
    if models:
        text += f" ({', '.join(models)})"
    return text


def _describe_comparison(docs):
    return "compared by ccsim (" + ", ".join(doc.stem for doc in docs) + ")"


_DESCRIBERS = (("measured", _describe_measured), ("predicted", _describe_predicted),
               ("comparison", _describe_comparison))


def describe_where(docs, kinds=("measured", "predicted", "comparison")):
    """One phrase per document kind present, e.g. "measured by ccbench on 4 hosts (...) · predicted by ccsim
    for '4 hosts, 200 Mbit/s tbf'". Only documents with records count."""
    phrases = []
    for kind, describe in _DESCRIBERS:
        of_kind = [doc for doc in docs if doc.kind == kind and doc.records]
        if kind in kinds and of_kind:
            phrases.append(describe(of_kind))
    return " · ".join(phrases)


def wrap_title(main, where, width=125, lines=3):
    """The main title, then `where` on at most `lines` lines of about `width` characters, broken between its
    " · " phrases where possible (so a cluster's name is not cut in two)."""
    wrapped = []
    for phrase in where.split(" · ") if where else []:
        if wrapped and len(wrapped[-1]) + 3 + len(phrase) <= width:
            wrapped[-1] += " · " + phrase
        else:
            wrapped += textwrap.wrap(phrase, width=width)
    if len(wrapped) > lines:
        wrapped = wrapped[:lines - 1] + [textwrap.shorten(" ".join(wrapped[lines - 1:]), width, placeholder=" ...")]
    return "\n".join([main] + wrapped)
