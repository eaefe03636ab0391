"""--report: one HTML page for a whole results folder.

Every JSON document under the folder is read and validated first (any bad file stops the report). Files of
one run share a name up to the first dot in the same folder (tbf.k2.json, tbf.predicted.json,
tbf.compare.json -> run "tbf"); each run gets its figures (the same files FILE mode would write, next to its
JSON when the output folder is the results folder) and tables: where and how it ran, measured peaks and
correctness, comparison summaries, parameter-server modes. Cluster descriptions get a table of their own.
The page and its images are committed together (see output.AtomicBatch).
"""

import html
import os
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone

from . import plan
from .bounds import find_bound
from .describe import describe_where, format_bytes, format_time_us, mode_sort_key
from .docs import CLUSTER_KIND, load_documents, require_results
from .errors import PlotError
from .fig_ps import record_mode
from .output import AtomicBatch
from .series import records_of

REPORT_NAME = "report.html"

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1320px; color: #222; }
h1 { font-size: 1.5em; } h2 { border-bottom: 2px solid #ccc; margin-top: 2em; } h3 { margin-bottom: .3em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td code { font-size: .85em; word-break: break-all; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: .9em; color: #444; } .warn { color: #a00; font-weight: bold; }
"""


class Raw(str):
    """Table cell content that is already HTML (not escaped again)."""


class Num(str):
    """A right-aligned numeric cell."""


def _cell(value):
    text = value if isinstance(value, Raw) else html.escape(str(value))
    return f'<td class="num">{text}</td>' if isinstance(value, Num) else f"<td>{text}</td>"


def table(headers, rows):
    """An HTML table; cells are escaped unless wrapped in Raw."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>\n" for row in rows)
    return f"<table><tr>{head}</tr>\n{body}</table>\n"


@dataclass
class Run:
    """The documents of one run and the figures drawn for it."""
    folder: str     # relative to the results folder ("" for the top)
    name: str
    docs: list
    figures: list   # [(FigureSpec, [final paths])]

    @property
    def title(self):
        return os.path.join(self.folder, self.name) if self.folder else self.name

    @property
    def anchor(self):
        return html.escape("run-" + "-".join(self.title.split()))


def find_documents(results_dir):
    """Every *.json under `results_dir` (recursively; hidden files and folders skipped), sorted."""
    if not os.path.isdir(results_dir):
        raise PlotError(f"{results_dir}: not a folder")
    found = []
    for folder, subfolders, files in os.walk(results_dir):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        found += [os.path.join(folder, f) for f in sorted(files) if f.endswith(".json") and not f.startswith(".")]
    if not found:
        raise PlotError(f"{results_dir}: no JSON documents found (empty results set)")
    return found


def group_runs(docs, results_dir):
    """{(folder, run name): [documents]} in file order; cluster descriptions are left out."""
    runs = OrderedDict()
    for doc in docs:
        if doc.kind != CLUSTER_KIND:
            folder = os.path.relpath(os.path.dirname(doc.path), results_dir)
            runs.setdefault(("" if folder == "." else folder, doc.run_name), []).append(doc)
    return runs


def _context_rows(docs):
    rows = []
    for doc in docs:
        c = doc.context
        hosts = ", ".join(c.get("hosts", [])) or "-"
        env = " ".join(f"{k}={v}" for k, v in (c.get("env") or {}).items()) or "-"
        over = Raw('<span class="warn">yes: times measure the scheduler</span>') if c.get("oversubscribed") else "no"
        rows.append([os.path.basename(doc.path), doc.kind, f"{c.get('tool', '?')} {c.get('version', '')}",
                     c.get("git_revision", "-"), c.get("date", "-"), hosts, Num(c.get("ranks", "-")),
                     c.get("mpi_library") or "-", c.get("device", "-"), env, over, Num(len(doc.records)),
                     Raw(f"<code>{html.escape(str(c.get('command', '')))}</code>")])
    return rows


def _context_table(docs):
    headers = ["file", "kind", "tool", "git", "date", "hosts", "ranks", "MPI", "device", "env", "oversubscribed",
               "records", "command"]
    return table(headers, _context_rows(docs))


def _correctness(recs):
    checked = [r.get("nwrong", -1) for r in recs if r.get("nwrong", -1) >= 0]
    if not checked:
        return "not checked"
    wrong = sum(checked)
    return Raw(f'<span class="warn">{wrong:,} wrong elements</span>') if wrong else f"all {len(checked)} correct"


def _of_bound(docs, peak):
    bound = find_bound(docs, peak["ranks"]) if "bus_bw" in peak else None
    return Num(f"{100 * peak['bus_bw'] / bound.gbps:.0f}% of {bound.gbps:.3g}") if bound else Num("-")


def _measured_rows(docs, pairs):
    groups = OrderedDict()
    for _, rec in sorted(pairs, key=lambda p: (p[1]["collective"], p[1]["algo"], p[1]["ranks"], p[1]["bytes"])):
        groups.setdefault((rec["collective"], rec["algo"], rec["ranks"]), []).append(rec)
    rows = []
    for (collective, algo, ranks), recs in groups.items():
        peak = max(recs, key=lambda r: r.get("bus_bw", 0))
        peak_text = f"{peak['bus_bw']:.4g} at {format_bytes(peak['bytes'])}" if "bus_bw" in peak else "-"
        rows.append([collective, algo, Num(ranks), f"{format_bytes(recs[0]['bytes'])} .. "
                     f"{format_bytes(recs[-1]['bytes'])} ({len(recs)})", Num(peak_text),
                     _of_bound(docs, peak), Num(format_time_us(recs[0]["time"]["median"])),
                     Num(format_time_us(recs[-1]["time"]["median"])),
                     _correctness(recs)])
    return rows


def _measured_table(docs):
    pairs = [p for p in records_of(docs, "measured") if p[1]["collective"] != "ps"]
    if not pairs:
        return ""
    headers = ["collective", "algo", "K", "sizes (points)", "peak bus bw (GB/s)", "peak / link bound (GB/s)",
               "median time, smallest", "median time, largest", "results"]
    return "<h3>Measured points</h3>\n" + table(headers, _measured_rows(docs, pairs))


def _percent(summary, key):
    value = summary.get(key)
    return Num(f"{100 * value:.1f}%") if isinstance(value, (int, float)) else Num("-")


def _summary_row(label, summary):
    return [label, Num(summary.get("points", "-"))] + [_percent(summary, k) for k in
                                                        ("median_ape", "p90_ape", "max_ape", "geomean_ape")]


def _comparison_table(docs):
    rows = []
    notes = []
    for doc in docs:
        if doc.kind != "comparison" or not doc.summary:
            continue
        rows.append(_summary_row(f"{doc.stem}: all", doc.summary))
        for regime, summary in (doc.summary.get("by_regime") or {}).items():
            rows.append(_summary_row(f"{doc.stem}: {regime} regime", summary))
        agreement = doc.summary.get("fastest_algo_agreement")
        if isinstance(agreement, dict):
            notes.append(f"{doc.stem}: the fastest algorithm was predicted right at {agreement.get('agree', '?')} "
                         f"of {agreement.get('sizes', '?')} sizes.")
    if not rows:
        return ""
    headers = ["comparison", "points", "median |error|", "p90 |error|", "max |error|", "geomean |error|"]
    paragraphs = "".join(f"<p>{html.escape(n)}</p>\n" for n in notes)
    return "<h3>Prediction error (from ccsim compare)</h3>\n" + table(headers, rows) + paragraphs


def _stat_text(rec, key, which="median"):
    stats = rec.get(key) or (rec["time"] if key == "step_time" else {})
    return Num(format_time_us(stats[which])) if which in stats else Num("-")


def _ps_table(docs):
    pairs = records_of(docs, "measured", "ps") + records_of(docs, "predicted", "ps")
    if not pairs:
        return ""
    pairs.sort(key=lambda p: (p[0].kind, mode_sort_key(record_mode(p[1])), p[1]["ranks"], p[1]["bytes"]))
    rows = [[doc.kind, record_mode(rec), Num(rec["ranks"]), Num(format_bytes(rec["bytes"])),
             _stat_text(rec, "step_time"), _stat_text(rec, "step_time", "p99"),
             _stat_text(rec, "push_time"), _stat_text(rec, "pull_time"),
             Num(f"{rec['updates_per_s']:,.1f}" if "updates_per_s" in rec else "-"),
             Num(f"{rec['dropped_pushes']:,.0f}" if "dropped_pushes" in rec else "-"), _stat_text(rec, "idle_time")]
            for doc, rec in pairs]
    headers = ["kind", "mode", "K", "size", "step (median)", "step (p99)", "push", "pull", "updates/s",
               "dropped pushes", "idle (median)"]
    return "<h3>Parameter server</h3>\n" + table(headers, rows)


def _link_text(link):
    if not isinstance(link, dict):
        return "-"
    return f"{link.get('bandwidth_GBps', '?')} GB/s, {link.get('latency_us', '?')} µs"


def _cluster_table(docs, results_dir):
    clusters = [doc for doc in docs if doc.kind == CLUSTER_KIND]
    if not clusters:
        return ""
    rows = [[os.path.relpath(doc.path, results_dir), doc.cluster.get("name", "-"), Num(doc.cluster.get("ranks", "-")),
             Num(doc.cluster.get("ranks_per_host", "-")), doc.cluster.get("topology", "-"),
             _link_text(doc.cluster["links"].get("intra_host")), _link_text(doc.cluster["links"].get("inter_host")),
             Num(doc.cluster.get("reduce_GBps", "-")), Num(len(doc.cluster.get("host_overrides") or []))]
            for doc in clusters]
    headers = ["file", "name", "ranks", "ranks/host", "topology", "intra-host link", "inter-host link",
               "reduce (GB/s)", "slow hosts"]
    return "<h2>Cluster descriptions</h2>\n" + table(headers, rows)


def _figure_html(spec, finals, outdir):
    links = {os.path.splitext(f)[1][1:]: html.escape(os.path.relpath(f, outdir)) for f in finals}
    shown = links.get("png") or links.get("svg")
    target = links.get("svg") or shown
    others = " · ".join(f'<a href="{href}">{fmt.upper()}</a>' for fmt, href in links.items())
    image = f'<a href="{target}"><img src="{shown}" alt="{html.escape(spec.caption)}"></a>\n' if shown else ""
    return f"<figure>\n{image}<figcaption>{html.escape(spec.caption)} — {others}</figcaption></figure>\n"


def _run_html(run, outdir):
    parts = [f'<h2 id="{run.anchor}">{html.escape(run.title)}</h2>\n',
             f"<p>{html.escape(describe_where(run.docs))}</p>\n", _context_table(run.docs),
             _measured_table(run.docs), _comparison_table(run.docs), _ps_table(run.docs)]
    parts += [_figure_html(spec, finals, outdir) for spec, finals in run.figures]
    return "".join(parts)


def render_html(runs, docs, results_dir, outdir):
    """The whole page: title, a table of contents, one section per run, then the cluster descriptions."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    toc = "".join(f'<li><a href="#{r.anchor}">{html.escape(r.title)}</a> ({len(r.figures)} figures)'
                  "</li>\n" for r in runs)
    body = "".join(_run_html(run, outdir) for run in runs)
    title = f"ccbench results: {html.escape(os.path.abspath(results_dir))}"
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>\n'
            f"<style>{_CSS}</style></head><body>\n<h1>{title}</h1>\n"
            f"<p>{len(docs)} documents, {len(runs)} runs; written by scripts/plot.py --report on {now}. "
            "Click an image for its full-size file.</p>\n"
            f"<ul>{toc}</ul>\n{body}{_cluster_table(docs, results_dir)}</body></html>\n")


def build_report(results_dir, outdir, formats):
    """Plots every run under `results_dir` into `outdir` and writes outdir/report.html; returns the paths."""
    docs = load_documents(find_documents(results_dir))
    require_results(docs, results_dir)
    with AtomicBatch() as batch:
        runs = []
        for (folder, name), run_docs in group_runs(docs, results_dir).items():
            if any(doc.records for doc in run_docs):
                base = os.path.join(outdir, folder, name)
                figures = plan.render(plan.plan_figures(run_docs), batch, base, formats)
                runs.append(Run(folder, name, run_docs, figures))
        page = render_html(runs, docs, results_dir, outdir)
        path = batch.temp_path(os.path.join(outdir, REPORT_NAME))
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(page)
        return batch.commit()
