"""Readers: glutesense.read vs pandas.read_csv on the same CSV files (1 h at 100 Hz).

* canonical CSV (``time_s,acc_x_ms2,acc_y_ms2,acc_z_ms2``, DESIGN §4.1);
* a generic CSV (``time,x,y,z`` with ±2 ms time-stamp jitter, as phone loggers
  write), which glutesense must sniff (layout, time base, units, gravity) and
  resample onto a uniform grid.

Both files hold the same synthetic hour (``_common.synth_acc``). pandas only
parses; glutesense parses, validates, infers and builds a Recording. Times are
interleaved medians; ratio = glutesense / pandas. No target (context).

Run: ``.venv/bin/python benchmarks/readers.py [--quick] [--profile]``
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

DURATION_S = 3600.0


def run(quick: bool = False, profile: bool = False) -> list[dict]:
    import pandas as pd

    import glutesense.io as gio

    repeat = 3 if quick else 5
    rows = []
    for kind, make in (("canonical", c.canonical_csv), ("generic", c.generic_csv)):
        path = make(DURATION_S)
        c.log(f"readers: {kind} CSV {path.stat().st_size / 1e6:.0f} MB, {repeat} repeats")
        rec = gio.read(path)
        res = c.compare(lambda: gio.read(path), lambda: pd.read_csv(path), repeat=repeat)
        rows.append(c.row(f"read {kind} CSV, 1 h @100 Hz ({path.stat().st_size / 1e6:.0f} MB) "
                          "vs pandas.read_csv", c.fmt_s(res["ours_s"]), c.fmt_s(res["ref_s"]),
                          c.fmt_x(res["ratio"]), "info", "info", format=rec.meta.get("format"),
                          fs=rec.fs, n_samples=rec.n_samples, file_mb=path.stat().st_size / 1e6,
                          **res))
        if profile:
            print(f"profile: glutesense.read({kind})", file=sys.stderr)
            print(c.profile_top(lambda: gio.read(path)), file=sys.stderr)
    return rows


if __name__ == "__main__":
    raise SystemExit(c.main_for(run, __doc__))
