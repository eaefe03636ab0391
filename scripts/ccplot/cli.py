"""Command line of scripts/plot.py.

    plot.py FILE... [-o OUTDIR] [--format png,svg] [--name PREFIX]
    plot.py --report RESULTS_DIR [-o OUTDIR] [--format png,svg]

Input errors print one line ("plot.py: error: ...") and exit 1 (2 for a malformed command line); nothing is
written unless every figure was drawn.
"""

import argparse
import os
import sys

from .docs import load_documents, require_results
from .errors import PlotError
from .output import AtomicBatch

FORMATS = ("png", "svg", "pdf")

_DESCRIPTION = """Plots ccbench (measured), ccsim predict (predicted) and ccsim compare (comparison) JSON:
bus bandwidth and time vs message size, prediction error, parameter-server step time, staleness and idle
time. With --report, plots every run of a results folder and writes report.html."""


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="plot.py", description=_DESCRIPTION)
    parser.add_argument("files", nargs="*", metavar="FILE", help="ccbench/ccsim JSON documents, plotted together")
    parser.add_argument("--report", metavar="RESULTS_DIR", help="plot every run under RESULTS_DIR and write "
                        "report.html (files RUN.json, RUN.*.json form one run)")
    parser.add_argument("-o", "--outdir", help="output folder (default: the first FILE's folder, or RESULTS_DIR)")
    parser.add_argument("--format", default="png,svg", help="comma-separated image formats: png, svg, pdf "
                        "(default: png,svg)")
    parser.add_argument("--name", help="file name prefix of the images in FILE mode (default: the run name, "
                        "i.e. the input file names up to their first dot)")
    args = parser.parse_args(argv)
    if args.report and args.files:
        parser.error("give FILE... or --report RESULTS_DIR, not both")
    if not args.report and not args.files:
        parser.error("nothing to plot: give FILE... or --report RESULTS_DIR")
    return args


def parse_formats(text):
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise PlotError(f"--format: unknown format {unknown[0] if unknown else repr(text)!s} "
                        f"(choose from {', '.join(FORMATS)})")
    return list(dict.fromkeys(formats))


def default_prefix(docs):
    """The run name(s) of the inputs: "tbf" for tbf.k2.json + tbf.predicted.json, "a+b" for a.json + b.json."""
    return "+".join(dict.fromkeys(doc.run_name for doc in docs))


def _check_name(name):
    if not name or os.sep in name or name.startswith("."):
        raise PlotError(f"--name: {name!r} must be a plain file name prefix (no '/', not starting with '.')")
    return name


def plot_files(paths, outdir, formats, name=None):
    """FILE mode: validates every input, draws every figure that applies, then renames them all into place."""
    docs = load_documents(paths)
    require_results(docs, paths[0] if len(paths) == 1 else f"{len(paths)} files")
    prefix = _check_name(name) if name is not None else default_prefix(docs)
    outdir = outdir or os.path.dirname(paths[0]) or "."
    from . import plan  # matplotlib is imported only once the input is known to be good
    with AtomicBatch() as batch:
        plan.render(plan.plan_figures(docs), batch, os.path.join(outdir, prefix), formats)
        return batch.commit()


def main(argv):
    args = parse_args(argv)
    try:
        formats = parse_formats(args.format)
        if args.report:
            from .report import build_report
            written = build_report(args.report, args.outdir or args.report, formats)
        else:
            written = plot_files(args.files, args.outdir, formats, args.name)
    except PlotError as err:
        print(f"plot.py: error: {err}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0
