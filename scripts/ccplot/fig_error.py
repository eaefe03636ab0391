"""Prediction error vs size from comparison documents: signed percent per point, with the median and p90 of
the absolute error marked as symmetric lines (so "how far off, typically and at worst" reads at a glance)."""

import math
import statistics

from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from . import style
from .describe import collective_title, describe_where
from .series import group_series, rank_counts, records_of


def nearest_rank(sorted_values, percent):
    """Nearest-rank percentile, the definition ccbench's stats use (src/core/stats.h)."""
    index = max(math.ceil(percent / 100 * len(sorted_values)) - 1, 0)
    return sorted_values[index]


def error_stats(pairs):
    """(median, p90) of |rel_error| as fractions. When the points are exactly one comparison document's, its
    own summary is used, so the figure and ccsim's summary table print the same numbers."""
    docs = {id(doc): doc for doc, _ in pairs}
    if len(docs) == 1:
        doc = next(iter(docs.values()))
        if len(doc.records) == len(pairs) and {"median_ape", "p90_ape"} <= doc.summary.keys():
            return doc.summary["median_ape"], doc.summary["p90_ape"]
    apes = sorted(abs(rec["rel_error"]) for _, rec in pairs)
    return statistics.median(apes), nearest_rank(apes, 90)


def _draw_series(ax, recs, colour, marker):
    sizes = [r["bytes"] for r in recs]
    errors = [100 * r["rel_error"] for r in recs]
    ax.plot(sizes, errors, color=colour, linewidth=1, alpha=0.5)
    faces = ["none" if r.get("regime") == "latency" else colour for r in recs]
    ax.scatter(sizes, errors, marker=marker, s=45, facecolors=faces, edgecolors=colour, linewidths=1.5,
               zorder=3)


def _legend(ax, series_handles, pairs):
    handles = list(series_handles)
    if any("regime" in rec for _, rec in pairs):
        handles.append(Line2D([], [], marker="o", color="grey", linestyle="", label="filled: bandwidth regime"))
        handles.append(Line2D([], [], marker="o", color="grey", markerfacecolor="none", linestyle="",
                              label="hollow: latency regime"))
    handles += [h for h in ax.get_lines() if not h.get_label().startswith("_")]
    ax.legend(handles=handles, loc="best", ncols=2)


def error_figure(docs, collective, colours):
    pairs = records_of(docs, "comparison", collective)
    ranks = rank_counts(pairs)
    fig, axes = style.new_figure(1)
    ax = axes[0]
    handles = []
    for (algo, k, source), recs in group_series(pairs, lambda r: (r["algo"], r["ranks"])).items():
        marker = style.MARKERS[ranks.index(k) % len(style.MARKERS)]
        _draw_series(ax, recs, colours[algo], marker)
        label = f"{algo}, K={k}" + (f" [{source}]" if source else "")
        handles.append(Line2D([], [], color=colours[algo], marker=marker, label=label))
    median, p90 = error_stats(pairs)
    ax.axhline(0, color="black", linewidth=1)
    for value, line, name in ((median, ":", "median"), (p90, "--", "p90")):
        ax.axhline(100 * value, color="dimgray", linestyle=line, linewidth=1.5,
                   label=f"± {name} |error| = {100 * value:.1f}%")
        ax.axhline(-100 * value, color="dimgray", linestyle=line, linewidth=1.5)
    limit = 115 * max([abs(r["rel_error"]) for _, r in pairs] + [p90, 0.01])
    ax.set_ylim(-limit, limit)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+.3g}%" if v else "0%"))
    ax.set_ylabel("prediction error, (predicted − measured) / measured")
    style.size_axis(ax, [rec["bytes"] for _, rec in pairs])
    _legend(ax, handles, pairs)
    main = f"{collective_title(collective)}: prediction error vs message size ({len(pairs)} points)"
    style.set_title(fig, main, describe_where(docs))
    return fig
