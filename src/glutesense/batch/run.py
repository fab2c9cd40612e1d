"""Cohort processing on Dask: one idempotent output folder per input, then a collate step.

The convention follows the OxWearables tools (formats.md §2, §6): each input
gets ``DIR/<stem>/summary.json`` (the ``glutesense.report/1`` document) and
``DIR/<stem>/features.parquet`` (one row per minute), written atomically; a
rerun skips inputs whose summary exists; a failing input is recorded in
``DIR/<stem>/error.json`` with its reason while the rest go on; a final step
collates ``DIR/summary.parquet`` and ``DIR/summary.csv``.

Schedulers: ``sync``, ``threads``, ``processes`` (Dask's local schedulers),
``local`` (a ``distributed.LocalCluster``), or a ``tcp://HOST:PORT`` address
(also taken from ``DASK_SCHEDULER_ADDRESS``) to join an existing cluster.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..io.canonical import atomic_write

__all__ = ["BatchResult", "ItemResult", "run_batch", "process_one", "collate", "output_dirs",
           "plan", "SCHEDULERS", "CHUNK_BYTES"]

SCHEDULERS = ("sync", "threads", "processes", "local")

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ItemResult:
    """Outcome of one input: ``status`` is ``done``, ``skipped`` or ``failed``."""

    path: str
    out_dir: str
    status: str
    error: str | None = None
    seconds: float = 0.0
    #: The input's row of ``summary.parquet``, computed by the worker (None when skipped or
    #: failed: collate then reads the summary back from disk).
    row: dict[str, Any] | None = dataclasses.field(default=None, repr=False, compare=False)


@dataclasses.dataclass(frozen=True)
class BatchResult:
    """Outcome of a batch run."""

    items: tuple[ItemResult, ...]
    out_dir: str
    seconds: float

    @property
    def n_failed(self) -> int:
        """Number of inputs that failed."""
        return sum(i.status == "failed" for i in self.items)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"out_dir": self.out_dir, "seconds": self.seconds,
                "n_done": sum(i.status == "done" for i in self.items),
                "n_skipped": sum(i.status == "skipped" for i in self.items),
                "n_failed": self.n_failed,
                "items": [{k: v for k, v in dataclasses.asdict(i).items() if k != "row"}
                          for i in self.items]}


def output_dirs(inputs: Sequence[str | os.PathLike], out: str | os.PathLike) -> list[Path]:
    """One output folder per input: ``out/<stem>``, disambiguated when stems collide."""
    out = Path(out)
    stems = [_stem(Path(p)) for p in inputs]
    dirs = []
    for p, stem in zip(inputs, stems):
        if stems.count(stem) > 1:
            digest = hashlib.sha1(str(Path(p).resolve()).encode()).hexdigest()[:8]
            stem = f"{stem}-{digest}"
        dirs.append(out / stem)
    return dirs


def _stem(p: Path) -> str:
    name = p.name
    for suffix in (".csv.gz", ".cwa.gz", ".tar.gz"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return p.stem or name


def _atomic_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def features_table(report: dict[str, Any], *, window_s: float = 60.0):
    """Per-window features from a report: counts, rates and heart rate per minute.

    Returns a :class:`pandas.DataFrame` with columns ``t0_s``, ``t1_s``,
    ``voluntary_s``, ``twitch_count``, ``twitch_rate_per_min``, ``beats``,
    ``heart_rate_bpm``, ``nerve_bursts``.
    """
    import numpy as np
    import pandas as pd

    dur = float(report["input"]["duration_s"])
    edges = np.arange(0.0, max(dur, window_s) + window_s, window_s)
    edges = edges[edges < dur + 1e-9] if dur >= window_s else np.array([0.0, dur])
    if edges[-1] < dur:
        edges = np.r_[edges, dur]
    mech = report["mechanisms"]
    tw = np.array([e["t_s"] for e in mech["twitch"].get("events") or []], dtype=float)
    beats = np.array(mech["pulse"].get("beats_s") or [], dtype=float)
    bursts = np.array([b["t_s"] for b in mech["nerve"].get("bursts") or []], dtype=float)
    rows = []
    for t0, t1 in zip(edges[:-1], edges[1:]):
        span = t1 - t0
        vol = sum(max(0.0, min(t1, v["t1_s"]) - max(t0, v["t0_s"])) for v in report["voluntary"])
        n_tw = int(np.sum((tw >= t0) & (tw < t1)))
        b = beats[(beats >= t0) & (beats < t1)]
        hr = float(60.0 / np.median(np.diff(b))) if b.size >= 3 else np.nan
        rows.append({"t0_s": t0, "t1_s": t1, "voluntary_s": vol, "twitch_count": n_tw,
                     "twitch_rate_per_min": n_tw / span * 60.0 if span > 0 else np.nan,
                     "beats": int(b.size), "heart_rate_bpm": hr,
                     "nerve_bursts": int(np.sum((bursts >= t0) & (bursts < t1)))})
    return pd.DataFrame(rows)


def process_one(path: str, out_dir: str, *, answers: dict[str, Any] | None = None) -> ItemResult:
    """Analyse one input and write its output folder (or ``error.json``).

    Never raises for bad input: the failure is recorded and returned.
    """
    from ..errors import GlutesenseError

    t_start = time.perf_counter()
    out = Path(out_dir)
    summary = out / "summary.json"
    if summary.exists():
        return ItemResult(path, out_dir, "skipped")
    out.mkdir(parents=True, exist_ok=True)
    try:
        from ..io import read
        from ..reporting.build import build_report

        report = build_report(read(path), answers)
        table = features_table(report)
        atomic_write(out / "features.parquet", lambda tmp: table.to_parquet(tmp, index=False))
        _atomic_text(summary, json.dumps(report, indent=1, allow_nan=False))
        (out / "error.json").unlink(missing_ok=True)
        return ItemResult(path, out_dir, "done", seconds=time.perf_counter() - t_start,
                          row=_report_row(report))
    except GlutesenseError as exc:
        reason = exc.one_line()
    except Exception as exc:  # noqa: BLE001 - one bad input must not stop a cohort
        reason = f"internal error ({type(exc).__name__}): {exc}"
        (out / "traceback.txt").write_text(traceback.format_exc(), encoding="utf-8")
    return _failed(path, out_dir, reason, time.perf_counter() - t_start)


def _failed(path: str, out_dir: str, reason: str, seconds: float = 0.0) -> ItemResult:
    """Record *path* as failed in ``out_dir/error.json`` (with its reason)."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    _atomic_text(Path(out_dir) / "error.json", json.dumps({"path": str(path), "error": reason}))
    return ItemResult(path, out_dir, "failed", reason, seconds)


def _summary_row(item: ItemResult) -> dict[str, Any]:
    row: dict[str, Any] = {"path": item.path, "output": item.out_dir, "status": item.status,
                           "error": item.error}
    summary = Path(item.out_dir) / "summary.json"
    if item.row is not None:          # from the worker: no need to read the summary back
        row.update(item.row)
    elif item.status in ("done", "skipped") and summary.exists():
        row.update(_report_row(json.loads(summary.read_text(encoding="utf-8"))))
    return row


def _report_row(rep: dict[str, Any]) -> dict[str, Any]:
    """The columns of ``summary.parquet`` taken from one ``glutesense.report/1`` document."""
    m = rep["mechanisms"]
    iso = m["vibration"].get("iso2631") or {}
    return {
        "status": "done",
        "format": rep["input"].get("format"), "duration_s": rep["input"]["duration_s"],
        "fs_hz": rep["input"]["fs_hz"],
        "heart_rate_bpm": m["pulse"].get("heart_rate_bpm"),
        "twitch_rate_per_min": m["twitch"].get("rate_per_min"),
        "twitch_pattern": m["twitch"].get("pattern"),
        "nerve_burst_rate_per_min": m["nerve"].get("burst_rate_per_min"),
        "vibration_source": m["vibration"].get("source"),
        "vibration_av_ms2": iso.get("av_ms2"),
        "vibration_aw_z_ms2": iso.get("aw_z_ms2"),
        "unexplained_share": rep.get("unexplained_share"),
        "triage_level": (rep.get("triage") or {}).get("level"),
        **{f"share_{k}": m[k].get("share") for k in m},
    }


def collate(items: Sequence[ItemResult], out: str | os.PathLike) -> Any:
    """Write ``summary.parquet`` and ``summary.csv`` (one row per input) and return the table."""
    import pandas as pd

    out = Path(out)
    table = pd.DataFrame([_summary_row(i) for i in items])
    atomic_write(out / "summary.parquet", lambda tmp: table.to_parquet(tmp, index=False))
    _atomic_text(out / "summary.csv", table.to_csv(index=False))
    return table


def run_batch(
    inputs: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    scheduler: str = "threads",
    workers: int | None = None,
    progress: Callable[[ItemResult], None] | None = None,
) -> BatchResult:
    """Analyse every input on Dask and collate the results.

    Parameters
    ----------
    inputs : sequence of path-like
        Recordings in any readable format.
    out : path-like
        Output folder.
    scheduler : str
        ``sync``, ``threads``, ``processes``, ``local`` or ``tcp://HOST:PORT``.
    workers : int or None
        Worker count for ``threads``, ``processes`` and ``local``.
    progress : callable or None
        Called with each :class:`ItemResult` as it completes.
    """
    from ..errors import ParameterError

    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [str(p) for p in inputs]
    dirs = [str(d) for d in output_dirs(paths, out)]
    if scheduler in ("sync", "threads", "processes"):
        run = _run_local
    elif scheduler == "local" or scheduler.startswith("tcp://"):
        run = _run_distributed
    else:
        raise ParameterError(f"unknown scheduler {scheduler!r}; use one of "
                             f"{', '.join(SCHEDULERS)} or tcp://HOST:PORT")
    # Finished inputs are skipped here, before any worker is started: a rerun of a
    # finished batch starts no scheduler at all (process_one checks again, for inputs
    # finished by another run in the meantime).
    items: list[ItemResult | None] = [None] * len(paths)
    todo = []
    for i, d in enumerate(dirs):
        if (Path(d) / "summary.json").exists():
            items[i] = ItemResult(paths[i], d, "skipped")
            if progress is not None:
                progress(items[i])
        else:
            todo.append(i)
    if todo:
        for i, res in zip(todo, run([paths[i] for i in todo], [dirs[i] for i in todo],
                                    scheduler, workers, progress)):
            items[i] = res
    collate(items, out)
    return BatchResult(tuple(items), str(out), time.perf_counter() - t0)


#: Input bytes handed to a ``processes`` worker at a time, at most: about 0.1 s of work for a
#: canonical CSV, so the round trip through the parent per chunk (~2 ms) stays small.
CHUNK_BYTES = 8 * 1024**2


def plan(paths: Sequence[str], workers: int) -> tuple[list[int], int]:
    """The order in which to run *paths*, and how many to hand a worker at a time.

    Largest input first (the "longest processing time first" rule): the run then ends
    on small inputs, and no worker is left with a long one while the others idle. The
    chunk is as many inputs as make about :data:`CHUNK_BYTES` (at least 1, at most
    Dask's default of 6) and never more than a quarter of each worker's share, so the
    last chunks balance too. With Dask's default of 6, 7 inputs on 2 workers went out as
    6 + 1 and 2 workers were only 1.18 times as fast as one; 20 went out as 12 + 8.
    """
    sizes = [_size(p) for p in paths]
    order = sorted(range(len(paths)), key=lambda i: -sizes[i])       # stable for equal sizes
    typical = sorted(sizes)[len(sizes) // 2] if sizes else 0
    chunk = min(6, CHUNK_BYTES // max(typical, 1), len(paths) // (4 * max(1, workers)))
    return order, max(1, int(chunk))


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0            # unreadable: it fails fast, whatever its place


def _run_local(paths, dirs, scheduler, workers, progress) -> list[ItemResult]:
    from concurrent.futures.process import BrokenProcessPool

    n_workers = int(workers or os.cpu_count() or 1) if scheduler != "sync" else 1
    n_workers = max(1, min(n_workers, len(paths)))          # no idle workers to start
    order, chunk = plan(paths, n_workers)
    results: dict[int, ItemResult] = {}
    submitted: set[int] = set()
    pending = order
    while pending:
        submitted.clear()
        try:
            _compute(paths, dirs, pending, scheduler, n_workers, chunk, results, submitted,
                     progress)
            break
        except BrokenProcessPool:
            if not submitted:                 # it broke before any input went out
                raise
            # A worker died (the out-of-memory killer, a crash in a C library): the pool
            # is gone, and with it the other workers' inputs in flight. Inputs handed out
            # but not returned are run again one at a time, alone, so that the one that
            # kills its worker is recorded as failed and the others are not; the rest
            # go on on a fresh pool.
            suspects = [i for i in pending if i in submitted and i not in results]
            pending = [i for i in pending if i not in submitted]
            log.warning("a batch worker died; running %d input(s) again one at a time",
                        len(suspects))
            for i in suspects:
                try:
                    _compute(paths, dirs, [i], scheduler, 1, 1, results, submitted, progress)
                except BrokenProcessPool:
                    results[i] = _worker_died(paths[i], dirs[i], progress)
    return [results[i] for i in range(len(paths))]


def _compute(paths, dirs, indices, scheduler, n_workers, chunk, results, submitted,
             progress) -> None:
    """Run ``process_one`` on ``paths[i]`` for *indices*, in that order, on a local scheduler.

    Each input is added to *submitted* when it is handed to a worker and its
    :class:`ItemResult` to *results* as soon as it is back, so that what was done
    survives a pool that breaks later.
    """
    import dask
    from dask.callbacks import Callback

    # A plain task graph, one independent task per input, handed straight to the
    # scheduler's ``get`` (Dask's documented graph specification): ``dask.delayed`` and
    # ``dask.compute`` would first build and optimise an expression for it: the parent's
    # CPU per run of 48 files went from 0.09 to 0.06 s without them, time a worker waits
    # for when the workers fill the cores.
    # Dask's local schedulers run independent tasks in descending key order: the first
    # input in *indices* gets the highest key.
    keys = {f"glutesense-item-{len(indices) - 1 - rank:06d}": i for rank, i in enumerate(indices)}
    graph = {key: (process_one, paths[i], dirs[i]) for key, i in keys.items()}

    class _Progress(Callback):
        def _pretask(self, key, dsk, state):
            submitted.add(keys[key])

        def _posttask(self, key, result, dsk, state, id):  # noqa: A002 - dask's signature
            if isinstance(result, ItemResult):
                results[keys[key]] = result
                if progress is not None:
                    progress(result)

    kwargs: dict[str, Any] = {}
    if scheduler == "sync":
        from dask.local import get_sync as get
    elif scheduler == "threads":
        from dask.threaded import get
        kwargs["num_workers"] = n_workers
    else:
        from dask.multiprocessing import get
        kwargs.update(num_workers=n_workers, chunksize=chunk, optimize_graph=False)
    config: dict[str, Any] = {}
    if scheduler == "processes":
        config["multiprocessing.initializer"] = _worker_init
        if sys.platform.startswith("linux"):
            # Fork workers from a parent that has already imported and warmed what they
            # use, so each worker does not pay it on its first input (spawn would start a
            # fresh interpreter each). When no worker gets a second input the warm-up
            # saves nothing: the workers' own first-use costs run in parallel.
            if len(indices) > n_workers:
                _warm_parent()
            config["multiprocessing.context"] = "fork"
    # One BLAS thread per worker, as distributed's nanny does for its workers
    # (``distributed.nanny.pre-spawn-environ``): with N workers on N cores, OpenBLAS's own
    # thread pool would oversubscribe them, and one worker would borrow a second core.
    # Set here for the run, forked workers inherit it; spawned ones set it themselves
    # (_worker_init). (Forked workers setting it themselves instead ran 4-7 % slower:
    # 12 one-hour files, 6 alternating runs each, 1.20 against 1.12 s with 2 workers.)
    limit = _one_blas_thread() if scheduler != "sync" else contextlib.nullcontext()
    with dask.config.set(config), _Progress(), limit:
        get(graph, list(keys), **kwargs)


def _worker_died(path: str, out_dir: str, progress) -> ItemResult:
    """Record *path* as failed because the process analysing it died (and report it)."""
    reason = (f"{path}: the worker process died while analysing it (killed by the system, "
              "e.g. for lack of memory, or a crash in a library)")
    res = _failed(path, out_dir, reason)
    if progress is not None:
        progress(res)
    return res


_WARMED = False


def _warm_parent() -> None:
    """Run :func:`process_one` once on a tiny synthetic recording in this process.

    Forked workers inherit what it leaves behind: the modules imported on first use
    (pandas, pyarrow, the triage rules), the readers' registry and the cached
    filter designs. Without it every worker paid about 0.4 s on its first input
    (on a 1-hour file, 2.5 times the work of the input itself): on 12 one-hour
    files 2 workers gave 1.71 times the throughput of 1, with it 1.83
    (``benchmarks/batch_throughput.py``). Once per process.
    """
    global _WARMED
    if _WARMED:
        return
    import tempfile

    import numpy as np

    from ..recording import Recording

    rng = np.random.default_rng(0)
    acc = rng.normal(0.0, 0.01, (3, 6000))
    acc[2] += 9.81
    try:
        with tempfile.TemporaryDirectory(prefix="glutesense-warm-") as tmp:
            path = Path(tmp) / "warm.csv"
            Recording(acc, 100.0, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3,
                      ("m/s^2",) * 3).write(path)
            _WARMED = process_one(str(path), str(Path(tmp) / "out")).status == "done"
    except Exception:  # noqa: BLE001 - only a speed-up: the batch itself must still run
        log.debug("warming the parent before forking failed", exc_info=True)


def _worker_init() -> None:
    """Set up one worker process of the ``processes`` scheduler.

    Freed memory is kept for reuse (:func:`glutesense._process.retain_freed_memory`);
    a spawned worker (not Linux) also limits BLAS to one thread, which a forked one
    inherits from the parent.
    """
    from .._process import retain_freed_memory

    if not sys.platform.startswith("linux"):     # spawned (see _compute): not inherited
        _one_blas_thread()        # threadpoolctl's limit holds until it is restored
    retain_freed_memory()


def _one_blas_thread():
    """A context limiting BLAS/OpenMP thread pools to one thread (threadpoolctl)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _run_distributed(paths, dirs, scheduler, workers, progress) -> list[ItemResult]:
    from distributed import Client, KilledWorker, LocalCluster, as_completed

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=int(workers or os.cpu_count() or 1),
                               threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        from .._process import retain_freed_memory

        client.run(retain_freed_memory)        # our own workers only, never a joined cluster's
    else:
        client = Client(scheduler, timeout="20s")
    try:
        # Largest input first (see plan()): the scheduler starts tasks in submission order.
        order, _ = plan(paths, len(client.scheduler_info().get("workers", {})) or 1)

        def submit(i: int):
            return client.submit(process_one, paths[i], dirs[i], pure=False,
                                 key=f"glutesense-item-{i}-{time.time_ns()}")

        futures = [submit(i) for i in order]
        index = {f.key: i for i, f in zip(order, futures)}
        results: list[ItemResult | None] = [None] * len(futures)
        killed = []
        for fut in as_completed(futures):
            try:
                results[index[fut.key]] = res = fut.result()
            except KilledWorker:
                # Its worker died each time it was tried, but so did any input queued on
                # the same worker: try it again alone before calling it failed.
                killed.append(index[fut.key])
                continue
            if progress is not None:
                progress(res)
        for i in killed:
            try:
                results[i] = res = submit(i).result()
            except KilledWorker:
                results[i] = _worker_died(paths[i], dirs[i], progress)
                continue
            if progress is not None:
                progress(res)
        return results          # every input has its result: one per future, in input order
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
