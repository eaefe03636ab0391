"""Matplotlib set-up shared by every figure: headless backend, one size, fonts readable on a laptop screen,
stable colours per algorithm, size and time axes with units in their tick labels, atomic saving."""

import math

import matplotlib

matplotlib.use("Agg")  # headless: no display is needed (or wanted) on a cluster node

import matplotlib.pyplot as plt  # noqa: E402  (must follow the backend choice)
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator  # noqa: E402

from .describe import format_bytes, format_time_us, wrap_title  # noqa: E402

# Every image is 1280 x 720 pixels (PNG) / 12.8 x 7.2 inches (SVG): fits a laptop screen at full size.
FIG_SIZE_IN = (12.8, 7.2)
DPI = 100
PIXELS = (1280, 720)

_RC = {
    "font.size": 11, "axes.titlesize": 12, "axes.labelsize": 12, "xtick.labelsize": 10.5,
    "ytick.labelsize": 10.5, "legend.fontsize": 9.5, "figure.titlesize": 13, "axes.grid": True,
    "grid.alpha": 0.3, "lines.linewidth": 1.8, "lines.markersize": 6, "legend.framealpha": 0.85,
    "svg.hashsalt": "ccbench",  # stable SVG ids, so re-plotting the same JSON gives the same file
}
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
            "#7f7f7f", "#bcbd22")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

matplotlib.rcParams.update(_RC)


# Algorithms this suite knows keep one colour in every figure of every run; others take the rest in order.
_KNOWN_ALGOS = ("ring", "mpi", "recursive_doubling", "rabenseifner", "nccl", "ps", "hogwild", "tree")


def colour_map(names):
    """A colour per algorithm name: fixed for known names, then the unused palette entries by sorted name."""
    colours = {name: PALETTE[_KNOWN_ALGOS.index(name)] for name in set(names) if name in _KNOWN_ALGOS}
    spare = [c for c in PALETTE if c not in colours.values()] or list(PALETTE)
    others = sorted(set(names) - set(colours))
    colours.update({name: spare[i % len(spare)] for i, name in enumerate(others)})
    return colours


def _grid_shape(panels):
    if panels <= 2:
        return 1, panels
    columns = 2 if panels <= 4 else 3
    return -(-panels // columns), columns


def new_figure(panels, sharey=True):
    """A figure of the standard size with `panels` axes on a grid (row-major); returns (figure, axes list)."""
    rows, columns = _grid_shape(max(panels, 1))
    fig, grid = plt.subplots(rows, columns, figsize=FIG_SIZE_IN, dpi=DPI, layout="constrained",
                             sharey=sharey, squeeze=False)
    axes = [ax for row in grid for ax in row]
    for ax in axes[panels:]:
        ax.remove()
    return fig, axes[:panels]


def set_title(fig, main, where):
    fig.suptitle(wrap_title(main, where))


def _columns(ax):
    return ax.get_subplotspec().get_gridspec().ncols


def size_axis(ax, sizes, label="message size (bytes, log scale)"):
    """Log2 x axis labelled in binary units ("64 KiB", "16 MiB"), as many ticks as the panel width allows."""
    low = math.floor(math.log2(max(min(sizes), 1)))
    high = math.ceil(math.log2(max(max(sizes), 1)))
    max_ticks = 9 if _columns(ax) <= 2 else 5
    step = max(1, math.ceil((high - low) / (max_ticks - 1)))
    ticks = [2.0 ** e for e in range(low, high + 1, step)]
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: format_bytes(value)))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(2.0 ** (low - 0.4), 2.0 ** (high + 0.4))
    ax.set_xlabel(label)


# About how many legend characters fit across the figure (9.5 pt text on 1280 px), with a handle per entry.
_LEGEND_WIDTH_CHARS = 170
_LEGEND_HANDLE_CHARS = 7


def _legend_columns(labels):
    """The most columns (up to 4) whose widest entries fit across the figure; matplotlib fills column-wise."""
    for columns in range(min(len(labels), 4), 1, -1):
        rows = -(-len(labels) // columns)
        widths = [max(len(label) for label in labels[c * rows:(c + 1) * rows] or [""]) for c in range(columns)]
        if sum(widths) + columns * _LEGEND_HANDLE_CHARS <= _LEGEND_WIDTH_CHARS:
            return columns
    return 1


def legend(fig, axes, loc="best"):
    """One panel: a legend inside it at `loc`. Several: one legend under the figure listing each label once,
    so no legend hides a panel's points."""
    if len(axes) == 1:
        axes[0].legend(loc=loc)
        return
    entries = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    labels = list(entries)
    fig.legend(list(entries.values()), labels, loc="outside lower center", ncols=_legend_columns(labels))


def time_axis(ax, label):
    """Log y axis whose tick labels carry their unit ("100 µs", "10 ms"); 2 and 5 ticks on short ranges."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=12))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: format_time_us(value)))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel(label)


def save(fig, batch, base, formats):
    """Writes `fig` as base.<fmt> for each format through `batch` (temporary names until commit)."""
    finals = []
    try:
        for fmt in formats:
            final = f"{base}.{fmt}"
            metadata = {"Date": None} if fmt in ("svg", "pdf") else {}
            fig.savefig(batch.temp_path(final), format=fmt, dpi=DPI, metadata=metadata)
            finals.append(final)
    finally:
        plt.close(fig)
    return finals
