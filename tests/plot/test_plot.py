#!/usr/bin/env python3
"""Tests of scripts/plot.py against the small fixture documents in tests/plot/fixtures.

Covers: the images a set of documents produces (exist, non-empty, 1280x720 PNG / 12.8x7.2 in SVG), what the
figures say (bound and its source, titles), the report (links every image, every link resolves, summary
tables), and every bad-input path (one line, exit 1, nothing written). matplotlib is required: the set-up
installs it, so its absence is a failure, not a skip.
"""

import contextlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
SCRIPTS = os.path.normpath(os.path.join(HERE, "..", "..", "scripts"))
PLOT = os.path.join(SCRIPTS, "plot.py")
sys.path.insert(0, SCRIPTS)

try:
    import matplotlib  # noqa: F401  (only checking it is there)
except ImportError:
    sys.exit("FAIL: matplotlib is not installed; run `python3 -m pip install matplotlib` (README set-up)")

from ccplot import bounds, cli, describe, docs, fig_points, plan, report  # noqa: E402

ALLREDUCE_FILES = ["tbf.k2.json", "tbf.k4.json", "tbf.predicted.json", "tbf.compare.json"]
PS_FILES = ["ps-tbf.json", "ps-tbf.predicted.json"]
ALLREDUCE_IMAGES = ["tbf.allreduce.busbw", "tbf.allreduce.time", "tbf.allreduce.error"]
PS_IMAGES = ["ps-tbf.ps.step_time", "ps-tbf.ps.staleness", "ps-tbf.ps.idle_time"]


def fixture(name):
    return os.path.join(FIXTURES, name)


def png_size(path):
    """(width, height) from the PNG header, checking the signature and the IHDR chunk."""
    with open(path, "rb") as stream:
        head = stream.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise AssertionError(f"{path}: not a PNG")
    return struct.unpack(">II", head[16:24])


def svg_size(path):
    root = ElementTree.parse(path).getroot()
    return root.get("width"), root.get("height")


def run_main(argv):
    """Runs the CLI in-process; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(argv)
        except SystemExit as exit_:
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


class Links(HTMLParser):
    """Collects img src and a href of a page."""

    def __init__(self):
        super().__init__()
        self.images, self.links = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "a" and not attrs["href"].startswith("#"):
            self.links.append(attrs["href"])


class TempDirCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ccplot-test-")
        self.addCleanup(shutil.rmtree, self.tmp)

    def write_json(self, name, value, folder=None):
        path = os.path.join(folder or self.tmp, name)
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(value if isinstance(value, str) else json.dumps(value))
        return path


class ImagesTest(unittest.TestCase):
    """All fixtures plotted once through the real command line (a subprocess, no display)."""

    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.mkdtemp(prefix="ccplot-images-")
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
        for files in (ALLREDUCE_FILES, PS_FILES):
            result = subprocess.run([sys.executable, PLOT, *map(fixture, files), "-o", cls.out], env=env,
                                    capture_output=True, text=True, timeout=300)
            if result.returncode != 0:
                raise AssertionError(f"plot.py failed: {result.stderr}")
            cls.printed = getattr(cls, "printed", []) + result.stdout.split()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out)

    def test_every_expected_image_exists_with_the_standard_size(self):
        for base in ALLREDUCE_IMAGES + PS_IMAGES:
            png = os.path.join(self.out, base + ".png")
            svg = os.path.join(self.out, base + ".svg")
            self.assertGreater(os.path.getsize(png), 10_000, png)
            self.assertGreater(os.path.getsize(svg), 10_000, svg)
            self.assertEqual(png_size(png), (1280, 720), png)
            self.assertEqual(svg_size(svg), ("921.6pt", "518.4pt"), svg)

    def test_prints_exactly_the_files_it_wrote_and_leaves_no_temporaries(self):
        on_disk = sorted(os.listdir(self.out))
        self.assertEqual(sorted(os.path.basename(p) for p in self.printed), on_disk)
        self.assertEqual(len(on_disk), 2 * len(ALLREDUCE_IMAGES + PS_IMAGES))


class FigureContentTest(unittest.TestCase):
    """What the figures say, inspected on the matplotlib objects."""

    def load(self, *names):
        return docs.load_documents([fixture(n) for n in names])

    def legend_texts(self, fig):
        legends = fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
        return [t.get_text() for legend in legends for t in legend.get_texts()]

    def test_bound_comes_from_the_predicted_documents_cluster(self):
        loaded = self.load("tbf.k2.json", "tbf.k4.json", "tbf.predicted.json")
        fig = fig_points.bandwidth_figure(loaded, "allreduce", {"ring": "r", "mpi": "b", "recursive_doubling": "g"})
        texts = self.legend_texts(fig)
        self.assertIn("link bound 0.0239 GB/s (cluster '4 hosts, 200 Mbit/s tbf' in tbf.predicted)", texts)
        self.assertEqual([ax.get_title() for ax in fig.axes], ["K = 2 ranks", "K = 4 ranks"])
        self.assertIn("measured by ccbench on 4 hosts", fig._suptitle.get_text())
        self.assertIn("'4 hosts, 200 Mbit/s tbf'", fig._suptitle.get_text())

    def test_no_bound_is_said_in_the_legend(self):
        fig = fig_points.bandwidth_figure(self.load("tbf.k2.json"), "allreduce", {"ring": "r", "mpi": "b"})
        self.assertIn("no link bandwidth in the inputs: bound not drawn", self.legend_texts(fig))

    def test_time_figure_has_measured_points_and_predicted_lines(self):
        loaded = self.load("tbf.k2.json", "tbf.predicted.json")
        fig = fig_points.time_figure(loaded, "allreduce", {"ring": "r", "mpi": "b", "recursive_doubling": "g"})
        texts = self.legend_texts(fig)
        self.assertIn("ring measured (median, bar to p99)", texts)
        self.assertIn("ring predicted (closed_form)", texts)
        self.assertEqual(fig.axes[0].get_yscale(), "log")

    def test_plan_skips_what_does_not_apply(self):
        suffixes = [s.suffix for s in plan.plan_figures(self.load("tbf.k2.json"))]
        self.assertEqual(suffixes, ["allreduce.busbw", "allreduce.time"])
        suffixes = [s.suffix for s in plan.plan_figures(self.load("ps-tbf.predicted.json"))]
        self.assertEqual(suffixes, ["ps.step_time"])


class BoundsAndWordsTest(unittest.TestCase):
    CLUSTER = {"ranks_per_host": 2, "links": {"intra_host": {"bandwidth_GBps": 8.0},
                                              "inter_host": {"bandwidth_GBps": 1.0}},
               "host_overrides": [{"host": 2, "bandwidth_GBps": 0.5}]}

    def test_slowest_link_crossed(self):
        self.assertEqual(bounds.cluster_link_gbps(self.CLUSTER, 2), 8.0)   # one host
        self.assertEqual(bounds.cluster_link_gbps(self.CLUSTER, 4), 1.0)   # hosts 0, 1
        self.assertEqual(bounds.cluster_link_gbps(self.CLUSTER, 6), 0.5)   # host 2 is slow

    def test_run_config_bound_wins(self):
        doc = docs.Document(path="x/run.json", schema=1, kind="measured", context={},
                            config={"link_bandwidth_GBps": 1.25}, records=[])
        self.assertEqual(bounds.find_bound([doc], 4).label(), "link bound 1.25 GB/s (run: link_bandwidth_GBps)")

    def test_sizes_and_times(self):
        self.assertEqual(describe.format_bytes(1024), "1 KiB")
        self.assertEqual(describe.format_bytes(16 << 20), "16 MiB")
        self.assertEqual(describe.format_time_us(250), "250 µs")
        self.assertEqual(describe.format_time_us(2500), "2.5 ms")


class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.mkdtemp(prefix="ccplot-report-")
        code, stdout, stderr = run_main(["--report", FIXTURES, "-o", cls.out, "--format", "png,svg"])
        if code != 0:
            raise AssertionError(f"--report failed: {stderr}")
        cls.written = stdout.split()
        with open(os.path.join(cls.out, "report.html"), encoding="utf-8") as stream:
            cls.page = stream.read()
        cls.parser = Links()
        cls.parser.feed(cls.page)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out)

    def test_report_links_every_image_and_every_link_resolves(self):
        images = [os.path.relpath(p, self.out) for p in self.written if not p.endswith(".html")]
        self.assertEqual(len(images), 2 * len(ALLREDUCE_IMAGES + PS_IMAGES))
        for image in images:
            self.assertIn(image, self.parser.links, image)
        for target in self.parser.links + self.parser.images:
            self.assertTrue(os.path.isfile(os.path.join(self.out, target)), target)
        self.assertEqual(sorted(self.parser.images), sorted(i for i in images if i.endswith(".png")))

    def test_report_has_the_summary_tables(self):
        with open(fixture("tbf.compare.json"), encoding="utf-8") as stream:
            summary = json.load(stream)["summary"]
        self.assertIn(f"{100 * summary['median_ape']:.1f}%", self.page)
        self.assertIn(f"at {summary['fastest_algo_agreement']['agree']} of", self.page)
        for heading in ("Measured points", "Prediction error", "Parameter server", "Cluster descriptions"):
            self.assertIn(heading, self.page)
        self.assertIn("4 hosts, 200 Mbit/s tbf", self.page)
        self.assertIn("all 8 correct", self.page)

    def test_fixture_folder_is_left_untouched(self):
        self.assertEqual(sorted(f for f in os.listdir(FIXTURES) if not f.endswith(".json")), [])


class BadInputTest(TempDirCase):
    """Every error: exit 1, one line naming the problem, nothing written."""

    def assert_fails(self, argv, *fragments):
        out = os.path.join(self.tmp, "out")
        code, stdout, stderr = run_main(argv + ["-o", out])
        self.assertEqual(code, 1, stderr)
        self.assertEqual(stdout, "")
        self.assertEqual(len(stderr.strip().splitlines()), 1, stderr)
        self.assertTrue(stderr.startswith("plot.py: error: "), stderr)
        for fragment in fragments:
            self.assertIn(fragment, stderr)
        self.assertFalse(os.path.exists(out) and os.listdir(out), "something was written")

    def valid(self, **changes):
        with open(fixture("tbf.k2.json"), encoding="utf-8") as stream:
            doc = json.load(stream)
        doc.update(changes)
        return doc

    def test_not_json(self):
        self.assert_fails([self.write_json("a.json", "ccbench says hi\n")], "a.json", "not valid JSON")

    def test_not_an_object(self):
        self.assert_fails([self.write_json("a.json", [1, 2])], "top level is not an object")

    def test_other_json(self):
        self.assert_fails([self.write_json("bench.json", {"context": {}, "benchmarks": []})], 'no "schema" key')

    def test_unknown_kind(self):
        self.assert_fails([self.write_json("a.json", self.valid(kind="timings"))], '"kind" is "timings"')

    def test_record_missing_a_field(self):
        doc = self.valid()
        del doc["records"][3]["bytes"]
        self.assert_fails([self.write_json("a.json", doc)], "records[3]", 'missing "bytes"')

    def test_record_with_a_wrong_type(self):
        doc = self.valid()
        doc["records"][0]["time"]["median"] = "fast"
        self.assert_fails([self.write_json("a.json", doc)], "records[0].time", '"median" must be a number')

    def test_bad_staleness_histogram(self):
        doc = self.valid()
        doc["records"][0]["staleness_histogram"] = {"-1": 3}
        self.assert_fails([self.write_json("a.json", doc)], "staleness_histogram")

    def test_mixed_schema_versions(self):
        old = self.write_json("old.json", self.valid())
        new = self.write_json("new.json", self.valid(schema=2))
        self.assert_fails([old, new], "mixed schema versions", "old.json has 1", "new.json has 2")

    def test_unsupported_schema_version(self):
        self.assert_fails([self.write_json("a.json", self.valid(schema=2))], "schema version 2 is not supported")

    def test_empty_results_set(self):
        self.assert_fails([self.write_json("a.json", self.valid(records=[]))], "no results to plot")

    def test_only_a_cluster_description(self):
        self.assert_fails([fixture("cluster-tbf4.json")], "no results to plot")

    def test_missing_file(self):
        self.assert_fails([os.path.join(self.tmp, "nope.json")], "nope.json: no such file")

    def test_folder_given_as_file(self):
        self.assert_fails([FIXTURES], "use --report")

    def test_bad_format(self):
        self.assert_fails([fixture("tbf.k2.json"), "--format", "png,gif"], "unknown format gif")

    def test_bad_name(self):
        self.assert_fails([fixture("tbf.k2.json"), "--name", "../x"], "--name")

    def test_report_of_an_empty_folder(self):
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        self.assert_fails(["--report", empty], "no JSON documents found")

    def test_report_of_a_folder_without_results(self):
        folder = os.path.join(self.tmp, "clusters")
        os.mkdir(folder)
        shutil.copy(fixture("cluster-tbf4.json"), folder)
        self.assert_fails(["--report", folder], "no results to plot")

    def test_report_with_one_bad_file(self):
        folder = os.path.join(self.tmp, "results")
        shutil.copytree(FIXTURES, folder)
        self.write_json("notes.json", {"todo": 1}, folder)
        self.assert_fails(["--report", folder], "notes.json", 'no "schema" key')
        self.assertEqual(sorted(os.listdir(folder)), sorted(os.listdir(FIXTURES) + ["notes.json"]))

    def test_report_of_a_missing_folder(self):
        self.assert_fails(["--report", os.path.join(self.tmp, "nowhere")], "not a folder")

    def test_output_folder_is_a_file(self):
        blocker = self.write_json("blocker", "x")
        code, _, stderr = run_main([fixture("tbf.k2.json"), "-o", blocker, "--format", "png"])
        self.assertEqual(code, 1)
        self.assertIn("cannot write", stderr)
        self.assertEqual(len(stderr.strip().splitlines()), 1)

    def test_command_line_misuse_exits_2(self):
        self.assertEqual(run_main([])[0], 2)
        self.assertEqual(run_main([fixture("tbf.k2.json"), "--report", FIXTURES])[0], 2)

    def test_real_command_line_prints_one_line(self):
        bad = self.write_json("a.json", "{")
        result = subprocess.run([sys.executable, PLOT, bad, "-o", self.tmp], capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stderr, re.compile(r"^plot\.py: error: .*a\.json: not ccbench JSON.*\n$"))


class NoPartialImagesTest(TempDirCase):
    """A failure while drawing (after some images were already rendered) leaves nothing behind."""

    def test_failure_midway_leaves_no_file(self):
        original = plan.fig_error.error_figure

        def broken(*_args):
            raise RuntimeError("drawing failed")

        plan.fig_error.error_figure = broken
        self.addCleanup(setattr, plan.fig_error, "error_figure", original)
        out = os.path.join(self.tmp, "out")
        with self.assertRaises(RuntimeError):  # busbw and time were drawn before the error figure failed
            cli.plot_files([fixture(n) for n in ALLREDUCE_FILES], out, ["png", "svg"])
        self.assertEqual(os.listdir(out), [])

    def test_report_failure_midway_leaves_no_file(self):
        original = report.render_html
        report.render_html = lambda *_args: (_ for _ in ()).throw(RuntimeError("page failed"))
        self.addCleanup(setattr, report, "render_html", original)
        out = os.path.join(self.tmp, "out")
        with self.assertRaises(RuntimeError):
            report.build_report(FIXTURES, out, ["png"])
        self.assertEqual(os.listdir(out), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
