"""Property-based API testing from /openapi.json (schemathesis): no input gives a server error."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis not installed (test extra)")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from glutesense.web import Settings, create_app  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def app_and_token(tmp_path_factory):
    from fastapi.testclient import TestClient

    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("st"), worker_threads=0,
                              login_max_failures=10_000))
    with TestClient(app) as c:
        c.post("/api/users", json={"username": "schema", "password": "longenough"})
        token = c.post("/api/tokens", json={"username": "schema", "password": "longenough"}).json()["token"]
        yield app, token


def test_no_server_errors(app_and_token):
    app, token = app_and_token
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [op.ok() for op in schema.get_all_operations()]
    calls = []
    for operation in operations:

        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(operation.as_strategy())
        def run(case):
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            calls.append(response.status_code)
            assert response.status_code < 500, (case.method, case.path, response.text)

        run()
    print(f"\nschemathesis: {len(operations)} operations, {len(calls)} calls, "
          f"{sum(c >= 500 for c in calls)} server errors")
    assert len(operations) >= 8 and len(calls) >= 8 * 5
