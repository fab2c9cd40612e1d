"""An independent test-signal generator for the analyser's detectors.

Written from first principles and deliberately unlike :mod:`glutesense.body`
(which the analyser must never see): every component is a textbook signal
model chosen so that ground truth is exact.

Components (body frame: x, y horizontal, z vertical up, m/s²)
-------------------------------------------------------------
- **pulse**: ballistocardiogram beats built from a Gaussian-derivative template
  (a biphasic I-J-K-like complex, width ``bcg_sigma_s``) along a mostly
  vertical direction, with beat-to-beat intervals from an AR(1) heart-rate
  variability process plus respiratory sinus arrhythmia (0.25 Hz).
- **twitch**: exponentially damped sinusoids with a random 3-D orientation,
  random frequency and decay, at Poisson times with a minimum spacing, scaled so
  that the peak vector magnitude equals ``snr × noise_rms`` exactly.
- **nerve**: bursts of 3–6 short damped transients 80–150 ms apart.
- **postural**: AR(1) horizontal sway, low-passed at 2 Hz.
- **vibration**: sums of tones with harmonics (appliances) and a 5 Hz resonant
  filtered noise (vehicles).
- **voluntary**: gait-like harmonic bursts with a tilting gravity vector; each
  may end in an exponentially decaying after-oscillation.
- **sensor**: white + 1/f noise per axis, a random sensor orientation (changed
  at ``orientation_changes_s``, inside a short shifting movement) and gravity.
- **emg** (optional): fasciculation potentials as sums of Gaussian derivatives,
  one shape per motor unit; nerve discharges as doublets/multiplets.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from scipy import signal

from glutesense.recording import Recording

__all__ = ["SynthTruth", "make", "match_events", "assert_report_schema"]

G = 9.80665


@dataclasses.dataclass
class SynthTruth:
    """Ground truth of a generated recording (times in s, accelerations in m/s²)."""

    noise_rms: float
    hr_bpm: float | None
    beats_s: np.ndarray
    twitch_s: np.ndarray
    twitch_peak_ms2: np.ndarray
    bursts: list[dict[str, Any]]
    voluntary: list[tuple[float, float]]
    after_movement: list[dict[str, float]]
    orientation_changes_s: list[float]
    fp_s: np.ndarray
    fp_unit: np.ndarray


def _rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random rotation matrix (QR of a Gaussian matrix, sign-fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    q = q @ np.diag(np.sign(np.diag(r)))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _unit(rng: np.random.Generator, n: int = 1) -> np.ndarray:
    v = rng.standard_normal((n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _pink(rng: np.random.Generator, n: int, fs: float) -> np.ndarray:
    """Unit-RMS 1/f noise by spectral shaping of white Gaussian noise."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / fs)
    f[0] = f[1] if n > 1 else 1.0
    x = np.fft.irfft(spec / np.sqrt(f), n)
    return x / x.std()


def _poisson_times(rng: np.random.Generator, rate_per_min: float, t0: float, t1: float,
                   min_gap: float, exclude: list[tuple[float, float]]) -> np.ndarray:
    if rate_per_min <= 0 or t1 <= t0:
        return np.zeros(0)
    n = rng.poisson(rate_per_min * (t1 - t0) / 60.0 * 1.3) + 1
    t = np.sort(rng.uniform(t0, t1, n))
    keep: list[float] = []
    for ti in t:
        if keep and ti - keep[-1] < min_gap:
            continue
        if any(a - 1.0 <= ti <= b + 4.0 for a, b in exclude):
            continue
        keep.append(float(ti))
    target = int(round(rate_per_min * (t1 - t0) / 60.0))
    keep_arr = np.asarray(keep)
    if keep_arr.size > target:
        keep_arr = np.sort(rng.choice(keep_arr, target, replace=False))
    return keep_arr


def _damped(t: np.ndarray, f: float, tau: float, phase: float) -> np.ndarray:
    w = np.exp(-t / tau) * np.sin(2 * np.pi * f * t + phase) * (t >= 0)
    return w


def _add_transient(out: np.ndarray, fs: float, t_s: float, amp: float, f: float, tau: float,
                   direction: np.ndarray, rng: np.random.Generator) -> None:
    """Add a damped sinusoid whose peak vector magnitude is exactly *amp*."""
    n = out.shape[1]
    i0 = int(np.ceil(t_s * fs))
    length = int(6 * tau * fs) + 2
    i1 = min(n, i0 + length)
    if i1 <= i0:
        return
    t = (np.arange(i0, i1) / fs) - t_s
    w = _damped(t, f, tau, rng.uniform(0, 0.5 * np.pi))
    peak = np.abs(w).max()
    if peak > 0:
        out[:, i0:i1] += direction[:, None] * (amp * w / peak)


def _bcg_template(fs: float, sigma: float) -> tuple[np.ndarray, int]:
    """Gaussian-derivative I-J-K complex, peak |value| 1, and the index of its J peak."""
    t = np.arange(-5 * sigma, 5 * sigma + 1 / fs, 1 / fs)
    g = np.exp(-0.5 * (t / sigma) ** 2)
    d1 = -t / sigma * g                                     # first derivative shape
    d2 = ((t / sigma) ** 2 - 1) * g                         # second derivative shape
    w = -0.6 * d2 + 0.5 * d1
    w /= np.abs(w).max()
    return w, int(np.argmax(w))


def make(duration_s: float, fs: float, *, seed: int, noise_rms: float = 0.01,
         pink_fraction: float = 0.3, hr_bpm: float | None = None,
         hr_end_bpm: float | None = None, bcg_amp: float = 0.0,
         bcg_sigma_s: float = 0.04, twitch_rate_per_min: float = 0.0,
         twitch_snr: tuple[float, float] = (5.0, 15.0), bursts_per_min: float = 0.0,
         burst_snr: tuple[float, float] = (6.0, 12.0), sway_rms: float = 0.0,
         tones: tuple[tuple[float, float], ...] = (), vehicle_rms: float = 0.0,
         voluntary: tuple[tuple[float, float], ...] = (),
         after_movement: tuple[float, float] | None = None,
         orientation_changes_s: tuple[float, ...] = (), gravity: bool = True,
         emg_fs: float | None = None, emg_noise_v: float = 5e-6,
         n_units: int = 3, clip_ms2: float | None = None) -> tuple[Recording, SynthTruth]:
    """Generate a recording and its ground truth.

    Parameters
    ----------
    duration_s, fs : float
        Length in s and sampling rate in Hz.
    seed : int
        Seed of the generator.
    noise_rms : float
        Total sensor noise RMS per axis in m/s² (white + 1/f).
    pink_fraction : float
        Fraction of the noise variance that is 1/f.
    hr_bpm, bcg_amp, bcg_sigma_s
        Mean heart rate, BCG peak amplitude (m/s²) and template width; no pulse
        when ``bcg_amp`` is 0 or ``hr_bpm`` is None.
    hr_end_bpm : float or None
        Heart-rate recovery: the rate starts at ``hr_bpm`` and relaxes
        exponentially (time constant 60 s) towards ``hr_end_bpm``.
    twitch_rate_per_min, twitch_snr
        Twitch rate and the range of peak amplitude over ``noise_rms``.
    bursts_per_min, burst_snr
        Nerve-burst rate and transient peak amplitude over ``noise_rms``.
    sway_rms : float
        Horizontal sway RMS in m/s².
    tones : tuple of (Hz, m/s²)
        Appliance tones (each with a 2nd harmonic at half the amplitude).
    vehicle_rms : float
        Vertical RMS of vehicle vibration in m/s².
    voluntary : tuple of (t0, t1)
        Voluntary-movement intervals.
    after_movement : (amplitude m/s², decay s) or None
        Decaying oscillation after each voluntary interval.
    orientation_changes_s : tuple of float
        Times at which the sensor turns to a new orientation (with a 1.5 s shift
        movement around it, reported as voluntary).
    gravity : bool
        Include gravity (as a raw accelerometer does).
    emg_fs : float or None
        Add an sEMG stream at this rate.
    clip_ms2 : float or None
        Saturate the sensor at ± this value.
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * fs))
    t = np.arange(n) / fs
    body = np.zeros((3, n))
    vol = [tuple(map(float, v)) for v in voluntary]
    vol += [(tc - 0.5, tc + 1.0) for tc in orientation_changes_s]
    vol.sort()

    # ---------------------------------------------------------------- pulse
    beats = np.zeros(0)
    hr_true = None
    if hr_bpm and bcg_amp > 0:
        rr0 = 60.0 / hr_bpm
        fastest = 60.0 / max(hr_bpm, hr_end_bpm or hr_bpm)
        n_beats = int(duration_s / fastest) + 3
        ar = np.zeros(n_beats)
        e = rng.standard_normal(n_beats) * 0.02
        for k in range(1, n_beats):
            ar[k] = 0.8 * ar[k - 1] + e[k]
        ts = rr0 * np.arange(n_beats)
        rr = rr0 * (1 + ar + 0.03 * np.sin(2 * np.pi * 0.25 * ts))
        if hr_end_bpm is not None:
            # exponential recovery of the rate, evaluated at each beat's nominal time
            t_nom = np.cumsum(np.r_[0.0, rr[:-1]])
            for _ in range(3):
                hr_t = hr_end_bpm + (hr_bpm - hr_end_bpm) * np.exp(-t_nom / 60.0)
                rr_t = rr * hr_bpm / hr_t
                t_nom = np.cumsum(np.r_[0.0, rr_t[:-1]])
            rr = rr_t
        beats = rng.uniform(0, rr0) + np.cumsum(rr)
        beats = beats[beats < duration_s - 0.5]
        hr_true = float(60.0 / np.mean(np.diff(beats)))
        tmpl, j_idx = _bcg_template(fs, bcg_sigma_s)
        d = np.array([0.25 * rng.standard_normal(), 0.25 * rng.standard_normal(), 1.0])
        d /= np.linalg.norm(d)
        train = np.zeros(n)
        idx = np.round(beats * fs).astype(int)
        np.add.at(train, idx, bcg_amp * (1 + 0.1 * rng.standard_normal(idx.size)))
        wave = np.convolve(train, tmpl, mode="full")[j_idx:j_idx + n]
        body += d[:, None] * wave[None, :]

    # ---------------------------------------------------------------- twitches
    tw_t = _poisson_times(rng, twitch_rate_per_min, 1.0, duration_s - 1.0, 0.5, vol)
    tw_amp = rng.uniform(*twitch_snr, tw_t.size) * noise_rms
    tw_peak = []
    for ti, a in zip(tw_t, tw_amp):
        f = rng.uniform(5.0, min(18.0, 0.3 * fs))
        tau = rng.uniform(0.03, 0.08)
        _add_transient(body, fs, ti, a, f, tau, _unit(rng)[0], rng)
        tw_peak.append(a)

    # ---------------------------------------------------------------- nerve bursts
    bursts: list[dict[str, Any]] = []
    b_t = _poisson_times(rng, bursts_per_min, 2.0, duration_s - 2.0, 4.0, vol)
    if tw_t.size and b_t.size:
        b_t = b_t[np.min(np.abs(b_t[:, None] - tw_t[None, :]), axis=1) > 1.5]
    for tb in b_t:
        k = int(rng.integers(3, 7))
        gaps = rng.uniform(0.08, 0.15, k - 1)
        times = tb + np.r_[0.0, np.cumsum(gaps)]
        direction = _unit(rng)[0]
        for ti in times:
            a = rng.uniform(*burst_snr) * noise_rms
            _add_transient(body, fs, ti, a, rng.uniform(8.0, min(18.0, 0.3 * fs)),
                           rng.uniform(0.015, 0.03), direction, rng)
        bursts.append({"t_s": float(tb), "n_discharges": k, "times": times,
                       "intraburst_hz": float(1.0 / gaps.mean())})

    # ---------------------------------------------------------------- postural sway
    if sway_rms > 0:
        sos = signal.butter(2, 2.0, fs=fs, output="sos")
        a = np.exp(-2 * np.pi * 0.3 / fs)
        w = rng.standard_normal((2, n))
        sw = signal.sosfilt(sos, signal.lfilter([1.0], [1.0, -a], w, axis=1), axis=1)
        sw -= sw.mean(axis=1, keepdims=True)
        body[:2] += sw * (sway_rms / sw.std(axis=1, keepdims=True))

    # ---------------------------------------------------------------- vibration
    vib_dir = np.array([0.3 * rng.standard_normal(), 0.3 * rng.standard_normal(), 1.0])
    vib_dir /= np.linalg.norm(vib_dir)
    for f, a in tones:
        s = a * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
        if 2 * f < fs / 2:
            s += 0.5 * a * np.sin(2 * np.pi * 2 * f * t + rng.uniform(0, 2 * np.pi))
        body += vib_dir[:, None] * s[None, :]
    if vehicle_rms > 0:
        w0 = 2 * np.pi * 5.0
        b_, a_ = signal.bilinear([w0 ** 2], [1, 2 * 0.25 * w0, w0 ** 2], fs)
        sos_bp = signal.butter(2, [1.0, min(20.0, 0.45 * fs)], btype="band", fs=fs,
                               output="sos")
        v = signal.sosfilt(sos_bp, signal.lfilter(b_, a_, rng.standard_normal((3, n)), axis=1),
                           axis=1)
        v *= (vehicle_rms / v[2].std()) * np.array([0.5, 0.5, 1.0])[:, None]
        body += v

    # ---------------------------------------------------------------- voluntary + after
    tilt = np.zeros((2, n))
    after: list[dict[str, float]] = []
    for a0, a1 in vol:
        i0, i1 = int(max(a0, 0) * fs), int(min(a1, duration_s) * fs)
        tt = t[i0:i1] - a0
        ramp = np.sin(np.pi * tt / max(a1 - a0, 1e-9)) ** 0.5
        fg = rng.uniform(1.6, 2.1)
        gait = (np.sin(2 * np.pi * fg * tt) + 0.5 * np.sin(2 * np.pi * 2 * fg * tt + 1.0)
                + 0.25 * np.sin(2 * np.pi * 3 * fg * tt + 2.0))
        amp = rng.uniform(1.5, 3.0)
        body[2, i0:i1] += amp * ramp * gait
        body[0, i0:i1] += 0.5 * amp * ramp * np.sin(2 * np.pi * fg / 2 * tt)
        tilt[0, i0:i1] += np.deg2rad(15) * ramp * np.sin(2 * np.pi * fg / 2 * tt)
        if after_movement is not None and a1 < duration_s - 3:
            amp0, tau = after_movement
            f = rng.uniform(3.0, 6.0)
            ta = t[i1:] - a1
            body[2, i1:] += amp0 * np.exp(-ta / tau) * np.sin(2 * np.pi * f * ta)
            after.append({"t_s": float(a1), "decay_s": float(tau)})

    # ---------------------------------------------------------------- sensor
    spec_f = np.zeros((3, n))
    if gravity:
        spec_f[2] += G
        # pelvic tilt during movement rotates gravity in the body frame
        spec_f[0] += G * np.sin(tilt[0])
        spec_f[2] -= G * (1 - np.cos(tilt[0]))
    spec_f += body
    rots = [_rotation(rng)]
    bounds = [0]
    for tc in sorted(orientation_changes_s):
        while True:
            r_new = _rotation(rng)
            ang = np.degrees(np.arccos(np.clip(
                (r_new.T @ np.array([0, 0, 1.0])) @ (rots[-1].T @ np.array([0, 0, 1.0])), -1, 1)))
            if ang > 40:
                break
        rots.append(r_new)
        bounds.append(int(tc * fs))
    bounds.append(n)
    sensor = np.empty((3, n))
    for r, b0, b1 in zip(rots, bounds[:-1], bounds[1:]):
        sensor[:, b0:b1] = r.T @ spec_f[:, b0:b1]
    white = np.sqrt(1 - pink_fraction) * rng.standard_normal((3, n))
    pink = np.sqrt(pink_fraction) * np.vstack([_pink(rng, n, fs) for _ in range(3)])
    sensor += noise_rms * (white + pink)
    if clip_ms2 is not None:
        sensor = np.clip(sensor, -clip_ms2, clip_ms2)

    streams = {}
    fp_s, fp_unit = np.zeros(0), np.zeros(0, dtype=int)
    if emg_fs:
        ne = int(round(duration_s * emg_fs))
        emg = emg_noise_v * rng.standard_normal(ne)
        shapes = []
        te = np.arange(-0.01, 0.01, 1 / emg_fs)
        for _ in range(n_units):
            s_ = rng.uniform(0.8e-3, 2.5e-3)
            g = np.exp(-0.5 * (te / s_) ** 2)
            c = rng.standard_normal(3)
            w = c[0] * g + c[1] * (-te / s_) * g + c[2] * ((te / s_) ** 2 - 1) * g
            shapes.append(w / np.abs(w).max())
        amps = rng.uniform(150e-6, 500e-6, n_units)
        times, units = list(tw_t - 0.008), list(rng.integers(0, n_units, tw_t.size))
        for b in bursts:
            u = int(rng.integers(0, n_units))
            for ti in b["times"]:
                times += [ti - 0.008, ti - 0.008 + rng.uniform(0.004, 0.015)]
                units += [u, u]
        fp_s, fp_unit = np.asarray(times), np.asarray(units, dtype=int)
        for ti, u in zip(fp_s, fp_unit):
            i0 = int(round(ti * emg_fs)) - te.size // 2
            if 0 <= i0 and i0 + te.size <= ne:
                emg[i0:i0 + te.size] += amps[u] * shapes[u]
        streams["emg"] = Recording(emg[None, :], emg_fs, ("emg",), ("emg",), ("V",))

    meta = {"format": "synth", "path": f"synth-{seed}",
            "inferred": {"gravity_included": bool(gravity)}}
    rec = Recording(sensor, fs, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3, ("m/s^2",) * 3,
                    meta=meta, streams=streams)
    truth = SynthTruth(noise_rms=noise_rms, hr_bpm=hr_true, beats_s=beats, twitch_s=tw_t,
                       twitch_peak_ms2=np.asarray(tw_peak), bursts=bursts, voluntary=vol,
                       after_movement=after, orientation_changes_s=list(orientation_changes_s),
                       fp_s=fp_s, fp_unit=fp_unit)
    return rec, truth


def match_events(truth_s: np.ndarray, found_s: np.ndarray, tol: float) -> tuple[int, int, int]:
    """Greedy one-to-one matching within ±tol s; returns (true pos., false pos., false neg.)."""
    truth_s, found_s = np.sort(np.asarray(truth_s)), np.sort(np.asarray(found_s))
    used = np.zeros(found_s.size, dtype=bool)
    tp = 0
    for ts in truth_s:
        if found_s.size == 0:
            break
        d = np.abs(found_s - ts)
        d[used] = np.inf
        j = int(np.argmin(d))
        if d[j] <= tol:
            used[j] = True
            tp += 1
    return tp, int(found_s.size - tp), int(truth_s.size - tp)


_MECH_KEYS = {
    "twitch": {"present", "confidence", "share", "rate_per_min", "pattern", "events"},
    "postural": {"present", "confidence", "share", "sway_rms_ms2", "after_movement"},
    "pulse": {"present", "confidence", "share", "heart_rate_bpm", "beats_s"},
    "nerve": {"present", "confidence", "share", "burst_rate_per_min", "bursts"},
    "vibration": {"present", "confidence", "share", "source", "dominant_hz", "iso2631"},
}


def _num_or_none(x: Any) -> bool:
    return x is None or (isinstance(x, (int, float)) and not isinstance(x, bool))


def assert_report_schema(d: dict) -> None:
    """Check a ``glutesense.report/1`` document against DESIGN §4.3, key by key."""
    import math

    assert d["schema"] == "glutesense.report/1"
    assert isinstance(d["version"], str) and d["version"]
    inp = d["input"]
    assert set(inp) >= {"path", "format", "duration_s", "fs_hz", "n_samples",
                        "gravity_included", "warnings"}
    assert isinstance(inp["duration_s"], float) and inp["duration_s"] >= 0
    assert isinstance(inp["fs_hz"], float) and inp["fs_hz"] > 0
    assert isinstance(inp["n_samples"], int) and not isinstance(inp["n_samples"], bool)
    assert isinstance(inp["gravity_included"], bool)
    assert isinstance(inp["warnings"], list) and all(isinstance(w, str) for w in inp["warnings"])
    mech = d["mechanisms"]
    assert list(mech) == ["twitch", "postural", "pulse", "nerve", "vibration"]
    for name, keys in _MECH_KEYS.items():
        m = mech[name]
        assert set(m) >= keys, (name, keys - set(m))
        assert isinstance(m["present"], bool)
        assert isinstance(m["confidence"], float) and 0.0 <= m["confidence"] <= 1.0
        assert isinstance(m["share"], float) and 0.0 <= m["share"] <= 1.0
    tw = mech["twitch"]
    assert tw["pattern"] in ("none", "sporadic", "clustered", "continuous")
    assert isinstance(tw["rate_per_min"], float) and tw["rate_per_min"] >= 0
    assert all(set(e) == {"t_s", "peak_ms2"} and isinstance(e["t_s"], float)
               and e["peak_ms2"] > 0 for e in tw["events"])
    if not tw["present"]:
        assert tw["pattern"] == "none"
    po = mech["postural"]
    assert _num_or_none(po["sway_rms_ms2"])
    assert all(set(e) == {"t_s", "decay_s"} and e["decay_s"] > 0 for e in po["after_movement"])
    pu = mech["pulse"]
    assert _num_or_none(pu["heart_rate_bpm"])
    if pu["present"]:
        assert 30 <= pu["heart_rate_bpm"] <= 220
    else:
        assert pu["heart_rate_bpm"] is None
    assert all(isinstance(b, float) for b in pu["beats_s"])
    ne = mech["nerve"]
    assert isinstance(ne["burst_rate_per_min"], float) and ne["burst_rate_per_min"] >= 0
    assert all(set(b) == {"t_s", "n_discharges", "intraburst_hz"}
               and isinstance(b["n_discharges"], int) for b in ne["bursts"])
    vi = mech["vibration"]
    assert vi["source"] in ("vehicle", "appliance", "music", "other", None)
    assert _num_or_none(vi["dominant_hz"])
    assert set(vi["iso2631"]) >= {"aw_x_ms2", "aw_y_ms2", "aw_z_ms2", "av_ms2", "vdv_z_ms175",
                                  "crest_factor_z"}
    assert all(_num_or_none(v) for v in vi["iso2631"].values())
    assert all(set(v) == {"t0_s", "t1_s"} and v["t1_s"] >= v["t0_s"] for v in d["voluntary"])
    assert isinstance(d["unexplained_share"], float) and 0.0 <= d["unexplained_share"] <= 1.0
    total = math.fsum([mech[m]["share"] for m in mech] + [d["unexplained_share"]])
    assert abs(total - 1.0) < 1e-9, total
    assert set(d["limits"]) >= {"max_frequency_hz", "min_detectable_twitch_ms2"}
    assert d["limits"]["max_frequency_hz"] == inp["fs_hz"] / 2
    assert _num_or_none(d["limits"]["min_detectable_twitch_ms2"])
    tri = d["triage"]
    assert set(tri) >= {"level", "reasons", "advice", "red_flags"}
    assert tri["level"] in (None, "emergency", "urgent", "routine", "self_care")
    assert isinstance(d["disclaimer"], str) and len(d["disclaimer"]) > 20
