"""Load and faults on loopback: 50 concurrent uploads, and kill -9 in mid-analysis.

The server runs as a real process (``glutesense serve``) so that it can be killed hard.
The upload-to-report latency (median and p95) is printed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from builders.web import csv_bytes

EXE = str(Path(sys.executable).with_name("glutesense"))
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(data: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([EXE, "serve", "--port", str(port), "--data", str(data)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import httpx

    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start: " + proc.stderr.read().decode()[-500:])


def _token(base: str) -> dict[str, str]:
    import httpx

    httpx.post(f"{base}/api/users", json={"username": "load", "password": "longenough"})
    tok = httpx.post(f"{base}/api/tokens", json={"username": "load", "password": "longenough"}).json()
    return {"Authorization": f"Bearer {tok['token']}"}


def _upload(base, headers, i):
    import httpx

    t0 = time.perf_counter()
    r = httpx.post(f"{base}/api/recordings", headers=headers, timeout=60,
                   files={"file": (f"s{i}.csv", csv_bytes(20, seed=i))})
    assert r.status_code == 201, r.text
    return r.json()["id"], t0


def _wait_done(base, headers, ids, timeout_s=240.0):
    import httpx

    done_at: dict[str, float] = {}
    t_end = time.time() + timeout_s
    while len(done_at) < len(ids) and time.time() < t_end:
        for row in httpx.get(f"{base}/api/recordings", headers=headers, timeout=30).json():
            if row["id"] in ids and row["status"] in ("done", "failed") and row["id"] not in done_at:
                done_at[row["id"]] = time.perf_counter()
        time.sleep(0.1)
    return done_at


def test_50_concurrent_uploads_give_50_reports(tmp_path):
    import httpx

    port = _port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(tmp_path / "data", port)
    try:
        headers = _token(base)
        with ThreadPoolExecutor(50) as pool:
            acks = list(pool.map(lambda i: _upload(base, headers, i), range(50)))
        ids = {rid for rid, _ in acks}
        assert len(ids) == 50
        done_at = _wait_done(base, headers, ids)
        assert len(done_at) == 50
        lat = np.array([done_at[rid] - t0 for rid, t0 in acks])
        print(f"\nupload→report latency for 50 concurrent uploads: median {np.median(lat):.2f} s, "
              f"p95 {np.percentile(lat, 95):.2f} s, max {lat.max():.2f} s")
        for rid in ids:
            rep = httpx.get(f"{base}/api/recordings/{rid}/report", headers=headers, timeout=30)
            assert rep.status_code == 200 and rep.json()["schema"] == "glutesense.report/1"
    finally:
        proc.terminate()
        proc.wait(20)


def test_kill_9_mid_analysis_loses_nothing(tmp_path):
    import httpx

    port = _port()
    base = f"http://127.0.0.1:{port}"
    data = tmp_path / "data"
    proc = _start(data, port)
    headers = _token(base)
    ids = [_upload(base, headers, i)[0] for i in range(12)]
    # kill as soon as the worker is busy and work is still queued
    t_end = time.time() + 60
    while time.time() < t_end:
        st = [r["status"] for r in httpx.get(f"{base}/api/recordings", headers=headers).json()]
        if "running" in st or ("done" in st and "queued" in st):
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    proc = _start(data, port)
    try:
        listed = {r["id"] for r in httpx.get(f"{base}/api/recordings", headers=headers).json()}
        assert set(ids) <= listed  # every acknowledged upload survived
        done_at = _wait_done(base, headers, set(ids))
        assert len(done_at) == len(ids)
        statuses = {r["id"]: r["status"] for r in httpx.get(f"{base}/api/recordings", headers=headers).json()}
        assert all(statuses[i] == "done" for i in ids)
    finally:
        proc.terminate()
        proc.wait(20)
