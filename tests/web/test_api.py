"""The JSON API (DESIGN §4.5): every route and status code, IDOR, CSRF, limits, durability."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders.web import csv_bytes, token_for

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def auth(tok):
    return {"Authorization": f"Bearer {tok}"}


def test_health_and_openapi(client):
    assert client.get("/api/health").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert "/api/recordings" in spec["paths"] and "/api/tokens" in spec["paths"]


def test_users_and_tokens(client):
    assert client.post("/api/users", json={"username": "bob", "password": "longenough"}).status_code == 201
    r = client.post("/api/users", json={"username": "BOB", "password": "longenough"})
    assert r.status_code == 409 and r.json()["detail"] == "username taken"
    r = client.post("/api/users", json={"username": "b", "password": "longenough"})
    assert r.status_code == 422 and "username" in r.json()["detail"]
    r = client.post("/api/users", json={"username": "carol", "password": "short"})
    assert r.status_code == 422 and "password" in r.json()["detail"]
    assert client.post("/api/users", content=b"{not json", headers={"content-type": "application/json"}).status_code == 422
    assert client.post("/api/tokens", json={"username": "bob", "password": "wrongwrong"}).status_code == 401
    assert client.post("/api/tokens", json={"username": "nobody", "password": "wrongwrong"}).status_code == 401
    tok = client.post("/api/tokens", json={"username": "bob", "password": "longenough"}).json()["token"]
    assert client.get("/api/recordings", headers=auth(tok)).json() == []
    assert client.get("/api/recordings", headers=auth("forged")).status_code == 401
    assert client.get("/api/recordings").status_code == 401


def test_login_rate_limit(make_client):
    c = make_client(login_max_failures=3)
    c.post("/api/users", json={"username": "dave", "password": "longenough"})
    codes = [c.post("/api/tokens", json={"username": "dave", "password": "guess-%d" % i}).status_code
             for i in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
    # even the right password is refused while blocked
    r = c.post("/api/tokens", json={"username": "dave", "password": "longenough"})
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_upload_analyse_report_delete(client):
    tok = token_for(client)
    data = csv_bytes()
    r = client.post("/api/recordings", headers=auth(tok),
                    files={"file": ("pocket.csv", data, "text/csv")},
                    data={"answers": json.dumps({"frequency": "daily", "recent_exercise": True})})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert r.json()["status"] == "queued"
    meta = client.get(f"/api/recordings/{rid}", headers=auth(tok)).json()
    assert meta["status"] == "queued" and meta["size_bytes"] == len(data)
    # stored byte for byte before being acknowledged
    stored = list((Path(client.app.state.settings.data_dir) / "uploads").rglob("*.csv"))
    assert len(stored) == 1 and stored[0].read_bytes() == data
    assert client.get(f"/api/recordings/{rid}/report", headers=auth(tok)).status_code == 409
    assert client.app.state.worker.run_once() is True
    rep = client.get(f"/api/recordings/{rid}/report", headers=auth(tok)).json()
    assert rep["schema"] == "glutesense.report/1"
    assert rep["triage"]["level"] == "self_care"
    assert client.get("/api/recordings", headers=auth(tok)).json()[0]["status"] == "done"
    assert client.delete(f"/api/recordings/{rid}", headers=auth(tok)).status_code == 204
    assert not stored[0].exists()
    assert client.get(f"/api/recordings/{rid}", headers=auth(tok)).status_code == 404


def test_bad_uploads_are_4xx_never_500(make_client):
    c = make_client(max_upload_bytes=10_000)
    tok = token_for(c)
    h = auth(tok)
    assert c.post("/api/recordings", headers=h, files={"file": ("big.csv", b"x" * 20_000)}).status_code == 413
    assert c.post("/api/recordings", headers=h, files={"file": ("e.csv", b"")}).status_code == 400
    assert c.post("/api/recordings", headers=h, data={"x": "1"}).status_code == 400
    r = c.post("/api/recordings", headers=h, files={"file": ("a.csv", b"abc")},
               data={"answers": json.dumps({"numbness": "yes"})})
    assert r.status_code == 422 and "numbness" in r.json()["detail"]
    r = c.post("/api/recordings", headers=h, files={"file": ("a.csv", b"abc")}, data={"answers": "{"})
    assert r.status_code == 422
    assert not list((Path(c.app.state.settings.data_dir) / "uploads").rglob("*.csv"))
    # garbage file is accepted, then fails analysis with a reason (not a crash)
    r = c.post("/api/recordings", headers=h, files={"file": ("junk.bin", b"\x00\xff" * 100)})
    assert r.status_code == 201
    c.app.state.worker.run_once()
    meta = c.get(f"/api/recordings/{r.json()['id']}", headers=h).json()
    assert meta["status"] == "failed" and "junk.bin" in meta["reason"]
    assert c.get(f"/api/recordings/{r.json()['id']}/report", headers=h).status_code == 409


def test_another_users_recording_is_404(client):
    a, b = token_for(client, "alice"), token_for(client, "mallory")
    rid = client.post("/api/recordings", headers=auth(a),
                      files={"file": ("p.csv", csv_bytes(10))}).json()["id"]
    for method, url in (("get", f"/api/recordings/{rid}"), ("get", f"/api/recordings/{rid}/report"),
                        ("delete", f"/api/recordings/{rid}")):
        assert getattr(client, method)(url, headers=auth(b)).status_code == 404
    assert client.get("/api/recordings", headers=auth(b)).json() == []
    assert client.get(f"/api/recordings/{rid}", headers=auth(a)).status_code == 200


def test_session_writes_need_csrf(client):
    r = client.post("/signup", data={"username": "erin", "password": "longenough",
                                     "csrf_token": "nope"})
    assert r.status_code == 403
    page = client.get("/signup").text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/signup", data={"username": "erin", "password": "longenough",
                                     "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    csrf = client.get("/record").text.split('name="csrf-token" content="')[1].split('"')[0]
    files = {"file": ("p.csv", csv_bytes(10))}
    assert client.post("/api/recordings", files=files).status_code == 403
    assert client.post("/api/recordings", files=files, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.post("/api/recordings", files=files, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_security_headers(client):
    r = client.get("/")
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert r.headers["x-content-type-options"] == "nosniff"


def test_restart_requeues_interrupted_analysis(tmp_path, make_client):
    from sqlalchemy import update

    from glutesense.web.db import RecordingRow

    c = make_client(data_dir=tmp_path / "d")
    tok = token_for(c)
    rid = c.post("/api/recordings", headers=auth(tok), files={"file": ("p.csv", csv_bytes(10))}).json()["id"]
    with c.app.state.Session.begin() as s:  # simulate a crash mid-analysis
        s.execute(update(RecordingRow).values(status="running"))
    c2 = make_client(data_dir=tmp_path / "d", worker_threads=1)
    import time

    for _ in range(200):
        if c2.get(f"/api/recordings/{rid}", headers=auth(tok)).json()["status"] == "done":
            break
        time.sleep(0.1)
    assert c2.get(f"/api/recordings/{rid}", headers=auth(tok)).json()["status"] == "done"


def test_account_export_and_delete(client):
    import io
    import zipfile

    tok = token_for(client)
    data = csv_bytes(10)
    client.post("/api/recordings", headers=auth(tok), files={"file": ("p.csv", data)})
    z = zipfile.ZipFile(io.BytesIO(client.get("/api/account/export", headers=auth(tok)).content))
    originals = [n for n in z.namelist() if "/original/" in n]
    assert len(originals) == 1 and z.read(originals[0]) == data
    assert client.delete("/api/account", headers=auth(tok)).status_code == 204
    assert client.get("/api/recordings", headers=auth(tok)).status_code == 401
    assert not list((Path(client.app.state.settings.data_dir) / "uploads").rglob("*.csv"))
