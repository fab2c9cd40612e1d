"""End to end in Debian's Chromium (Playwright): record with the phone sensor, upload, diary.

The browser is the system one (``/usr/bin/chromium``; ``.ci/run`` installs it): Playwright's
own browser download is impossible here. Screenshots of every page, phone-sized included,
go to ``$GLUTESENSE_SCREENSHOTS`` when that is set.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (apt-get install chromium)"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = os.environ.get("GLUTESENSE_SCREENSHOTS")


def expect(locator):
    from playwright.sync_api import expect as _expect

    return _expect(locator)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from glutesense.web import Settings, create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("web"), worker_threads=1))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    th.join(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _signup(page, base, name):
    page.goto(f"{base}/signup")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", "longenough")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/record")


# 6 s of a seated phone at ~60 Hz: gravity, noise, and a heartbeat-like bump at 70/min.
_DISPATCH = """async () => {
  const t0 = performance.now();
  for (let i = 0; i < 360; i++) {
    const t = i / 60, beat = (t % (60/70)) - 0.3;
    const z = 9.81 + 0.03 * Math.exp(-0.5 * (beat/0.03)**2) + (Math.random()-0.5) * 0.01;
    window.dispatchEvent(new DeviceMotionEvent('devicemotion', {
      accelerationIncludingGravity: {x: (Math.random()-0.5)*0.01, y: 0.2, z: z}, interval: 16}));
    const wait = t0 + (i + 1) * 1000 / 60 - performance.now();
    if (wait > 0) await new Promise(r => setTimeout(r, wait));
  }
}"""


def _wait_report(page):
    page.wait_for_selector("#summary", timeout=60_000)


def test_record_with_synthetic_devicemotion(server, browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    _signup(page, server, "phoneuser")
    _shot(page, "record-phone")
    page.click("#start")
    expect(page.locator("#status")).to_contain_text("Recording", timeout=10_000)
    page.evaluate(_DISPATCH)
    assert int(page.inner_text("#count")) > 300
    assert 40 < float(page.inner_text("#rate")) < 80
    page.click("#stop")
    page.wait_for_url(f"{server}/recordings/*", timeout=20_000)
    _wait_report(page)
    assert "In short" in page.inner_text("body")
    _shot(page, "report-phone")
    ctx.close()


def test_record_with_cdp_virtual_sensors(server, browser):
    """DeviceMotion fed by Chromium's own sensor pipeline, overridden through CDP."""
    ctx = browser.new_context()
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    for kind in ("accelerometer", "linear-acceleration", "gyroscope"):
        cdp.send("Emulation.setSensorOverrideEnabled", {"enabled": True, "type": kind})
    cdp.send("Emulation.setSensorOverrideReadings",
             {"type": "accelerometer", "reading": {"xyz": {"x": 0.1, "y": 0.3, "z": 9.8}}})
    cdp.send("Emulation.setSensorOverrideReadings",
             {"type": "linear-acceleration", "reading": {"xyz": {"x": 0.0, "y": 0.0, "z": 0.0}}})
    cdp.send("Emulation.setSensorOverrideReadings",
             {"type": "gyroscope", "reading": {"xyz": {"x": 0.0, "y": 0.0, "z": 0.0}}})
    _signup(page, server, "cdpuser")
    page.click("#start")
    expect(page.locator("#status")).to_contain_text("Recording", timeout=10_000)
    for i in range(40):  # vary the reading so the signal is not constant
        cdp.send("Emulation.setSensorOverrideReadings",
                 {"type": "accelerometer",
                  "reading": {"xyz": {"x": 0.1 + 0.01 * (i % 3), "y": 0.3, "z": 9.8 + 0.02 * (i % 5)}}})
        page.wait_for_timeout(100)
    assert int(page.inner_text("#count")) >= 20
    page.click("#stop")
    page.wait_for_url(f"{server}/recordings/*", timeout=20_000)
    ctx.close()


def test_ios_permission_denied(server, browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    ctx.add_init_script("DeviceMotionEvent.requestPermission = async () => 'denied';")
    page = ctx.new_page()
    _signup(page, server, "iosuser")
    page.click("#start")
    expect(page.locator("#status")).to_contain_text("not allowed")
    assert page.is_enabled("#start")
    ctx.close()


def test_upload_phyphox_and_diary_shows_two_sessions(server, browser, tmp_path):
    import numpy as np

    from glutesense.io.phyphox import write_phyphox
    from glutesense.recording import Recording

    rng = np.random.default_rng(5)
    acc = rng.normal(0, 0.01, (3, 3000))
    acc[2] += 9.81
    rec = Recording(acc, 100.0, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3, ("m/s^2",) * 3)
    export = tmp_path / "Acceleration with g 2026-11-25 10-00-00.zip"
    write_phyphox(rec, export)
    ctx = browser.new_context()
    page = ctx.new_page()
    _signup(page, server, "uploader")
    for i in range(2):
        page.goto(f"{server}/upload")
        _shot(page, "upload")
        page.set_input_files("input[name=file]", str(export))
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/recordings/*")
        _wait_report(page)
    _shot(page, "report-desktop")
    page.goto(f"{server}/diary")
    assert page.locator("#sessions tr").count() == 3  # header + two sessions
    _shot(page, "diary")
    for name in ("", "questionnaire", "account"):
        page.goto(f"{server}/{name}")
        _shot(page, name or "home")
    ctx.close()
