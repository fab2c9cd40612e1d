"""Browser pages through TestClient: sign-up, upload with answers, report, downloads, diary."""

from __future__ import annotations

import re

import numpy as np
import pytest

from builders.web import csv_bytes

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _csrf(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def _signup(client, name="frank"):
    csrf = _csrf(client.get("/signup").text)
    r = client.post("/signup", data={"username": name, "password": "longenough", "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/record"


@pytest.mark.parametrize("path", ["/", "/signup", "/login", "/questionnaire"])
def test_public_pages_render(client, path):
    r = client.get(path)
    assert r.status_code == 200 and "glutesense does not diagnose" in r.text
    if path == "/":  # one simulated example plot per mechanism
        assert r.text.count('class="example"') == 5


@pytest.mark.parametrize("path", ["/record", "/upload", "/diary", "/account"])
def test_private_pages_redirect_to_login(client, path):
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_upload_page_flow_report_and_diary(client):
    _signup(client)
    page = client.get("/upload").text
    assert 'name="q_saddle_numbness"' in page
    csrf = _csrf(page)
    r = client.post("/upload", data={"csrf_token": csrf, "q_saddle_numbness": "yes",
                                     "q_caffeine_mg_per_day": "300", "q_pain": ""},
                    files={"file": ("pocket.csv", csv_bytes(20))}, follow_redirects=False)
    assert r.status_code == 303
    url = r.headers["location"]
    assert "Analysing" in client.get(url).text
    client.app.state.worker.run_once()
    page = client.get(url).text
    assert "Emergency: get help now." in page          # the answers reached the triage
    assert "data:image/png;base64," in page
    for fmt, ctype in (("json", "application/json"), ("html", "text/html"), ("pdf", "application/pdf")):
        d = client.get(f"{url}/report.{fmt}")
        assert d.status_code == 200 and d.headers["content-type"].startswith(ctype)
        assert "attachment" in d.headers["content-disposition"]
    assert client.get(f"{url}/report.html").headers["content-security-policy"].startswith("default-src 'none'")
    # a second session, then the diary lists both with a trend plot
    client.post("/upload", data={"csrf_token": csrf}, files={"file": ("second.csv", csv_bytes(20, seed=1))})
    client.app.state.worker.run_once()
    diary = client.get("/diary").text
    assert diary.count("<tr>") == 3 and "second.csv" in diary and "pocket.csv" in diary
    png = client.get("/diary/trend.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_questionnaire_page_without_account(client):
    csrf = _csrf(client.get("/questionnaire").text)
    r = client.post("/questionnaire", data={"csrf_token": csrf, "q_bladder_bowel_change": "yes"})
    assert r.status_code == 200 and "Emergency" in r.text and "bestpractice.bmj.com" in r.text
    r = client.post("/questionnaire", data={"csrf_token": csrf, "q_sleep_hours": "lots"})
    assert r.status_code == 422


def test_login_logout_and_account_deletion(client):
    _signup(client, "gina")
    csrf = _csrf(client.get("/account").text)
    assert client.post("/account/export", data={"csrf_token": csrf}).headers["content-type"] == "application/zip"
    r = client.post("/account/delete", data={"csrf_token": csrf, "confirm": "wrong"})
    assert r.status_code == 422
    client.post("/logout", data={"csrf_token": csrf})
    csrf = _csrf(client.get("/login").text)
    bad = client.post("/login", data={"csrf_token": csrf, "username": "gina", "password": "nopenope"})
    assert bad.status_code == 401 and "Wrong username or password" in bad.text
    ok = client.post("/login", data={"csrf_token": csrf, "username": "gina", "password": "longenough"},
                     follow_redirects=False)
    assert ok.status_code == 303
    csrf = _csrf(client.get("/account").text)
    r = client.post("/account/delete", data={"csrf_token": csrf, "confirm": "gina"}, follow_redirects=False)
    assert r.status_code == 303
    csrf = _csrf(client.get("/login").text)
    assert client.post("/login", data={"csrf_token": csrf, "username": "gina",
                                       "password": "longenough"}).status_code == 401


def test_browser_recording_format_round_trip(tmp_path):
    """The recorder's GSWR1 upload is read back with its irregular browser time stamps."""
    import glutesense as gs
    from glutesense.io.webrec import write_webrec

    rng = np.random.default_rng(3)
    t = np.cumsum(rng.uniform(0.014, 0.019, 3000))  # ~60 Hz with jitter, like Chrome
    acc = np.vstack([np.sin(t), np.cos(t), np.full_like(t, 9.81)])
    p = tmp_path / "phone-recording.gswr"
    write_webrec(t, acc, p, header={"app": "glutesense-web", "start_utc": "2026-11-25T10:00:00.000Z"})
    rec = gs.read(p)
    assert rec.meta["format"] == "webrec"
    assert rec.fs == pytest.approx((t.size - 1) / (t[-1] - t[0]), rel=0.01)
    assert rec.start.isoformat().startswith("2026-11-25T10:00:00")
    assert np.median(rec.get("acc_z")) == pytest.approx(9.81)
    bad = tmp_path / "cut.gswr"
    bad.write_bytes(p.read_bytes()[:-5])
    with pytest.raises(gs.GlutesenseError, match="truncated"):
        gs.read(bad)
