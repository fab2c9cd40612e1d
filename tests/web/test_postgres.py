"""The same storage layer on PostgreSQL (CI starts Debian's postgresql and sets the URL).

Set ``GLUTESENSE_TEST_POSTGRES_URL`` (e.g.
``postgresql+psycopg://glutesense:glutesense@127.0.0.1:5432/glutesense_test``) to run.
"""

from __future__ import annotations

import json
import os

import pytest

from builders.web import csv_bytes, token_for

URL = os.environ.get("GLUTESENSE_TEST_POSTGRES_URL")
pytestmark = [
    pytest.mark.skipif(not URL, reason="GLUTESENSE_TEST_POSTGRES_URL not set (.ci/run starts "
                                       "PostgreSQL and sets it)"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


@pytest.fixture
def pg_client(make_client):
    from sqlalchemy import create_engine, text

    engine = create_engine(URL)
    with engine.begin() as conn:  # start from an empty database
        for table in ("recordings", "api_tokens", "users", "alembic_version"):
            conn.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()
    return make_client(database_url=URL)


def test_api_flow_on_postgresql(pg_client):
    c = pg_client
    tok = token_for(c)
    h = {"Authorization": f"Bearer {tok}"}
    rid = c.post("/api/recordings", headers=h, files={"file": ("p.csv", csv_bytes(15))},
                 data={"answers": json.dumps({"weakness": True, "frequency": "daily"})}).json()["id"]
    assert c.app.state.worker.run_once()
    rep = c.get(f"/api/recordings/{rid}/report", headers=h).json()
    assert rep["triage"]["level"] == "urgent"
    other = token_for(c, "mallory")
    assert c.get(f"/api/recordings/{rid}", headers={"Authorization": f"Bearer {other}"}).status_code == 404
    assert c.delete(f"/api/recordings/{rid}", headers=h).status_code == 204
    assert c.get("/api/recordings", headers=h).json() == []
