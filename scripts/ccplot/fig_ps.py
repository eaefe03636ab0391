"""Parameter-server figures (records with collective "ps"): step time per mode, staleness histograms and
worker idle time. Each applies only when its keys are present ("step_time" falls back to "time").

Bars are grouped by mode (sync ... async), one bar per configuration (ranks, size); the bar is the median
and the whisker reaches the p99. Predicted step times, when given next to measured ones, are black ticks.
"""

from . import style
from .describe import describe_where, mode_sort_key, time_unit
from .series import config_label, records_of


def record_mode(rec):
    """The mode of a parameter-server record ("sync", "ssp", "async", ...); the algorithm name if absent."""
    return rec.get("mode", rec["algo"])


def ps_records(docs):
    """The records the bars are drawn from: measured ones, or predicted ones when nothing was measured."""
    measured = records_of(docs, "measured", "ps")
    return (measured, "measured") if measured else (records_of(docs, "predicted", "ps"), "predicted")


def _labeller(pairs):
    with_algo = len({rec["algo"] for _, rec in pairs}) > 1
    return lambda rec: config_label(rec, with_algo)


def _ordered_configs(pairs, label):
    ordered = sorted(pairs, key=lambda p: (p[1]["algo"], p[1]["ranks"], p[1]["bytes"]))
    return list(dict.fromkeys(label(rec) for _, rec in ordered))


def _stats(rec, key):
    stats = rec.get(key)
    return stats if stats is not None or key != "step_time" else rec["time"]


def _bar_offsets(count):
    width = 0.8 / count
    return width, [(j - (count - 1) / 2) * width for j in range(count)]


def _grouped_bars(ax, pairs, key):
    """Bars of `key` stats by mode and configuration; returns {(mode, config): x} and the time unit used."""
    label = _labeller(pairs)
    modes = sorted({record_mode(rec) for _, rec in pairs}, key=mode_sort_key)
    configs = _ordered_configs(pairs, label)
    values = {(record_mode(rec), label(rec)): _stats(rec, key) for _, rec in pairs if _stats(rec, key)}
    divisor, unit = time_unit(max(s.get("p99", s["median"]) for s in values.values()))
    width, offsets = _bar_offsets(len(configs))
    positions = {}
    for j, config in enumerate(configs):
        keys = [(m, config) for m in modes if (m, config) in values]
        xs = [modes.index(m) + offsets[j] for m, _ in keys]
        medians = [values[k]["median"] / divisor for k in keys]
        upper = [max(values[k].get("p99", values[k]["median"]) / divisor - v, 0) for k, v in zip(keys, medians)]
        ax.bar(xs, medians, width * 0.92, yerr=[[0] * len(xs), upper], capsize=4,
               color=style.PALETTE[j % len(style.PALETTE)], label=config)
        positions.update(zip(keys, xs))
    ax.set_xticks(range(len(modes)), modes)
    ax.set_xlabel("mode")
    ax.grid(axis="x", visible=False)
    return positions, divisor, unit


def _draw_predicted(ax, docs, positions, divisor, label):
    drawn = False
    for _, rec in records_of(docs, "predicted", "ps"):
        x = positions.get((record_mode(rec), label(rec)))
        if x is not None:
            ax.plot([x], [_stats(rec, "step_time")["median"] / divisor], marker="D", markersize=9,
                    markeredgecolor="white", color="black", linestyle="", zorder=4,
                    label=None if drawn else "predicted (ccsim)")
            drawn = True


def _bar_figure(docs, key, what):
    pairs, source = ps_records(docs)
    pairs = [(doc, rec) for doc, rec in pairs if _stats(rec, key)]
    fig, (ax,) = style.new_figure(1)
    positions, divisor, unit = _grouped_bars(ax, pairs, key)
    if source == "measured" and key == "step_time":
        _draw_predicted(ax, docs, positions, divisor, _labeller(pairs))
    ax.set_ylabel(f"{what} ({unit}); bar: median, whisker: p99")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", title="configuration")
    kinds = ("measured", "predicted") if key == "step_time" else (source,)
    style.set_title(fig, f"Parameter server: {what} per mode ({source})", describe_where(docs, kinds))
    return fig


def step_time_figure(docs):
    return _bar_figure(docs, "step_time", "step time")


def idle_time_figure(docs):
    return _bar_figure(docs, "idle_time", "worker idle time")


def _draw_histograms(ax, pairs, label, configs):
    width, offsets = _bar_offsets(len(configs))
    for _, rec in pairs:
        histogram = {int(s): c for s, c in rec["staleness_histogram"].items()}
        total = sum(histogram.values()) or 1
        j = configs.index(label(rec))
        xs = sorted(histogram)
        ax.bar([x + offsets[j] for x in xs], [100 * histogram[x] / total for x in xs], width * 0.92,
               color=style.PALETTE[j % len(style.PALETTE)], label=f"{label(rec)} ({total:,.0f} updates)")


def staleness_figure(docs):
    """One panel per mode: share of applied updates by staleness (how many versions behind they were)."""
    pairs, source = ps_records(docs)
    pairs = [p for p in pairs if "staleness_histogram" in p[1]]
    label = _labeller(pairs)
    configs = _ordered_configs(pairs, label)
    modes = sorted({record_mode(rec) for _, rec in pairs}, key=mode_sort_key)
    highest = max([1] + [int(k) for _, rec in pairs for k in rec["staleness_histogram"]])
    fig, axes = style.new_figure(len(modes))
    for ax, mode in zip(axes, modes):
        of_mode = [p for p in pairs if record_mode(p[1]) == mode]
        _draw_histograms(ax, of_mode, label, configs)
        dropped = sum(rec.get("dropped_pushes", 0) for _, rec in of_mode)
        ax.set_title(f"mode: {mode}" + (f" ({dropped:,.0f} pushes dropped)" if dropped else ""))
        ax.set_xlabel("staleness (server versions behind when applied)")
        ax.set_xlim(-0.6, highest + 0.6)  # one staleness range for all panels, so they compare
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(axis="x", visible=False)
        ax.legend(loc="upper right")
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel("share of updates (%)")
    style.set_title(fig, "Parameter server: staleness of applied updates", describe_where(docs, (source,)))
    return fig
