"""Shared helpers for the benchmarks: timing, peak memory in a subprocess, machine, test data.

Timing
    :func:`median_time` times a callable ``repeat`` times (after ``warmup``
    untimed calls) and returns the median; :func:`compare` interleaves two
    callables (ours, reference, ours, reference, ...) so that both see the same
    background load, and returns both medians and their ratio. The machine is
    shared: read ratios, not absolute seconds.
Peak memory
    :func:`run_child` runs a snippet in a fresh interpreter and returns its wall
    time and peak resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``),
    the approach of ``benchmarks/read_memory.py``.
Test data
    :func:`synth_acc` synthesises a body-worn accelerometer recording with numpy
    only (gravity with a few posture changes, sensor noise, breathing sway,
    BCG-like heartbeats, occasional twitch-like transients and a few voluntary
    movement bouts), so the analysis and memory benchmarks do not depend on the
    simulator. :func:`synth_ppg` gives a PPG-like waveform on the same beats for
    the one-mechanism peers. Generated files are cached under :func:`data_dir`
    (``$GLUTESENSE_BENCH_DATA`` or ``<tmp>/glutesense-bench``), keyed by their
    parameters.
"""

from __future__ import annotations

import contextlib

import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
FS = 100.0
GRAVITY = 9.80665


# --------------------------------------------------------------------------- timing
def median_time(fn: Callable[[], Any], repeat: int = 3,
                warmup: int = 0) -> tuple[float, list[float]]:
    """Median wall time of ``fn()`` over *repeat* calls (after *warmup* untimed calls)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def compare(ours: Callable[[], Any], ref: Callable[[], Any], repeat: int = 3,
            warmup: int = 1) -> dict[str, Any]:
    """Time *ours* and *ref* interleaved; medians, all times and ``ratio = ours / ref``."""
    for _ in range(warmup):
        ours()
        ref()
    t_ours, t_ref = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        ours()
        t_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref()
        t_ref.append(time.perf_counter() - t0)
    m_ours, m_ref = statistics.median(t_ours), statistics.median(t_ref)
    return {"ours_s": m_ours, "ref_s": m_ref, "ratio": m_ours / m_ref,
            "ours_all_s": t_ours, "ref_all_s": t_ref, "repeat": repeat}


# --------------------------------------------------------------------------- subprocess
def run_child(code: str, *, timeout: float = 900.0) -> dict[str, Any]:
    """Run *code* in a fresh interpreter; return its wall time, peak RSS and ``out`` dict.

    *code* may fill a dict named ``out`` and may call ``mark(name)`` to record
    the peak RSS so far (``out["rss_<name>_mb"]``). ``sys.path`` includes this
    folder, so ``import _common`` works in the child.
    """
    prog = (
        "import json, resource, sys, time\n"
        f"sys.path.insert(0, {str(HERE)!r})\n"
        "out = {}\n"
        "def rss_mb():\n"
        "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "def mark(name):\n"
        "    out['rss_' + name + '_mb'] = rss_mb()\n"
        "t0 = time.perf_counter()\n"
        f"{code}\n"
        "out['wall_s'] = time.perf_counter() - t0\n"
        "out['peak_rss_mb'] = rss_mb()\n"
        "print('@@RESULT@@' + json.dumps(out))\n"
    )
    proc = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True,
                          timeout=timeout, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("@@RESULT@@"):
            return json.loads(line[len("@@RESULT@@"):])
    tail = (proc.stderr or "").strip().splitlines()
    return {"error": tail[-1] if tail else f"exit code {proc.returncode}"}


# --------------------------------------------------------------------------- machine
def machine() -> dict[str, Any]:
    """CPU model, core counts, memory, load and library versions."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):  # not Linux: keep platform's answer
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 2**20, 1)
    versions = {}
    for mod in ("numpy", "scipy", "pandas", "dask", "glutesense", "neurokit2", "heartpy"):
        try:
            from importlib.metadata import version
            versions[mod] = version(mod)
        except Exception:  # noqa: BLE001 - not installed
            versions[mod] = None
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": affinity, "memory_gb": mem_gb,
            "load_avg": [round(x, 2) for x in os.getloadavg()],
            "os": platform.platform(), "python": platform.python_version(), **versions}


def machine_line(m: dict[str, Any] | None = None) -> str:
    """One-line machine description."""
    m = m or machine()
    return (f"{m['cpu']}, {m['usable_cores']} cores, {m['memory_gb']} GB; load {m['load_avg']}; "
            f"Python {m['python']}, numpy {m['numpy']}, scipy {m['scipy']}, pandas {m['pandas']}")


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# --------------------------------------------------------------------------- test data
def data_dir() -> Path:
    """Folder for generated test files (created on demand)."""
    default = Path(tempfile.gettempdir()) / "glutesense-bench"
    d = Path(os.environ.get("GLUTESENSE_BENCH_DATA") or default)
    d.mkdir(parents=True, exist_ok=True)
    return d


def beat_times(duration_s: float, rng: np.random.Generator, hr_bpm: float = 66.0) -> np.ndarray:
    """Heartbeat times (s): a slowly wandering rate with respiratory sinus arrhythmia."""
    from scipy.ndimage import uniform_filter1d

    n = int(duration_s * hr_bpm / 60 * 1.3) + 10
    k = np.arange(n)
    wander = np.cumsum(rng.normal(0, 0.004, n))
    wander -= uniform_filter1d(wander, 301, mode="nearest")  # keep it bounded
    rr = 60.0 / hr_bpm * (1 + 0.04 * np.sin(2 * np.pi * k / 4.3) + wander + rng.normal(0, 0.01, n))
    t = 0.4 + np.cumsum(rr)
    return t[t < duration_s - 1.0]


def _impulses(times: np.ndarray, amps: np.ndarray, n: int, fs: float) -> np.ndarray:
    x = np.zeros(n)
    idx = np.round(times * fs).astype(np.int64)
    ok = (idx >= 0) & (idx < n)
    np.add.at(x, idx[ok], amps[ok])
    return x


def _bcg_template(fs: float) -> np.ndarray:
    """I-J-K complex: small dip, large peak, dip (about 0.3 s), in m/s² per unit beat."""
    t = np.arange(int(0.45 * fs)) / fs
    g = lambda mu, sd: np.exp(-0.5 * ((t - mu) / sd) ** 2)  # noqa: E731
    return (-0.35 * g(0.10, 0.018) + 1.0 * g(0.16, 0.022) - 0.6 * g(0.22, 0.025)
            + 0.2 * g(0.30, 0.03))


def synth_acc(duration_s: float, fs: float = FS, seed: int = 8) -> np.ndarray:
    """A (3, n) body-worn accelerometer signal in m/s², gravity included (numpy only).

    Gravity along a tilted axis that changes a few times (posture), white
    sensor noise (0.01 m/s²), 0.25 Hz breathing sway, BCG beats (~66 bpm,
    ~0.03 m/s² on z), twitch-like damped 12–25 Hz transients (Poisson, ~1/min)
    and, every ~2 h, a 60-s bout of 1.8 Hz walking-like movement.
    """
    from scipy.signal import oaconvolve

    rng = np.random.default_rng(seed)
    n = int(round(duration_s * fs))
    t = np.arange(n) / fs
    x = rng.normal(0.0, 0.01, (3, n))
    # gravity: piecewise-constant orientation with ~1 posture change per 3 h
    n_changes = max(1, int(duration_s / 10800))
    cuts = np.sort(rng.integers(0, n, n_changes))
    edges = np.r_[0, cuts, n]
    for a, b in zip(edges[:-1], edges[1:]):
        v = np.array([0.0, 0.0, 1.0]) + rng.normal(0, 0.25, 3)
        x[:, a:b] += (GRAVITY * v / np.linalg.norm(v))[:, None]
    # breathing sway
    x[0] += 0.004 * np.sin(2 * np.pi * 0.25 * t)
    x[2] += 0.006 * np.sin(2 * np.pi * 0.25 * t + 0.7)
    # BCG beats
    bt = beat_times(duration_s, rng)
    train = _impulses(bt, 0.03 * (1 + 0.1 * rng.standard_normal(bt.size)), n, fs)
    bcg = oaconvolve(train, _bcg_template(fs), mode="full")[:n]
    x[2] += bcg
    x[0] += 0.3 * bcg
    # twitch-like transients
    n_tw = rng.poisson(duration_s / 60.0)
    tt = rng.uniform(1, max(2, duration_s - 1), n_tw)
    k = np.arange(int(0.3 * fs)) / fs
    for ti, amp, f0, ax in zip(tt, rng.uniform(0.05, 0.4, n_tw), rng.uniform(12, 25, n_tw),
                               rng.integers(0, 3, n_tw)):
        i = int(ti * fs)
        seg = amp * np.sin(2 * np.pi * f0 * k) * np.exp(-k / 0.04)
        m = min(seg.size, n - i)
        x[ax, i:i + m] += seg[:m]
    # voluntary bouts
    for t0 in np.arange(1800.0, duration_s - 120, 7200.0):
        i0, i1 = int(t0 * fs), int((t0 + 60) * fs)
        tb = t[i0:i1] - t0
        x[:, i0:i1] += np.array([[1.2], [0.6], [1.5]]) * np.sin(2 * np.pi * 1.8 * tb) \
            + rng.normal(0, 0.3, (3, i1 - i0))
    return x


def synth_ppg(duration_s: float, fs: float = FS, seed: int = 8) -> np.ndarray:
    """A PPG-like pulse wave on the same beat times as :func:`synth_acc` (arbitrary units)."""
    from scipy.signal import oaconvolve

    rng = np.random.default_rng(seed)
    n = int(round(duration_s * fs))
    bt = beat_times(duration_s, rng)
    tk = np.arange(int(0.9 * fs)) / fs
    tpl = np.exp(-0.5 * ((tk - 0.18) / 0.06) ** 2) + 0.35 * np.exp(-0.5 * ((tk - 0.42) / 0.08) ** 2)
    y = oaconvolve(_impulses(bt, np.ones(bt.size), n, fs), tpl, mode="full")[:n]
    t = np.arange(n) / fs
    noise = np.random.default_rng(seed + 1).normal(0, 0.02, n)
    return y + 0.1 * np.sin(2 * np.pi * 0.25 * t) + noise


def recording(data: np.ndarray, fs: float = FS):
    """A glutesense Recording of a (3, n) acceleration array (m/s²)."""
    from glutesense.recording import Recording

    return Recording(data, fs, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3, ("m/s^2",) * 3,
                     meta={"format": "synthetic"})


def write_csv(path: Path, header: str, columns: list[np.ndarray], fmts: list[str],
              block: int = 500_000) -> None:
    """Write columns as CSV in blocks (atomically: temp name, then rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    fmt = ",".join(fmts) + "\n"
    n = len(columns[0])
    with open(tmp, "w") as f:
        f.write(header + "\n")
        for i0 in range(0, n, block):
            rows = np.column_stack([c[i0:i0 + block] for c in columns])
            f.write((fmt * rows.shape[0]) % tuple(rows.ravel()))
    os.replace(tmp, path)


def canonical_csv(duration_s: float, fs: float = FS, seed: int = 8) -> Path:
    """Cached canonical CSV (``time_s,acc_x_ms2,acc_y_ms2,acc_z_ms2``) of :func:`synth_acc`."""
    path = data_dir() / f"canonical-{duration_s:g}s-{fs:g}hz-{seed}.csv"
    if not path.exists():
        x = synth_acc(duration_s, fs, seed)
        t = np.arange(x.shape[1]) / fs
        write_csv(path, "time_s,acc_x_ms2,acc_y_ms2,acc_z_ms2", [t, *x], ["%.2f"] + ["%.5f"] * 3)
    return path


def generic_csv(duration_s: float, fs: float = FS, seed: int = 8) -> Path:
    """Cached generic CSV (``time,x,y,z``; ±2 ms time-stamp jitter) of :func:`synth_acc`."""
    path = data_dir() / f"generic-{duration_s:g}s-{fs:g}hz-{seed}.csv"
    if not path.exists():
        x = synth_acc(duration_s, fs, seed)
        rng = np.random.default_rng(seed + 100)
        t = np.arange(x.shape[1]) / fs + rng.uniform(-0.002, 0.002, x.shape[1])
        write_csv(path, "time,x,y,z", [t, *x], ["%.6f"] + ["%.5f"] * 3)
    return path


def synth_npy(duration_s: float, fs: float = FS, seed: int = 8) -> Path:
    """Cached ``.npy`` of :func:`synth_acc` (for loading without a CSV parser)."""
    path = data_dir() / f"synth-{duration_s:g}s-{fs:g}hz-{seed}.npy"
    if not path.exists():
        tmp = path.with_name(f".{path.stem}.tmp.npy")
        np.save(tmp, synth_acc(duration_s, fs, seed))
        os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------- rows and output
def row(benchmark: str, ours: str, reference: str, ratio: str, target: str, status: str, /,
        **data: Any) -> dict[str, Any]:
    """One table row; ``status`` is PASS, MISS, info or SKIP; *data* keeps the raw figures."""
    return {"benchmark": benchmark, "ours": ours, "reference": reference, "ratio": ratio,
            "target": target, "status": status, "data": data}


def verdict(ok: bool | None) -> str:
    return "info" if ok is None else ("PASS" if ok else "MISS")


COLUMNS = ("benchmark", "ours", "reference", "ratio", "target", "status")


def table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of *rows* (aligned, readable as plain text)."""
    cells = [list(COLUMNS)] + [[str(r[c]) for c in COLUMNS] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]

    def fmt(line: list[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(line, widths)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([fmt(cells[0]), sep] + [fmt(line) for line in cells[1:]])


def log(msg: str) -> None:
    """Progress to stderr (stdout carries results)."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def main_for(run: Callable[..., list[dict[str, Any]]], doc: str,
             argv: list[str] | None = None) -> int:
    """Command line of one benchmark module: ``[--quick] [--json]``; prints its rows."""
    import argparse

    ap = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats / shorter data")
    ap.add_argument("--json", action="store_true",
                    help="print the rows as one JSON line (for run_all)")
    ap.add_argument("--profile", action="store_true",
                    help="also print a cProfile of our slowest part")
    args = ap.parse_args(argv)
    rows = run(quick=args.quick, profile=args.profile)
    if args.json:
        print("@@ROWS@@" + json.dumps(rows, default=float))
    else:
        print(f"{utc_now()}; {machine_line()}")
        print(table(rows))
    return 0


def profile_top(fn: Callable[[], Any], n: int = 15) -> str:
    """cProfile of one call of *fn*: the top *n* functions by cumulative and by own time."""
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    buf = io.StringIO()
    st = pstats.Stats(prof, stream=buf)
    st.sort_stats("cumulative").print_stats(n)
    st.sort_stats("tottime").print_stats(n)
    root = str(HERE.parent) + os.sep
    return "\n".join(line.replace(root, "") for line in buf.getvalue().splitlines()
                     if line.strip())


def fmt_s(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def fmt_x(r: float) -> str:
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"
