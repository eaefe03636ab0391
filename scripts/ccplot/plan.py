"""Which figures apply to a set of documents, and drawing them into an AtomicBatch."""

from dataclasses import dataclass
from typing import Callable

from . import fig_error, fig_points, fig_ps, style
from .describe import collective_title
from .series import all_algos, records_of


@dataclass
class FigureSpec:
    suffix: str         # file name part: "allreduce.busbw", "ps.staleness"
    caption: str        # one line for the report
    render: Callable    # () -> matplotlib figure


def _collective_specs(docs, collective, colours):
    name = collective_title(collective)
    specs = []
    points = records_of(docs, "measured", collective) + records_of(docs, "predicted", collective)
    if collective != "ps" and fig_points.has_bandwidth_panels(docs, collective):
        specs.append(FigureSpec(f"{collective}.busbw", f"{name}: bus bandwidth vs message size",
                                lambda: fig_points.bandwidth_figure(docs, collective, colours)))
    if collective != "ps" and points:
        specs.append(FigureSpec(f"{collective}.time", f"{name}: time vs message size",
                                lambda: fig_points.time_figure(docs, collective, colours)))
    if records_of(docs, "comparison", collective):
        specs.append(FigureSpec(f"{collective}.error", f"{name}: prediction error vs message size",
                                lambda: fig_error.error_figure(docs, collective, colours)))
    return specs


def _ps_specs(docs):
    pairs, _ = fig_ps.ps_records(docs)
    specs = []
    if pairs:
        specs.append(FigureSpec("ps.step_time", "Parameter server: step time per mode",
                                lambda: fig_ps.step_time_figure(docs)))
    if any("staleness_histogram" in rec for _, rec in pairs):
        specs.append(FigureSpec("ps.staleness", "Parameter server: staleness histogram",
                                lambda: fig_ps.staleness_figure(docs)))
    if any("idle_time" in rec for _, rec in pairs):
        specs.append(FigureSpec("ps.idle_time", "Parameter server: worker idle time",
                                lambda: fig_ps.idle_time_figure(docs)))
    return specs


def plan_figures(docs):
    """Every figure the documents support, in a fixed order (collectives alphabetically, then ps)."""
    colours = style.colour_map(all_algos(docs))
    collectives = sorted({rec["collective"] for doc in docs for rec in doc.records})
    specs = [spec for c in collectives for spec in _collective_specs(docs, c, colours)]
    return specs + _ps_specs(docs)


def render(specs, batch, base, formats):
    """Draws each spec to base.<suffix>.<format> (temporary until the batch commits).

    Returns [(spec, [final paths])].
    """
    return [(spec, style.save(spec.render(), batch, f"{base}.{spec.suffix}", formats)) for spec in specs]
