"""Reading and validating ccbench JSON documents (schema 1, see results/README.md).

Everything here runs before any image is drawn: a bad file stops the run with one line naming the file and
the field, so no plot is ever made from half-understood input. No matplotlib in this module, so input errors
are reported fast.
"""

import json
import math
import os
from dataclasses import dataclass, field

from .errors import PlotError

SUPPORTED_SCHEMA = 1
RESULT_KINDS = ("measured", "predicted", "comparison")
CLUSTER_KIND = "cluster"

# Required keys of a record, by document kind, with the check each value must pass.
_INT = "an integer"
_NUM = "a number"
_STR = "a string"
_OBJ = "an object"
_POINT_FIELDS = {"collective": _STR, "algo": _STR, "ranks": _INT, "bytes": _INT, "time": _OBJ}
_COMPARISON_FIELDS = {"collective": _STR, "algo": _STR, "ranks": _INT, "bytes": _INT,
                      "measured_us": _NUM, "predicted_us": _NUM, "rel_error": _NUM}
# Optional keys: checked only when present (parameter-server records carry the stats objects).
_OPTIONAL_NUMBERS = ("bus_bw", "alg_bw", "updates_per_s", "dropped_pushes", "nwrong")
_OPTIONAL_STATS = ("step_time", "push_time", "pull_time", "idle_time")


@dataclass
class Document:
    """One validated document. `records` are the raw dicts (extra keys kept); `cluster` only for kind cluster."""
    path: str
    schema: int
    kind: str
    context: dict
    config: dict
    records: list
    summary: dict = field(default_factory=dict)
    cluster: dict = field(default_factory=dict)

    @property
    def stem(self):
        """File name without ".json": "tbf.k2.json" -> "tbf.k2"."""
        name = os.path.basename(self.path)
        return name[:-5] if name.endswith(".json") else name

    @property
    def run_name(self):
        """The run a file belongs to: its name up to the first dot ("tbf.k2.json" -> "tbf")."""
        return self.stem.split(".", 1)[0]


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


_CHECKS = {
    _INT: _is_int,
    _NUM: _is_number,
    _STR: lambda v: isinstance(v, str),
    _OBJ: lambda v: isinstance(v, dict),
}


def _show(value):
    """A short rendering of a bad value for an error line."""
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_fields(obj, fields, where):
    """Raises PlotError for the first key of `fields` that is missing or of the wrong type."""
    for key, kind in fields.items():
        if key not in obj:
            raise PlotError(f'{where}: missing "{key}"')
        if not _CHECKS[kind](obj[key]):
            raise PlotError(f'{where}: "{key}" must be {kind}, got {_show(obj[key])}')


def _check_stats(stats, where):
    """A stats object ({"min", "median", "mean", "p99", "max"} in microseconds) needs at least a median."""
    _check_fields(stats, {"median": _NUM}, where)
    for key in ("min", "mean", "p99", "max"):
        if key in stats and not _is_number(stats[key]):
            raise PlotError(f'{where}: "{key}" must be a number, got {_show(stats[key])}')


def _check_histogram(histogram, where):
    """A staleness histogram maps a non-negative integer (as a string key) to a count."""
    if not isinstance(histogram, dict):
        raise PlotError(f"{where}: must be an object (staleness -> count), got {_show(histogram)}")
    for key, count in histogram.items():
        if not key.isdigit() or not _is_number(count) or count < 0:
            raise PlotError(f"{where}: entry {_show(key)}: {_show(count)} is not staleness -> count")


def _check_optional(record, where):
    for key in _OPTIONAL_NUMBERS:
        if key in record and not _is_number(record[key]):
            raise PlotError(f'{where}: "{key}" must be a number, got {_show(record[key])}')
    for key in _OPTIONAL_STATS:
        if key in record:
            if not isinstance(record[key], dict):
                raise PlotError(f'{where}: "{key}" must be an object, got {_show(record[key])}')
            _check_stats(record[key], f"{where}.{key}")
    if "staleness_histogram" in record:
        _check_histogram(record["staleness_histogram"], f"{where}.staleness_histogram")
    if "mode" in record and not isinstance(record["mode"], str):
        raise PlotError(f'{where}: "mode" must be a string, got {_show(record["mode"])}')


def _check_record(record, kind, where):
    if not isinstance(record, dict):
        raise PlotError(f"{where}: must be an object, got {_show(record)}")
    if kind == "comparison":
        _check_fields(record, _COMPARISON_FIELDS, where)
    else:
        _check_fields(record, _POINT_FIELDS, where)
        _check_stats(record["time"], f"{where}.time")
    if record["ranks"] < 1 or record["bytes"] < 0:
        raise PlotError(f"{where}: ranks must be >= 1 and bytes >= 0")
    _check_optional(record, where)


def read_json_object(path):
    """Parses `path` and returns the top-level object if it looks like a ccbench document (has "schema")."""
    try:
        with open(path, encoding="utf-8") as stream:
            raw = json.load(stream)
    except FileNotFoundError:
        raise PlotError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PlotError(f"{path}: is a directory (use --report DIR for a results folder)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PlotError(f"{path}: not ccbench JSON (not valid JSON: {err})") from None
    except OSError as err:
        raise PlotError(f"{path}: cannot read ({err.strerror})") from None
    if not isinstance(raw, dict):
        raise PlotError(f"{path}: not ccbench JSON (top level is not an object)")
    if "schema" not in raw:
        raise PlotError(f'{path}: not ccbench JSON (no "schema" key)')
    if not _is_int(raw["schema"]):
        raise PlotError(f'{path}: not ccbench JSON ("schema" is {_show(raw["schema"])}, not an integer)')
    return raw


def check_schema_versions(raws):
    """All documents of one plot must share one schema version, and it must be one this script knows.

    `raws` is a list of (path, object). Mixed versions are reported first: they usually mean an old file
    lying next to new ones, which is the more useful thing to say.
    """
    versions = {}
    for path, raw in raws:
        versions.setdefault(raw["schema"], path)
    if len(versions) > 1:
        listed = ", ".join(f"{p} has {v}" for v, p in sorted(versions.items()))
        raise PlotError(f"mixed schema versions ({listed}); plot documents of one version at a time")
    for version, path in versions.items():
        if version != SUPPORTED_SCHEMA:
            raise PlotError(f"{path}: schema version {version} is not supported (this script reads "
                            f"{SUPPORTED_SCHEMA})")


def _build_cluster(path, raw):
    if not isinstance(raw.get("links"), dict):
        raise PlotError(f'{path}: cluster description without a "links" object')
    return Document(path=path, schema=raw["schema"], kind=CLUSTER_KIND, context={}, config={}, records=[],
                    cluster=raw)


def build_document(path, raw):
    """Validates one parsed document (schema already checked) and wraps it."""
    kind = raw.get("kind")
    if kind == CLUSTER_KIND:
        return _build_cluster(path, raw)
    if kind not in RESULT_KINDS:
        raise PlotError(f'{path}: not ccbench JSON ("kind" is {_show(kind)}, expected one of '
                        f'{", ".join(RESULT_KINDS)})')
    _check_fields(raw, {"context": _OBJ}, path)
    if not isinstance(raw.get("records"), list):
        raise PlotError(f'{path}: not ccbench JSON ("records" missing or not a list)')
    for key in ("config", "summary"):
        if key in raw and not isinstance(raw[key], dict):
            raise PlotError(f'{path}: "{key}" must be an object, got {_show(raw[key])}')
    for index, record in enumerate(raw["records"]):
        _check_record(record, kind, f"{path}: records[{index}]")
    return Document(path=path, schema=raw["schema"], kind=kind, context=raw["context"],
                    config=raw.get("config", {}), records=raw["records"], summary=raw.get("summary", {}))


def load_documents(paths):
    """Reads, version-checks and validates every path; raises PlotError on the first problem."""
    raws = [(path, read_json_object(path)) for path in paths]
    check_schema_versions(raws)
    return [build_document(path, raw) for path, raw in raws]


def require_results(docs, where):
    """An empty results set (no records in any result document) is an error, not an empty plot."""
    if not any(doc.records for doc in docs):
        kinds = "measured, predicted or comparison"
        raise PlotError(f"{where}: no results to plot (no {kinds} records)")
