#!/usr/bin/env python3
"""Plots ccbench / ccsim JSON (schema 1) as PNG and SVG, or a whole results folder as an HTML report.

    scripts/plot.py FILE... [-o OUTDIR] [--format png,svg] [--name PREFIX]
    scripts/plot.py --report RESULTS_DIR [-o OUTDIR]

Needs Python 3 and matplotlib (installed by the README's set-up); runs headless. See `plot.py --help`.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ccplot.cli import main  # noqa: E402  (after the path set-up above)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
