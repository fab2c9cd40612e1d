"""Fixtures for the web app: an app on a temporary data folder, users, a small recording."""

from __future__ import annotations

import pytest


@pytest.fixture
def make_client(tmp_path):
    from fastapi.testclient import TestClient

    from glutesense.web import Settings, create_app

    clients = []

    def _make(**kw):
        settings = Settings(data_dir=kw.pop("data_dir", tmp_path / "data"),
                            worker_threads=kw.pop("worker_threads", 0), **kw)
        c = TestClient(create_app(settings), raise_server_exceptions=False)
        c.__enter__()
        clients.append(c)
        return c

    yield _make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()
