// glutesense phone recorder: DeviceMotion → binary upload (glutesense web recording, GSWR1).
// Format: ASCII line "GSWR1\n", one JSON header line, then little-endian float64 rows
// (t_s, ax, ay, az) in m/s² with gravity (accelerationIncludingGravity).
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const state = { rows: [], t0: null, wakeLock: null, timer: null, recording: false, meterAt: 0 };

  function setStatus(text) { $("status").textContent = text; }

  function onMotion(ev) {
    if (!state.recording) return;
    const a = ev.accelerationIncludingGravity;
    if (!a || a.x === null || a.x === undefined) return;
    const now = performance.now() / 1000;
    if (state.t0 === null) state.t0 = now;
    state.rows.push(now - state.t0, a.x, a.y, a.z);
    const n = state.rows.length / 4;
    if (now - state.meterAt > 0.1) {
      state.meterAt = now;
      const g = Math.hypot(a.x, a.y, a.z);
      $("level").value = Math.min(2, Math.abs(g - 9.81));
      $("count").textContent = String(n);
      const span = state.rows[state.rows.length - 4];
      if (span > 0.5) $("rate").textContent = ((n - 1) / span).toFixed(1);
    }
  }

  async function askPermission() {
    // iOS 13+: must be called from the tap.
    if (typeof DeviceMotionEvent !== "undefined" && typeof DeviceMotionEvent.requestPermission === "function") {
      const res = await DeviceMotionEvent.requestPermission();
      if (res !== "granted") throw new Error("Motion access was not allowed. In Safari settings, allow Motion & Orientation access and try again.");
    }
    if (typeof DeviceMotionEvent === "undefined") throw new Error("This browser has no motion sensor access.");
    if (!window.isSecureContext) throw new Error("Motion sensors need a secure page (https).");
  }

  function answers() {
    const out = {};
    document.querySelectorAll("#answers-form [data-key]").forEach((el) => {
      const v = el.value.trim();
      if (!v) return;
      if (el.tagName === "SELECT" && (v === "yes" || v === "no")) out[el.dataset.key] = v === "yes";
      else if (el.type === "number") out[el.dataset.key] = Number(v);
      else out[el.dataset.key] = v;
    });
    return out;
  }

  function encode() {
    const n = state.rows.length / 4;
    const span = n > 1 ? state.rows[state.rows.length - 4] : 0;
    const header = JSON.stringify({
      app: "glutesense-web", userAgent: navigator.userAgent, start_utc: state.startUtc,
      n_samples: n, achieved_rate_hz: n > 1 ? (n - 1) / span : null, units: "m/s^2", gravity_included: true,
    });
    const head = new TextEncoder().encode("GSWR1\n" + header + "\n");
    const body = new Float64Array(state.rows);
    const blob = new Blob([head, new Uint8Array(body.buffer)], { type: "application/octet-stream" });
    return blob;
  }

  async function upload() {
    state.recording = false;
    window.removeEventListener("devicemotion", onMotion);
    if (state.wakeLock) { try { await state.wakeLock.release(); } catch (e) { /* already released */ } }
    clearInterval(state.timer);
    $("stop").disabled = true;
    const n = state.rows.length / 4;
    if (n < 20) { setStatus("Too few samples were recorded. Is this a phone with a motion sensor?"); $("start").disabled = false; return; }
    setStatus("Uploading " + n + " samples…");
    const fd = new FormData();
    fd.append("file", encode(), "phone-recording.gswr");
    fd.append("answers", JSON.stringify(answers()));
    const res = await fetch($("recorder").dataset.upload, { method: "POST", body: fd, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" });
    if (res.status === 201) {
      const doc = await res.json();
      setStatus("Uploaded. Opening your report…");
      window.location.href = "/recordings/" + doc.id;
    } else {
      let detail = res.statusText;
      try { detail = (await res.json()).detail; } catch (e) { /* not JSON */ }
      setStatus("Upload failed: " + detail);
      $("start").disabled = false;
    }
  }

  async function start() {
    $("start").disabled = true;
    try { await askPermission(); } catch (e) { setStatus(e.message); $("start").disabled = false; return; }
    try { if ("wakeLock" in navigator) state.wakeLock = await navigator.wakeLock.request("screen"); } catch (e) { /* optional */ }
    state.rows = []; state.t0 = null;
    let count = 3;
    setStatus("Get into position… " + count);
    await new Promise((resolve) => {
      const cd = setInterval(() => {
        count -= 1;
        if (count <= 0) { clearInterval(cd); resolve(); } else setStatus("Get into position… " + count);
      }, 1000);
    });
    const seconds = Number($("seconds").value);
    state.startUtc = new Date().toISOString();
    state.recording = true;
    window.addEventListener("devicemotion", onMotion);
    $("stop").disabled = false;
    const t_end = performance.now() + seconds * 1000;
    state.timer = setInterval(() => {
      const left = Math.max(0, Math.round((t_end - performance.now()) / 1000));
      setStatus("Recording… keep still. " + left + " s left");
      if (left <= 0) upload();
    }, 250);
  }

  $("start").addEventListener("click", start);
  $("stop").addEventListener("click", upload);
})();
