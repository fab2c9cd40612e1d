"""Peak memory of reading a large generic CSV, side by side with pandas.read_csv.

Writes a ``time,x,y,z`` CSV of about ``--size-gb`` GB (100 Hz with ±2 ms of
jitter, m/s² with gravity) to a temporary folder, then reads it in fresh
subprocesses with

* ``glutesense.io.read`` (format detection, chunked parsing, time base,
  unit inference, resampling onto a uniform grid), and
* ``pandas.read_csv`` (C parser, whole file at once; parsing only),

and prints for each the peak resident set size (``ru_maxrss``) next to the
file size and the size of the final arrays, plus the wall time. A subprocess
that only imports the libraries gives the baseline to subtract.

Run: ``.venv/bin/python benchmarks/read_memory.py [--size-gb 1.0] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FS = 100.0
BYTES_PER_ROW = 40  # "123456.789012,-0.12345,0.23456,9.81234\n"

_CHILD = {
    "baseline": "import numpy, pandas, glutesense.io; glutesense.io.formats()",
    "glutesense": ("import glutesense.io as gio; rec = gio.read(PATH); "
                   "out.update(n=rec.n_samples, fs=rec.fs, channels=rec.n_channels, "
                   "array_bytes=rec.data.nbytes)"),
    "pandas": ("import pandas as pd; df = pd.read_csv(PATH); "
               "out.update(n=len(df), array_bytes=int(df.memory_usage(index=False).sum()))"),
}


def write_csv(path: Path, size_gb: float, seed: int = 1) -> int:
    """Write the test CSV; return the number of rows."""
    rng = np.random.default_rng(seed)
    n = int(size_gb * 1e9 / BYTES_PER_ROW)
    block = 1_000_000
    g = np.array([0.3, -0.2, 9.80])
    with open(path, "w") as f:
        f.write("time,x,y,z\n")
        for i0 in range(0, n, block):
            i = np.arange(i0, min(n, i0 + block))
            t = i / FS + rng.uniform(-0.002, 0.002, i.size)
            acc = g[:, None] + 0.2 * np.sin(2 * np.pi * 4.5 * i / FS) + rng.normal(0, 0.02, (3, i.size))
            np.savetxt(f, np.column_stack([t, acc.T]), fmt=["%.6f", "%.5f", "%.5f", "%.5f"],
                       delimiter=",")
    return n


def run_child(kind: str, path: Path) -> dict:
    """Run one reader in a fresh interpreter; return its peak RSS, wall time and results."""
    code = ("import json, resource, time; out = {}; PATH = %r; t0 = time.perf_counter(); %s; "
            "out['wall_s'] = time.perf_counter() - t0; "
            "out['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; "
            "print(json.dumps(out))") % (str(path), _CHILD[kind])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=1.0, help="approximate CSV size (GB)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the CSV into this folder and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "big_generic.csv"
        t0 = time.perf_counter()
        rows = write_csv(path, args.size_gb)
        size_mb = path.stat().st_size / 1e6
        print(f"wrote {path.name}: {size_mb:.0f} MB, {rows} rows ({time.perf_counter() - t0:.0f} s)",
              file=sys.stderr)
        base = run_child("baseline", path)
        results = {kind: run_child(kind, path) for kind in ("glutesense", "pandas")}
    print(f"file: {size_mb:.0f} MB, {rows} rows; baseline interpreter (imports): "
          f"{base['peak_rss_mb']:.0f} MB")
    print(f"{'reader':<12}{'peak RSS MB':>12}{'- baseline':>12}{'/ file':>9}{'arrays MB':>11}"
          f"{'/ arrays':>10}{'wall s':>9}")
    for kind, r in results.items():
        if "error" in r:
            print(f"{kind:<12} failed: {r['error']}")
            continue
        net = r["peak_rss_mb"] - base["peak_rss_mb"]
        arrays = r["array_bytes"] / 2**20
        print(f"{kind:<12}{r['peak_rss_mb']:>12.0f}{net:>12.0f}{net / size_mb:>9.2f}"
              f"{arrays:>11.0f}{net / arrays:>10.2f}{r['wall_s']:>9.1f}")
    g = results["glutesense"]
    if "error" not in g:
        print(f"glutesense: {g['n']} samples x {g['channels']} channels at {g['fs']:g} Hz "
              "(final arrays = Recording.data; pandas arrays = its DataFrame)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
