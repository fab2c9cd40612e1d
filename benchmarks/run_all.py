"""Run every benchmark, print one table of ratios and write benchmarks/results.json.

Each benchmark module runs in its own interpreter (``python benchmarks/<m>.py
--json``), so one benchmark's memory and imports do not colour the next. Every
ratio compares figures measured in the same run on the same machine. The
table: benchmark | ours | reference | ratio | target | status (PASS, MISS,
info: no target, SKIP: peer not installed, ERROR: the benchmark failed).

Run: ``make bench`` or ``.venv/bin/python benchmarks/run_all.py [--quick]
[--only analyze,readers] [--out benchmarks/results.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

def _source_state() -> dict[str, float]:
    """Modification times of glutesense's Python sources (to notice edits during the run)."""
    src = c.HERE.parent / "src" / "glutesense"
    return {str(p.relative_to(src)): p.stat().st_mtime for p in src.rglob("*.py")}


MODULES = ("simulation", "analyze", "pulse_peers", "weighting", "readers", "batch_throughput",
           "memory")


def run_module(name: str, quick: bool, timeout: float = 1200.0) -> tuple[list[dict], float]:
    cmd = [sys.executable, str(c.HERE / f"{name}.py"), "--json"] + (["--quick"] if quick else [])
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return [c.row(name, "timed out", "—", "—", "—", "ERROR")], time.perf_counter() - t0
    wall = time.perf_counter() - t0
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("@@ROWS@@"):
            return json.loads(line[len("@@ROWS@@"):]), wall
    failed = f"failed (exit {proc.returncode}; see stderr)"
    return [c.row(name, failed, "—", "—", "—", "ERROR")], wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--only", default="", help="comma-separated module names")
    ap.add_argument("--out", type=Path, default=c.HERE / "results.json")
    args = ap.parse_args(argv)
    modules = [m for m in MODULES if not args.only or m in args.only.split(",")]
    started = c.utc_now()
    mach = c.machine()
    c.log(f"benchmarks: {', '.join(modules)}; test data in {c.data_dir()}")
    rows, walls = [], {}
    src_before = _source_state()
    t0 = time.perf_counter()
    for m in modules:
        c.log(f"== {m}")
        r, walls[m] = run_module(m, args.quick)
        for x in r:
            x["module"] = m
        rows += r
        c.log(f"== {m}: {walls[m]:.0f} s")
    total = time.perf_counter() - t0
    src_after = _source_state()
    changed = sorted(k for k in set(src_before) | set(src_after)
                     if src_before.get(k) != src_after.get(k))
    mach["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    print(f"glutesense benchmarks, {started}; {c.machine_line(mach)}")
    print(f"(load average at start {mach['load_avg']}, at end {mach['load_avg_end']}; "
          f"total {total:.0f} s{'; --quick' if args.quick else ''})")
    if changed:
        print(f"WARNING: glutesense sources changed during the run ({', '.join(changed)}); "
              "the figures mix code versions")
    print()
    print(c.table(rows))
    n_miss = sum(r["status"] in ("MISS", "ERROR") for r in rows)
    print()
    print(f"{sum(r['status'] == 'PASS' for r in rows)} PASS, {n_miss} MISS/ERROR, "
          f"{sum(r['status'] in ('info', 'SKIP') for r in rows)} info/SKIP; "
          f"details in {args.out}")
    doc = {"schema": "glutesense.bench/1", "date": started, "machine": mach, "quick": args.quick,
           "sources_changed_during_run": changed,
           "total_s": total, "module_wall_s": walls, "rows": rows}
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=1, default=float) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    return 1 if any(r["status"] == "ERROR" for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
