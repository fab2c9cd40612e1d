"""Peak memory of a 24 h file: glutesense.read + analyze in a fresh subprocess.

A synthetic 24 h, 100 Hz canonical CSV (``_common.canonical_csv``, about
280 MB, 8.64 M rows; cached under the bench data folder) is read with
``glutesense.read`` and analysed with ``analyze(rec).to_report_dict()`` in a
fresh interpreter; its peak resident set size (``ru_maxrss``, the approach of
``benchmarks/read_memory.py``) is the figure. Target ≤ 1 GB. For reference, a
second subprocess parses the same file with ``pandas.read_csv`` only, and a
third only imports the libraries (baseline).

Run: ``.venv/bin/python benchmarks/memory.py [--quick]``
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

_CHILD = {
    "baseline": "import numpy, pandas, glutesense.io, glutesense.analysis",
    "glutesense": """
import glutesense.io as gio
from glutesense.analysis import analyze
mark('imports')
t = time.perf_counter()
rec = gio.read(PATH)
out['read_s'] = time.perf_counter() - t
mark('read')
out['n_samples'] = rec.n_samples
out['array_mb'] = rec.data.nbytes / 2**20
t = time.perf_counter()
rep = analyze(rec).to_report_dict()
out['analyze_s'] = time.perf_counter() - t
out['present'] = [k for k, v in rep['mechanisms'].items() if v['present']]
""",
    "pandas": """
import pandas as pd
mark('imports')
t = time.perf_counter()
df = pd.read_csv(PATH)
out['read_s'] = time.perf_counter() - t
out['n_samples'] = len(df)
""",
}


def run(quick: bool = False, profile: bool = False) -> list[dict]:
    hours = 24.0
    path = c.canonical_csv(hours * 3600.0)
    size_mb = path.stat().st_size / 1e6
    res = {}
    for kind, code in _CHILD.items():
        c.log(f"memory: {kind} on {path.name} ({size_mb:.0f} MB) in a subprocess")
        res[kind] = c.run_child(f"PATH = {str(path)!r}\n" + code)
    g, p, b = res["glutesense"], res["pandas"], res["baseline"]
    if "error" in g:
        return [c.row(f"read + analyze {hours:g} h CSV: peak RSS", "failed", g["error"], "—",
                      "≤ 1 GB", "MISS", **res)]
    ref = "failed" if "error" in p else f"{p['peak_rss_mb']:.0f} MB (pandas.read_csv only)"
    ratio = "—" if "error" in p else c.fmt_x(g["peak_rss_mb"] / p["peak_rss_mb"])
    peak = g["peak_rss_mb"]
    return [c.row(f"read + analyze {hours:g} h canonical CSV ({size_mb:.0f} MB): peak RSS",
                  f"{peak:.0f} MB (read {c.fmt_s(g['read_s'])}, analyze {c.fmt_s(g['analyze_s'])})",
                  ref, ratio, "≤ 1 GB", c.verdict(peak <= 1024.0), file_mb=size_mb,
                  baseline_rss_mb=b.get("peak_rss_mb"), glutesense=g, pandas=p)]


if __name__ == "__main__":
    raise SystemExit(c.main_for(run, __doc__))
