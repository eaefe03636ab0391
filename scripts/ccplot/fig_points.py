"""Per-size figures of measured and predicted points: bus bandwidth vs size and time vs size.

One panel per rank count K, one colour per algorithm (the same in every figure); measured values are points
(bandwidth: joined by a line), predictions are lines (dashed: closed form, solid: replay over the link model).
When dtype, op or in-place vary, each variant gets its own marker.
"""

from dataclasses import dataclass

from . import style
from .bounds import find_bound
from .describe import collective_title, describe_where
from .series import (group_series, oversubscribed_ranks, panel_title, rank_counts, records_of, series_label,
                     variant_fields, variant_label)

_MODEL_STYLE = {"closed_form": "--", "replay": "-"}


@dataclass
class Panel:
    """What one K panel draws: its axes, the records of that K, and the per-figure style choices."""
    ax: object
    ranks: int
    measured: list     # (doc, record) pairs
    predicted: list
    fields: list       # variant fields that vary across the figure
    markers: dict      # variant label -> marker
    colours: dict      # algorithm -> colour

    def measured_series(self):
        """{(algo, variant, source): records sorted by size}"""
        return group_series(self.measured, lambda r: (r["algo"], variant_label(r, self.fields)))

    def predicted_series(self):
        """{(algo, variant, model, source): records sorted by size}"""
        return group_series(self.predicted,
                            lambda r: (r["algo"], variant_label(r, self.fields), r.get("model", "")))

    def predicted_line(self, recs, key, values):
        algo, variant, model, source = key
        label = series_label(algo, f"predicted ({model})" if model else "predicted", variant, source)
        marker = self.markers[variant] if len(self.markers) > 1 else None
        self.ax.plot([r["bytes"] for r in recs], values, color=self.colours[algo], marker=marker, markersize=4,
                     linestyle=_MODEL_STYLE.get(model, "--"), label=label)


def _panels(docs, collective, colours, spec):
    """Lays out one panel per rank count (K=1 left out when spec["min_ranks"] says so) and calls
    spec["draw"](panel) for each."""
    measured = records_of(docs, "measured", collective, spec["require"])
    predicted = records_of(docs, "predicted", collective, spec["require"])
    ranks = [k for k in rank_counts(measured + predicted) if k >= spec["min_ranks"]]
    fields = variant_fields(measured + predicted)
    variants = sorted({variant_label(rec, fields) for _, rec in measured + predicted})
    markers = {v: style.MARKERS[i % len(style.MARKERS)] for i, v in enumerate(variants)}
    oversubscribed = oversubscribed_ranks(docs)
    fig, axes = style.new_figure(len(ranks))
    for ax, k in zip(axes, ranks):
        spec["draw"](Panel(ax, k, [p for p in measured if p[1]["ranks"] == k],
                           [p for p in predicted if p[1]["ranks"] == k], fields, markers, colours))
        style.size_axis(ax, [rec["bytes"] for _, rec in measured + predicted])
        ax.set_title(panel_title(k, oversubscribed))
        if not ax.get_subplotspec().is_first_col():
            ax.set_ylabel("")  # the axis is shared: one label per row is enough
    style.legend(fig, axes, spec["legend_loc"])
    style.set_title(fig, f"{collective_title(collective)}: {spec['title']}",
                    describe_where(docs, kinds=("measured", "predicted")))
    return fig


def _draw_bound(panel, docs):
    bound = find_bound(docs, panel.ranks)
    if bound:
        panel.ax.axhline(bound.gbps, color="black", linestyle=":", linewidth=1.6, label=bound.label())
    else:
        panel.ax.plot([], [], " ", label="no link bandwidth in the inputs: bound not drawn")


def has_bandwidth_panels(docs, collective):
    """Bus bandwidth is plotted for K >= 2 only: with one rank nothing crosses a link (bus_bw is 0)."""
    pairs = records_of(docs, "measured", collective, "bus_bw") + records_of(docs, "predicted", collective, "bus_bw")
    return any(rec["ranks"] > 1 for _, rec in pairs)


def bandwidth_figure(docs, collective, colours):
    """Bus bandwidth (GB/s) vs size per algorithm and rank count, with the link bound where one is known."""

    def draw(panel):
        for (algo, variant, source), recs in panel.measured_series().items():
            panel.ax.plot([r["bytes"] for r in recs], [r["bus_bw"] for r in recs], marker=panel.markers[variant],
                          color=colours[algo], label=series_label(algo, "measured", variant, source))
        for key, recs in panel.predicted_series().items():
            panel.predicted_line(recs, key, [r["bus_bw"] for r in recs])
        _draw_bound(panel, docs)
        panel.ax.set_ylim(bottom=0)
        panel.ax.set_ylabel("bus bandwidth (GB/s = 1e9 B/s)")

    # Curves rise to the right, so the lower right corner stays free for the legend.
    return _panels(docs, collective, colours, {"require": "bus_bw", "min_ranks": 2, "draw": draw,
                                               "title": "bus bandwidth vs message size", "legend_loc": "lower right"})


def _draw_measured_times(panel, recs, key):
    algo, variant, source = key
    medians = [r["time"]["median"] for r in recs]
    # The bar goes from the median up to the p99: the tail a user of the collective actually waits for.
    upper = [max(r["time"].get("p99", m) - m, 0.0) for r, m in zip(recs, medians)]
    panel.ax.errorbar([r["bytes"] for r in recs], medians, yerr=[[0.0] * len(recs), upper],
                      fmt=panel.markers[variant], color=panel.colours[algo], capsize=3, elinewidth=1.2,
                      label=series_label(algo, "measured (median, bar to p99)", variant, source))


def time_figure(docs, collective, colours):
    """Time per operation vs size: measured medians as points with a bar to the p99, predictions as lines."""

    def draw(panel):
        for key, recs in panel.measured_series().items():
            _draw_measured_times(panel, recs, key)
        for key, recs in panel.predicted_series().items():
            panel.predicted_line(recs, key, [r["time"]["median"] for r in recs])
        style.time_axis(panel.ax, "time per operation (log scale)")

    # Curves rise to the right, so the upper left corner stays free for the legend.
    return _panels(docs, collective, colours, {"require": None, "min_ranks": 1, "draw": draw,
                                               "title": "time vs message size", "legend_loc": "upper left"})
