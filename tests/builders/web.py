"""Helpers for the web tests: a small canonical CSV and an account with a token."""

from __future__ import annotations

import io

import numpy as np


def csv_bytes(seconds: float = 30.0, fs: float = 100.0, seed: int = 0) -> bytes:
    """A canonical CSV: gravity + sensor noise + heartbeat-like pulses at 66 bpm."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    t = np.arange(n) / fs
    acc = rng.normal(0, 0.01, (3, n))
    acc[2] += 9.81
    for b in np.arange(0.4, seconds, 60 / 66):
        acc[2] += 0.02 * -(t - b) / 0.03 * np.exp(-0.5 * ((t - b) / 0.03) ** 2)
    buf = io.StringIO()
    buf.write("time_s,acc_x_ms2,acc_y_ms2,acc_z_ms2\n")
    np.savetxt(buf, np.column_stack([t, acc.T]), fmt="%.6f", delimiter=",")
    return buf.getvalue().encode()


def token_for(client, username: str = "alice", password: str = "correct horse") -> str:
    assert client.post("/api/users", json={"username": username, "password": password}).status_code == 201
    r = client.post("/api/tokens", json={"username": username, "password": password})
    assert r.status_code == 200
    return r.json()["token"]
