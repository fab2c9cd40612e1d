"""Cohort batch on Dask: per-file outputs, failures recorded, resumable, collated, clusters."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from glutesense.batch import run_batch
from glutesense.batch.cohort_report import outliers
from glutesense.cli import main
from glutesense.recording import Recording


def _recording(seed: int, hr_bpm: float, duration_s: float = 90.0, fs: float = 100.0) -> Recording:
    """A seated phone: gravity + 150 µg/√Hz noise + Gaussian-derivative heartbeat pulses."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * fs)
    t = np.arange(n) / fs
    sigma = 150e-6 * 9.81 * np.sqrt(fs / 2)
    acc = rng.normal(0, sigma, (3, n))
    acc[2] += 9.81
    beat = np.arange(0, duration_s, 60.0 / hr_bpm) + 0.3
    for b in beat:
        acc[2] += 0.02 * -(t - b) / 0.03 * np.exp(-0.5 * ((t - b) / 0.03) ** 2)
    return Recording(acc, fs, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3, ("m/s^2",) * 3)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    d = tmp_path_factory.mktemp("cohort")
    files = []
    for i, hr in enumerate([58, 64, 71, 77]):
        p = d / f"subject{i:02d}.csv"
        _recording(i, hr).write(p)
        files.append(p)
    bad = d / "broken.csv"
    bad.write_bytes(b"\x00\x01\x02garbage" * 100)
    return files, bad


def test_batch_cli_records_failure_and_resumes(cohort, tmp_path, capsys):
    files, bad = cohort
    out = tmp_path / "out"
    code = main(["batch", *map(str, files), str(bad), "--out", str(out), "--scheduler", "sync",
                 "--json"])
    assert code == 4
    doc = json.loads(capsys.readouterr().out)
    assert (doc["n_done"], doc["n_failed"]) == (4, 1)
    for f in files:
        rep = json.loads((out / f.stem / "summary.json").read_text())
        assert rep["schema"] == "glutesense.report/1"
        assert rep["input"]["duration_s"] == pytest.approx(90.0, abs=0.02)
        feats = pd.read_parquet(out / f.stem / "features.parquet")
        assert list(feats.columns[:2]) == ["t0_s", "t1_s"] and len(feats) == 2
        assert feats["twitch_count"].sum() == len(rep["mechanisms"]["twitch"]["events"])
    err = json.loads((out / "broken" / "error.json").read_text())
    assert str(bad) in err["error"]
    table = pd.read_csv(out / "summary.csv")
    assert len(table) == 5 and (table["status"] == "done").sum() == 4
    assert (out / "summary.parquet").exists() and (out / "cohort.html").exists()
    assert "broken.csv" in (out / "cohort.html").read_text()

    # Rerun: finished inputs are skipped (their summaries untouched), the broken one retried.
    mtimes = {f.stem: (out / f.stem / "summary.json").stat().st_mtime_ns for f in files}
    code = main(["batch", *map(str, files), str(bad), "--out", str(out), "--scheduler", "sync",
                 "--json"])
    assert code == 4
    doc = json.loads(capsys.readouterr().out)
    assert (doc["n_skipped"], doc["n_failed"]) == (4, 1)
    assert all((out / s / "summary.json").stat().st_mtime_ns == m for s, m in mtimes.items())


def test_schedulers_agree(cohort, tmp_path):
    files, _ = cohort
    a = run_batch(files[:2], tmp_path / "a", scheduler="sync")
    b = run_batch(files[:2], tmp_path / "b", scheduler="threads", workers=2)
    c = run_batch(files[:2], tmp_path / "c", scheduler="processes", workers=2)  # forked workers
    assert a.n_failed == b.n_failed == c.n_failed == 0
    for f in files[:2]:
        ra = json.loads((tmp_path / "a" / f.stem / "summary.json").read_text())
        for other in ("b", "c"):
            ro = json.loads((tmp_path / other / f.stem / "summary.json").read_text())
            assert ra["mechanisms"] == ro["mechanisms"]


def test_same_stem_in_two_folders_gets_two_outputs(cohort, tmp_path):
    files, _ = cohort
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(files[0], other / files[0].name)
    res = run_batch([files[0], other / files[0].name], tmp_path / "o", scheduler="sync")
    dirs = {i.out_dir for i in res.items}
    assert len(dirs) == 2 and all(i.status == "done" for i in res.items)


def _wait_for(path: Path, seconds: float = 30.0) -> None:
    t_end = time.time() + seconds
    while time.time() < t_end:
        if path.exists() and path.stat().st_size > 0:
            return
        time.sleep(0.2)
    raise TimeoutError(f"{path} did not appear")


def test_batch_joins_a_real_cluster_on_loopback(cohort, tmp_path):
    """A real `dask scheduler` and 2 `dask worker` processes, joined through tcp://."""
    files, bad = cohort
    dask_exe = str(Path(sys.executable).with_name("dask"))
    sched_file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([dask_exe, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(sched_file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        _wait_for(sched_file)
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for _ in range(2):
            procs.append(subprocess.Popen(
                [dask_exe, "worker", address, "--nthreads", "1", "--no-dashboard",
                 "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        res = run_batch([*files, bad], tmp_path / "out", scheduler=address)
        assert res.n_failed == 1
        assert sum(i.status == "done" for i in res.items) == len(files)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_outliers_modified_z_score():
    x = np.array([60, 62, 61, 63, 59, 64, 60, 120.0, np.nan])
    assert list(outliers(x)) == [7]
    assert list(outliers([1.0, 1.0, 1.0, 1.0])) == []


def test_unknown_scheduler_is_a_usage_error(cohort, tmp_path):
    files, _ = cohort
    assert main(["batch", str(files[0]), "--out", str(tmp_path), "--scheduler", "nope"]) == 2


def _blas_threads_item(path: str, out_dir: str, **_: object):
    """Stand-in for process_one: record the BLAS thread count this worker runs with."""
    from threadpoolctl import threadpool_info

    from glutesense.batch.run import ItemResult

    n = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    (Path(out_dir) / "blas.json").write_text(json.dumps(n))
    return ItemResult(path, out_dir, "failed", "stand-in")


@pytest.mark.parametrize("scheduler", ["processes", "threads"])
def test_workers_run_one_blas_thread_each(cohort, tmp_path, monkeypatch, scheduler):
    # N workers on N cores must not each start a multi-threaded BLAS pool (distributed's
    # nanny sets OPENBLAS_NUM_THREADS=1 for the same reason); the caller's setting is restored.
    from threadpoolctl import threadpool_info, threadpool_limits

    import glutesense.batch.run as run_mod

    files = [str(p) for p in cohort[0]][:3]
    monkeypatch.setattr(run_mod, "process_one", _blas_threads_item)
    with threadpool_limits(limits=2, user_api="blas"):
        run_batch(files, tmp_path / "out", scheduler=scheduler, workers=2)
        after = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    seen = [json.loads(p.read_text()) for p in sorted((tmp_path / "out").glob("*/blas.json"))]
    assert len(seen) == 3
    assert all(n == [1] * len(n) and n for n in seen), seen
    assert after and all(n == 2 for n in after), after   # libraries loaded later included


_FAULTS = """
import resource
import numpy as np
if RETAIN:
    from glutesense._process import retain_freed_memory
    assert retain_freed_memory()
from glutesense.analysis import analyze
from glutesense.recording import Recording
rng = np.random.default_rng(0)
acc = rng.normal(0, 0.01, (3, 60_000))
acc[2] += 9.81
rec = Recording(acc, 100.0, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3, ("m/s^2",) * 3)
analyze(rec)
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
analyze(rec)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's (Linux)")
def test_retained_memory_spares_the_page_faults_of_a_second_analysis():
    # The kernel's own count of minor page faults during a second analysis of the same
    # 10-minute recording, in a fresh process with glibc's defaults and in one set up as
    # the CLI and the batch workers are: freed arrays are reused instead of refaulted.
    def faults(retain: bool) -> int:
        out = subprocess.run([sys.executable, "-c", f"RETAIN = {retain}\n" + _FAULTS],
                             capture_output=True, text=True, check=True, timeout=120)
        return int(out.stdout.split()[-1])

    default, retained = faults(False), faults(True)
    assert default > 500, default           # the default does fault: the test can fail
    assert retained < default / 5, (retained, default)


def test_processes_scheduler_workers_retain_freed_memory(cohort, tmp_path, monkeypatch):
    import glutesense._process as proc

    calls = tmp_path / "calls"
    calls.mkdir()

    def spy(trim_mb: int = 256) -> bool:          # runs in the forked workers
        (calls / str(os.getpid())).touch()
        return True

    monkeypatch.setattr(proc, "retain_freed_memory", spy)
    run_batch([str(p) for p in cohort[0]][:2], tmp_path / "out", scheduler="processes",
              workers=2)
    pids = {p.name for p in calls.iterdir()}
    assert pids and str(os.getpid()) not in pids   # workers only, not the caller


def test_parent_is_warmed_before_workers_are_forked():
    # Forked workers inherit the parent's imports: a fresh interpreter that has only
    # imported glutesense.batch has none of what process_one needs on first use until the
    # warm-up has run (without it each worker paid ~0.4 s on its first input).
    code = (
        "import sys\n"
        "from glutesense.batch import run as R\n"
        "need = ('pandas', 'pyarrow', 'glutesense.triage', 'glutesense.analysis')\n"
        "print(sum(m in sys.modules for m in need))\n"
        "R._warm_parent()\n"
        "print(sum(m in sys.modules for m in need))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    assert out == ["0", "4"], out


def test_summary_rows_from_workers_equal_rows_read_back(cohort, tmp_path):
    # The workers hand their summary row to collate; a rerun (every input skipped) builds
    # the same table by reading each summary.json back: the two paths must agree.
    files = [str(p) for p in cohort[0]]
    out = tmp_path / "out"
    first = run_batch(files, out, scheduler="processes", workers=2)
    assert all(i.row is not None for i in first.items)
    fresh = pd.read_parquet(out / "summary.parquet")
    again = run_batch(files, out, scheduler="sync")
    assert all(i.status == "skipped" and i.row is None for i in again.items)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "summary.parquet"), fresh)
    assert (fresh["status"] == "done").all()
    assert np.allclose(fresh["duration_s"], 90.0, atol=0.02)


@pytest.mark.parametrize("scheduler", ["processes", "threads", "sync"])
def test_only_forked_workers_are_warmed_and_retain_memory(cohort, tmp_path, monkeypatch,
                                                          scheduler):
    # The warm-up runs before workers are forked, and the memory setting is applied in
    # the workers only: a threads or sync batch leaves the caller's process as it is.
    import glutesense._process as proc
    import glutesense.batch.run as run_mod

    warmed, retained = [], tmp_path / "retained"
    retained.mkdir()
    monkeypatch.setattr(run_mod, "_warm_parent", lambda: warmed.append(os.getpid()))
    monkeypatch.setattr(proc, "retain_freed_memory",
                        lambda trim_mb=256: (retained / str(os.getpid())).touch() or True)
    run_batch([str(p) for p in cohort[0]][:3], tmp_path / "out", scheduler=scheduler,
              workers=2)
    pids = {p.name for p in retained.iterdir()}
    if scheduler == "processes":
        assert warmed == [os.getpid()]
        assert pids and str(os.getpid()) not in pids
    else:
        assert warmed == [] and pids == set()


def test_cli_leaves_a_callers_process_alone(cohort, tmp_path, monkeypatch):
    # main([...]) called by a program (here pytest) must not change its malloc settings;
    # only main() run as the program does (python -m glutesense, the script).
    import glutesense._process as proc

    calls = []
    monkeypatch.setattr(proc, "retain_freed_memory", lambda trim_mb=256: calls.append(1))
    monkeypatch.setattr("glutesense.cli.retain_freed_memory", proc.retain_freed_memory)
    assert main(["analyze", str(cohort[0][0]), "--json"]) == 0
    assert calls == []
    monkeypatch.setattr(sys, "argv", ["glutesense", "analyze", str(cohort[0][0]), "--json"])
    with pytest.raises(SystemExit) as exited:       # as the program, main() exits
        main()
    assert exited.value.code in (0, None)
    assert calls == [1]


def _timed_item(path: str, out_dir: str, **_: object):
    """Stand-in for process_one: 0.1 s of 'work'; records which process ran it, and when."""
    from glutesense.batch.run import ItemResult

    t0 = time.time()
    time.sleep(0.1)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    (Path(out_dir) / "ran.json").write_text(json.dumps({"pid": os.getpid(), "t0": t0}))
    return ItemResult(path, out_dir, "failed", "stand-in")


def _inputs_of_sizes(d: Path, sizes: list[int]) -> list[str]:
    d.mkdir()
    paths = []
    for i, size in enumerate(sizes):
        p = d / f"in{i:02d}.csv"
        p.write_bytes(b"x" * size)
        paths.append(str(p))
    return paths


def test_plan_runs_the_largest_input_first_in_small_enough_chunks(tmp_path):
    from glutesense.batch.run import CHUNK_BYTES, plan

    paths = _inputs_of_sizes(tmp_path / "a", [10, 300, 20, 300, 5000, 0])
    order, _ = plan(paths + [str(tmp_path / "missing.csv")], 2)
    assert order == [4, 1, 3, 2, 0, 5, 6]          # by size, ties in input order, missing last
    small = _inputs_of_sizes(tmp_path / "b", [100] * 48)
    assert plan(small, 2)[1] == 6                  # Dask's default: tiny inputs in sixes
    assert plan(small[:7], 2)[1] == 1              # but never most of a worker's share at once
    assert plan(small[:16], 2)[1] == 2
    big = _inputs_of_sizes(tmp_path / "c", [CHUNK_BYTES // 3] * 48)
    assert plan(big, 2)[1] == 3                    # a chunk holds about CHUNK_BYTES of input


def test_processes_share_an_odd_cohort_evenly_largest_first(tmp_path, monkeypatch):
    # Dask's default chunk of 6 sent 7 inputs to 2 workers as 6 + 1: one worker did
    # almost everything. Each must now run 3 or 4, and the largest input starts first.
    import glutesense.batch.run as run_mod

    monkeypatch.setattr(run_mod, "process_one", _timed_item)
    paths = _inputs_of_sizes(tmp_path / "in", [100, 200, 300, 4000, 500, 600, 700])
    res = run_batch(paths, tmp_path / "out", scheduler="processes", workers=2)
    ran = [json.loads((Path(i.out_dir) / "ran.json").read_text()) for i in res.items]
    assert [i.path for i in res.items] == paths    # results come back in input order
    per_worker = sorted(sum(r["pid"] == pid for r in ran) for pid in {r["pid"] for r in ran})
    assert per_worker == [3, 4], per_worker
    assert min(range(7), key=lambda i: ran[i]["t0"]) == 3


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_local_schedulers_start_the_largest_input_first(tmp_path, monkeypatch, scheduler):
    import glutesense.batch.run as run_mod

    monkeypatch.setattr(run_mod, "process_one", _timed_item)
    sizes = [100, 900, 300, 700, 500]
    paths = _inputs_of_sizes(tmp_path / "in", sizes)
    res = run_batch(paths, tmp_path / "out", scheduler=scheduler, workers=1)
    started = sorted(range(5), key=lambda i: json.loads(
        (Path(res.items[i].out_dir) / "ran.json").read_text())["t0"])
    assert started == sorted(range(5), key=lambda i: -sizes[i])


from glutesense.batch.run import process_one as _real_process_one  # noqa: E402


def _killing_item(path: str, out_dir: str, **kw: object):
    """process_one, except that an input named kill*.csv kills the process analysing it."""
    import signal

    if Path(path).name.startswith("kill"):
        os.kill(os.getpid(), signal.SIGKILL)
    return _real_process_one(path, out_dir, **kw)


@pytest.mark.parametrize("scheduler", ["processes", "local"])
def test_an_input_that_kills_its_worker_is_recorded_and_the_rest_go_on(
        cohort, tmp_path, monkeypatch, capsys, scheduler):
    # The out-of-memory killer or a crash in a C library takes the worker process down;
    # the processes pool then breaks as a whole (with the other worker's input in flight),
    # and distributed retries it on new workers. Only the input that kills its worker may
    # be recorded as failed, the others must be analysed, and the exit code is 4.
    import glutesense.batch.run as run_mod

    monkeypatch.setattr(run_mod, "process_one", _killing_item)
    files = [str(p) for p in cohort[0]]
    killer = tmp_path / "kill.csv"
    shutil.copy(files[0], killer)
    inputs = [files[0], files[1], str(killer), files[2], files[3]]
    out = tmp_path / "out"
    code = main(["batch", *inputs, "--out", str(out), "--scheduler", scheduler,
                 "--workers", "2", "--json"])
    assert code == 4
    doc = json.loads(capsys.readouterr().out)
    status = {Path(i["path"]).name: i["status"] for i in doc["items"]}
    assert status.pop("kill.csv") == "failed", status
    assert set(status.values()) <= {"done", "skipped"} and len(status) == 4, status
    err = json.loads((out / "kill" / "error.json").read_text())["error"]
    assert str(killer) in err and "worker process died" in err
    table = pd.read_csv(out / "summary.csv")
    assert (table["status"] == "done").sum() == 4
    for f in cohort[0]:
        assert json.loads((out / f.stem / "summary.json").read_text())["input"]["duration_s"]


def test_cli_default_scheduler_is_processes_unless_an_address_is_set(cohort, tmp_path,
                                                                       monkeypatch):
    # threads gave 2 workers ~1.3x the throughput of one (the GIL between numpy calls),
    # processes ~1.8x: the CLI defaults to processes; DASK_SCHEDULER_ADDRESS still wins.
    import glutesense.batch as batch_pkg
    from glutesense.batch.run import BatchResult

    seen = []

    def fake_run_batch(files, out, *, scheduler, workers, progress):
        seen.append(scheduler)
        return BatchResult((), str(out), 0.0)

    monkeypatch.setattr(batch_pkg, "run_batch", fake_run_batch)
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    args = ["batch", str(cohort[0][0]), "--out", str(tmp_path), "--no-report", "--json"]
    assert main(args) == 0
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://127.0.0.1:1")
    assert main(args) == 0
    assert main([*args, "--scheduler", "threads"]) == 0
    assert seen == ["processes", "tcp://127.0.0.1:1", "threads"]


def test_a_rerun_skips_finished_inputs_without_starting_workers(cohort, tmp_path, monkeypatch):
    # Finished inputs are skipped by the parent; a fully finished batch starts no
    # scheduler, no warm-up and no worker, and still reports progress and collates.
    import glutesense.batch.run as run_mod

    files = [str(p) for p in cohort[0]][:2]
    out = tmp_path / "out"
    run_batch(files, out, scheduler="sync")
    table = pd.read_parquet(out / "summary.parquet")

    def boom(*_a, **_k):
        raise AssertionError("no worker may start for finished inputs")

    monkeypatch.setattr(run_mod, "_run_local", boom)
    monkeypatch.setattr(run_mod, "_warm_parent", boom)
    seen = []
    res = run_batch(files, out, scheduler="processes", workers=2, progress=seen.append)
    assert [i.status for i in res.items] == ["skipped", "skipped"]
    assert [i.path for i in seen] == files
    pd.testing.assert_frame_equal(pd.read_parquet(out / "summary.parquet"), table)


def test_no_warm_up_when_no_worker_gets_a_second_input(cohort, tmp_path, monkeypatch):
    # The warm-up before forking pays off only for a worker's second input; with one
    # input per worker (a rerun retrying one failed file) it would only add its own time.
    import glutesense.batch.run as run_mod

    warmed = []
    monkeypatch.setattr(run_mod, "_warm_parent", lambda: warmed.append(1))
    files = [str(p) for p in cohort[0]]
    run_batch(files[:2], tmp_path / "a", scheduler="processes", workers=2)
    assert warmed == []
    run_batch(files[:3], tmp_path / "b", scheduler="processes", workers=2)
    assert warmed == [1]
