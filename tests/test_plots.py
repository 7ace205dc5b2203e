"""Tests of scripts/plot (plots of link reports and benchmark outputs).

Run by meson (test 'plots') with an interpreter that has matplotlib. Expected values are
written by hand: the fixture report tests/data/plots/report.json was built so that every
weight is log2(m/u) (log2(0.8/0.1) = 3, log2(0.2/0.9) = -2.1699..., prior
log2(0.2/0.8) = -2), and the benchmark figures are read off bench/results/*.txt.
"""
import importlib.machinery
import importlib.util
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET
from contextlib import redirect_stderr

ROOT = os.environ.get("TZNR_SOURCE_ROOT") or os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "plot")
DATA = os.path.join(ROOT, "tests", "data", "plots")
RESULTS = os.path.join(ROOT, "bench", "results")

_loader = importlib.machinery.SourceFileLoader("tznr_plot", SCRIPT)
_spec = importlib.util.spec_from_loader("tznr_plot", _loader)
plot = importlib.util.module_from_spec(_spec)
_loader.exec_module(plot)


def run(*args):
    err = io.StringIO()
    with redirect_stderr(err):
        status = plot.main(list(args))
    return status, err.getvalue()


class Readers(unittest.TestCase):
    def test_report_fixture_is_consistent_by_hand(self):
        rep = plot.read_link_report(os.path.join(DATA, "report.json"))
        self.assertAlmostEqual(rep["prior_match_weight"], math.log2(0.2 / 0.8))
        for fld in rep["fields"]:
            for lv in fld["levels"]:
                if "m" in lv:
                    self.assertAlmostEqual(lv["match_weight"], math.log2(lv["m"] / lv["u"]))

    def test_links_weights(self):
        self.assertEqual(plot.read_link_weights(os.path.join(DATA, "links.csv")),
                         [7.5, 1.5, -1.25])

    def test_bench_dice(self):
        rows = plot.read_bench_dice(os.path.join(RESULTS, "dice.txt"))
        self.assertEqual(len(rows), 21)   # 3 lengths x (baseline + 3 kernels x 2 thread counts)
        r = [x for x in rows if (x["bits"], x["kernel"], x["threads"]) == (1024, "avx512", 1)]
        self.assertEqual(len(r), 1)
        self.assertEqual(r[0]["rate"], 1.805e9)
        self.assertEqual(r[0]["x_baseline"], 11.87)

    def test_bench_scale(self):
        runs = plot.read_bench_scale(os.path.join(RESULTS, "scale.txt"))
        self.assertEqual([(r["n"], r["wall_s"], r["rss_mib"], r["completeness"]) for r in runs],
                         [(100000, 0.68, 75.7, 0.999802), (1000000, 15.83, 714.2, 0.999804)])

    def test_bench_encode(self):
        rows = plot.read_bench_encode(os.path.join(RESULTS, "encode.txt"))
        self.assertEqual(len(rows), 6)
        self.assertEqual((rows[0]["path"], rows[0]["threads"], rows[0]["rate"]),
                         ("memo (values+tokens)", 1, 825582.0))


class Figures(unittest.TestCase):
    def test_link_figure_plots_the_report(self):
        rep = plot.read_link_report(os.path.join(DATA, "report.json"))
        fig = plot.fig_link(rep, [7.5, 1.5, -1.25])
        ax = fig.axes[0]
        widths = [p.get_width() for p in ax.patches]
        # prior, then surname (3 levels), then sex (3 levels), top to bottom
        self.assertEqual(len(widths), 7)
        for got, want in zip(widths, [-2.0, 3.0, math.log2(0.2 / 0.9), 0.0, 0.0, 0.0, 0.0]):
            self.assertAlmostEqual(got, want)
        ticks = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
        self.assertEqual(max(ticks, key=ticks.get), "prior (lambda)")   # the top bar
        self.assertEqual(min(ticks, key=ticks.get), "sex: missing")     # the bottom one
        # m/u panel: one m bar and one u bar per level that has them (4 levels)
        mu = sorted(round(p.get_width(), 6) for p in fig.axes[1].patches)
        self.assertEqual(mu, sorted([0.8, 0.1, 0.2, 0.9, 0.5, 0.5, 0.5, 0.5]))
        # histogram of the three links' weights: counts add up to 3
        self.assertEqual(sum(p.get_height() for p in fig.axes[2].patches), 3)

    def test_bench_dice_figure(self):
        rows = plot.read_bench_dice(os.path.join(RESULTS, "dice.txt"))
        fig = plot.fig_bench_dice(rows)
        heights = sorted(p.get_height() for p in fig.axes[0].patches)
        self.assertEqual(heights, sorted(r["rate"] for r in rows))


class Files(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_svg_and_png(self):
        svg = os.path.join(self.dir, "r.svg")
        st, err = run("link", os.path.join(DATA, "report.json"), "--links",
                      os.path.join(DATA, "links.csv"), "-o", svg)
        self.assertEqual((st, err), (0, ""))
        root = ET.parse(svg).getroot()
        self.assertTrue(root.tag.endswith("svg"))
        with open(svg, encoding="utf-8") as f:
            self.assertIn("Match weights per comparison level", f.read())
        png = os.path.join(self.dir, "d.png")
        self.assertEqual(run("bench-dice", os.path.join(RESULTS, "dice.txt"), "-o", png)[0], 0)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertEqual(sorted(os.listdir(self.dir)), ["d.png", "r.svg"])   # no temp left

    def test_existing_output_needs_force(self):
        out = os.path.join(self.dir, "x.svg")
        with open(out, "w") as f:
            f.write("keep")
        st, err = run("bench-encode", os.path.join(RESULTS, "encode.txt"), "-o", out)
        self.assertEqual(st, 1)
        self.assertIn("exists (use --force", err)
        with open(out) as f:
            self.assertEqual(f.read(), "keep")
        self.assertEqual(run("bench-encode", os.path.join(RESULTS, "encode.txt"), "-o", out,
                             "--force")[0], 0)

    def test_bad_output_name(self):
        st, err = run("bench-scale", os.path.join(RESULTS, "scale.txt"), "-o",
                      os.path.join(self.dir, "x.jpg2"))
        self.assertEqual(st, 1)
        self.assertIn("must end in .svg, .png or .pdf", err)
        self.assertEqual(os.listdir(self.dir), [])

    def test_output_directory_missing_or_link(self):
        st, err = run("bench-dice", os.path.join(RESULTS, "dice.txt"), "-o",
                      os.path.join(self.dir, "nodir", "d.png"))
        self.assertEqual(st, 1)
        self.assertIn("cannot write in", err)
        target = os.path.join(self.dir, "target.png")
        with open(target, "w") as f:
            f.write("keep")
        link = os.path.join(self.dir, "link.png")
        os.symlink(target, link)
        st, err = run("bench-dice", os.path.join(RESULTS, "dice.txt"), "-o", link, "--force")
        self.assertEqual(st, 1)
        self.assertIn("is not a regular file", err)
        self.assertTrue(os.path.islink(link))
        with open(target) as f:
            self.assertEqual(f.read(), "keep")

    def _write(self, name, text):
        p = os.path.join(self.dir, name)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        return p

    def test_malformed_inputs_name_file_and_place(self):
        out = os.path.join(self.dir, "o.svg")
        cases = [
            (["link", self._write("a.json", '{"lambda": 0.1, "prior_match_weight": -3}')],
             "a.json: not a tznr link report: no \"fields\""),
            (["link", self._write("b.json", "{not json")], "b.json: not a JSON report"),
            (["link", self._write("c.json", '{"lambda": 0.1, "prior_match_weight": -3, '
                                  '"fields": [{"name": "x", "levels": [{"level": "a", '
                                  '"match_weight": 1, "m": 1.5, "u": 0.1}]}]}')],
             "c.json: fields[0].levels[0].m: must be a probability in [0, 1]"),
            (["link", os.path.join(DATA, "report.json"), "--links",
              self._write("l.csv", "a_id,b_id,match_probability,match_weight\nA,B,1,2\nA,C,1,x\n")],
             "l.csv:3: match_weight is not a number"),
            (["link", os.path.join(DATA, "report.json"), "--links",
              self._write("m.csv", "a_index,b_index,score\n")], "m.csv:1: no match_weight column"),
            (["bench-dice", self._write("d.txt", "nothing here\n")], "d.txt: no bench_dice table rows"),
            (["bench-scale", self._write("s.txt", "== N = 5 records a side\nlinkage wall time: 1 s\n")],
             "s.txt:1: the run for N = 5 has no rss mib line"),
            (["bench-encode", os.path.join(self.dir, "missing.txt")], "missing.txt: cannot read"),
        ]
        for args, want in cases:
            with self.subTest(args=args[0], want=want):
                st, err = run(*args, "-o", out)
                self.assertEqual(st, 1)
                self.assertIn(want, err)
                self.assertFalse(os.path.exists(out))

    def test_privacy_figure(self):
        # the audit of four 64-bit filters F0 = F1 (popcount 8), F2 (2), F3 (8) of
        # tests/test_audit.c: popcount histogram 0..8 = [0, 0, 1, 0, 0, 0, 0, 0, 3]; set
        # counts: position 0 -> 4, 1-3 -> 3, 4-7 -> 2, 12-15 -> 1, 63 -> 1, else 0; classes
        # of identical filters: two of size 1, one of size 2
        counts = [4, 3, 3, 3, 2, 2, 2, 2] + [0] * 4 + [1] * 4 + [0] * 47 + [1]
        rep = {"source": "four.json", "kind": "clks", "records": 4, "filter_bits": 64,
               "popcount": {"min": 2, "max": 8, "mean": 6.5, "sd": 6.75 ** 0.5,
                            "histogram": [0, 0, 1, 0, 0, 0, 0, 0, 3]},
               "bit_frequency": {"never_set": 51, "always_set": 1, "counts": counts},
               "duplicates": {"shared_2": 2, "class_sizes": [[1, 2], [2, 1]]},
               "fields": [{"name": "sex", "exposed": True}]}
        path = self._write("audit.json", json.dumps(rep))
        fig = plot.fig_privacy(plot.read_audit_report(path))
        self.assertEqual([p.get_height() for p in fig.axes[0].patches],
                         [1, 0, 0, 0, 0, 0, 3])            # popcounts 2..8
        # 50 bins over [0, 1]: shares 0 (51 positions), 0.25 (5), 0.5 (4), 0.75 (3), 1 (1)
        heights = [p.get_height() for p in fig.axes[1].patches]
        self.assertEqual(sum(heights), 64)
        self.assertEqual((heights[0], heights[12], heights[25], heights[37], heights[49]),
                         (51, 5, 4, 3, 1))
        self.assertEqual([p.get_height() for p in fig.axes[2].patches], [2, 2])  # records
        self.assertIn("sex", fig._suptitle.get_text())
        out = os.path.join(self.dir, "audit.svg")
        self.assertEqual(run("privacy", path, "-o", out), (0, ""))
        ET.parse(out)
        # malformed: counts that do not cover the records, a link report
        rep["duplicates"]["class_sizes"] = [[1, 2]]
        bad = self._write("bad_audit.json", json.dumps(rep))
        out2 = os.path.join(self.dir, "bad.svg")
        st, err = run("privacy", bad, "-o", out2)
        self.assertEqual(st, 1)
        self.assertIn("bad_audit.json: duplicates.class_sizes", err)
        st, err = run("privacy", os.path.join(DATA, "report.json"), "-o", out2)
        self.assertEqual(st, 1)
        self.assertIn("not a tznr audit report", err)
        self.assertFalse(os.path.exists(out2))

    def test_command_line(self):
        r = subprocess.run([sys.executable, SCRIPT, "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("bench-dice", r.stdout)
        r = subprocess.run([sys.executable, SCRIPT, "link"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)   # usage


if __name__ == "__main__":
    unittest.main()
