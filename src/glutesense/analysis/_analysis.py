"""``analyze(recording) -> Analysis``: run the detectors and attribute the movement.

ANALYSER side: never imports :mod:`glutesense.body`, ``sensors`` or ``scenarios``.

Long recordings are processed in chunks of :data:`CHUNK_S` seconds with
:data:`OVERLAP_S` seconds of context on each side (so filters and 10-s windows
settle); events are kept only in each chunk's core and the per-chunk findings
are merged, so memory stays bounded by one chunk.

Energy attribution
------------------
The movement energy of a chunk is Σ|a|² of the gravity-free acceleration over
its non-voluntary samples minus the sensor-noise energy (3·σ²·n). Each
detector reports the energy it explains (:attr:`Finding.energy`): the coherent
beat waveform × beats (pulse), transient energy above the local noise (twitch,
nerve), 0.1–2 Hz sway and after-movement decay (postural), excess band power
(vibration). A mechanism's share is its energy over the larger of the movement
energy and the sum of the explained energies, so shares never exceed 1 and
``unexplained_share = 1 − Σ shares``. Only mechanisms found present get a share.

Cross-mechanism rules: the vibration detector runs first and its narrowband
lines are notched out of the pulse and twitch bands; with music, its tempo is
kept out of the heart-rate search and transients recurring at its beat
interval are set aside; with vehicle vibration the pulse needs a steadier
rhythm before a heart rate is reported; heartbeats found by the
pulse detector are removed before transients are searched; transients in
groups go to nerve, the rest to twitch; with vehicle or appliance vibration,
sway below 2 Hz and acceleration transients are that source's, not the body's
(see :func:`_set_aside_for_vibration`).
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..detectors import nerve, postural, pulse, twitch, voluntary
from ..detectors._base import Finding, Prepared
from ..detectors.preprocess import PrepInfo, emg_stream, preprocess
from ..recording import MECHANISMS, Annotations, Recording
from ._merge import crop_finding, empty_vibration, merge_findings

__all__ = ["analyze", "Analysis", "CHUNK_S", "OVERLAP_S", "TIMELINE_S"]

#: Chunk length and context overlap on each side, in s. An hour at 100 Hz is 8.8 MB per
#: three-axis float64 array: well inside the caches' reach of the per-chunk work, below
#: glibc's 32 MB mmap threshold (freed arrays are reused, see glutesense._process), and
#: long enough that each chunk's fixed cost (a few ms of small-array work) stays small;
#: 24 h analysed 4 % faster than with 30-min chunks, peak RSS +60 MB.
CHUNK_S, OVERLAP_S = 3600.0, 30.0
#: Timeline window length in s.
TIMELINE_S = 5.0
#: A timeline window whose attributed energy is below this fraction of its movement
#: energy, or whose movement is within the noise, has no dominant mechanism.
_DOMINANT_MIN = 0.2


@dataclasses.dataclass(frozen=True, eq=False)
class Analysis:
    """What the analyser found in one recording.

    Attributes
    ----------
    input : dict
        ``path, format, duration_s, fs_hz, n_samples, gravity_included, warnings``
        and ``orientation_changes`` [{"t_s", "angle_deg"}].
    findings : dict of str to Finding
        One per mechanism, in :data:`~glutesense.recording.MECHANISMS` order.
    shares : dict of str to float
        Fraction of the non-voluntary movement energy attributed to each mechanism.
    unexplained_share : float
        ``1 − Σ shares``.
    voluntary : list of dict
        ``{"t0_s", "t1_s"}`` voluntary-movement intervals (set aside).
    timeline : list of dict
        ``{"t0_s", "t1_s", "dominant"}`` per :data:`TIMELINE_S` window; ``dominant``
        is a mechanism, ``"voluntary"`` or None.
    limits : dict
        ``max_frequency_hz`` (fs/2), ``min_detectable_twitch_ms2`` and ``emg_fs_hz``
        (the sEMG channel's rate when the detectors read one, else None).
    answers : dict or None
        Questionnaire answers passed in, for the triage step.
    """

    input: dict[str, Any]
    findings: dict[str, Finding]
    shares: dict[str, float]
    unexplained_share: float
    voluntary: list[dict[str, float]]
    timeline: list[dict[str, Any]]
    limits: dict[str, Any]
    answers: dict[str, Any] | None = None

    def to_report_dict(self) -> dict[str, Any]:
        """The ``glutesense.report/1`` JSON document (DESIGN §4.3)."""
        from ._report import report_dict

        return report_dict(self)

    def summary_text(self) -> str:
        """A short plain-language summary (plain words first, numbers after)."""
        from ..reporting.text import limits_sentence, summary_sentences

        report = self.to_report_dict()
        return "\n".join([*summary_sentences(report), limits_sentence(report)])


def _vibration_module():
    """The vibration detector if it is installed (it is developed separately)."""
    try:
        return importlib.import_module("glutesense.detectors.vibration")
    except ImportError:
        return None


def _lines(vib: Finding) -> tuple[float, ...]:
    """Narrowband lines to notch out of the pulse and twitch bands."""
    if not vib.present or vib.summary.get("source") not in ("appliance", "music"):
        return ()
    lines = [vib.summary.get("dominant_hz")] + list(vib.summary.get("harmonics_hz") or [])
    return tuple(sorted({float(f) for f in lines if f}))


@dataclasses.dataclass
class _Chunk:
    findings: dict[str, Finding]
    observed_s: float
    movement_energy: float
    timeline: list[dict[str, Any]]
    prep_warnings: tuple[str, ...]
    info: PrepInfo
    gravity: bool


def _window_energies(prep: Prepared, f: dict[str, Finding], trans: twitch.Transients,
                     lo_i: int, hi_i: int, e_use: np.ndarray) -> list[dict[str, Any]]:
    """Dominant mechanism per :data:`TIMELINE_S` window over samples [lo_i, hi_i).

    *e_use* is |a|² of the core's samples, zero on voluntary ones.
    """
    fs = prep.fs
    w = int(round(TIMELINE_S * fs))
    if hi_i <= lo_i or w == 0:
        return []
    usable = ~prep.voluntary[lo_i:hi_i]
    n = hi_i - lo_i
    nw = int(np.ceil(n / w))
    pad = nw * w - n
    e = np.r_[e_use, np.zeros(pad)].reshape(nw, w).sum(1)
    n_use = np.r_[usable, np.zeros(pad, dtype=bool)].reshape(nw, w).sum(1).astype(float)
    n_all = np.r_[np.ones(n), np.zeros(pad)].reshape(nw, w).sum(1)
    move = e - 3.0 * prep.noise_rms ** 2 * n_use
    t_lo = prep.t0 + lo_i / fs
    edges = t_lo + np.arange(nw + 1) * w / fs
    edges[-1] = prep.t0 + hi_i / fs

    def binned(times: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return np.histogram(times, edges, weights=weights)[0] if times.size else np.zeros(nw)

    en = np.zeros((len(MECHANISMS), nw))
    grouped = np.zeros(trans.t_s.size, dtype=bool)
    for g in twitch.group_transients(trans.t_s):
        grouped[g] = True
    beats = np.asarray(f["pulse"].summary.get("beats_s") or [], dtype=float)
    total_use = max(float(prep.voluntary.size - prep.voluntary.sum()), 1.0)
    for k, m in enumerate(MECHANISMS):
        if not f[m].present:
            continue
        if m == "pulse":
            en[k] = binned(beats, np.full(beats.size, f[m].energy / max(beats.size, 1)))
        elif m in ("twitch", "nerve"):
            sel = ~grouped if m == "twitch" else grouped
            en[k] = binned(trans.t_s[sel], trans.energy[sel])
        else:
            en[k] = f[m].energy * n_use / total_use
    best = np.argmax(en, axis=0)
    strong = (move > 0) & (en[best, np.arange(nw)] > _DOMINANT_MIN * move)
    vol = n_use < 0.5 * n_all
    names = np.array([*MECHANISMS, None, "voluntary"], dtype=object)
    dom = names[np.where(vol, len(MECHANISMS) + 1, np.where(strong, best, len(MECHANISMS)))]
    # np.round differs from round() only within one ulp of a half-way point
    t = np.round(edges, 3).tolist()
    return [{"t0_s": a, "t1_s": b, "dominant": d}
            for a, b, d in zip(t[:-1], t[1:], dom.tolist())]


def _set_aside_for_vibration(found: dict[str, Finding]) -> dict[str, Finding]:
    """Reattribute what a vehicle's or an appliance's own motion imitates.

    Below 2 Hz a vehicle sways, brakes and turns (a machine rocks): that band
    goes to vibration, not to balance sway (after-movement decays stay
    postural). Road bumps and drum knocks are transients like twitches and
    nerve bursts; from acceleration alone they cannot be told apart, so twitch
    and nerve are reported as not established (confidence 0.5; the transients
    are counted in ``set_aside``) and their energy goes to vibration. sEMG sees
    the muscle itself, so EMG-based findings are kept.
    """
    post, vib = found["postural"], found["vibration"]
    sway_e = float(post.summary.get("sway_energy", 0.0))
    moved = sway_e
    out = dict(found)
    after = post.summary["after_movement"]
    if sway_e > 0:
        out["postural"] = dataclasses.replace(
            post, present=bool(after), confidence=post.confidence if after else 0.5,
            energy=max(post.energy - sway_e, 0.0),
            warnings=post.warnings + ("with vehicle or machine vibration, movement below 2 Hz "
                                      "is that source's own motion: it is not attributed to "
                                      "posture",))
    for m in ("twitch", "nerve"):
        f = found[m]
        if f.summary.get("emg") or f.summary.get("source") == "emg":
            continue                     # sEMG sees the muscle itself: keep it
        moved += f.energy
        key = "events" if m == "twitch" else "bursts"
        summary = {**f.summary, key: [], "set_aside": len(f.summary[key])}
        if m == "twitch":
            summary.update(pattern="none", rate_per_min=0.0)
        else:
            summary["burst_rate_per_min"] = 0.0
        out[m] = dataclasses.replace(
            f, present=False, confidence=0.5, energy=0.0, summary=summary, events=Annotations(),
            warnings=f.warnings + (f"with vehicle or machine vibration, bumps and knocks look "
                                   f"like {m} events in the acceleration: not attributed",))
    out["vibration"] = dataclasses.replace(vib, energy=vib.energy + moved)
    return out


def _vehicle_mask(prep: Prepared, vib: Finding) -> np.ndarray | bool:
    """Where the vehicle vibration was (a flag per sample of *prep*), True, or False.

    From the start of its first episode to the end of its last: between episodes the
    vehicle still moves (a stop at the lights, a smooth stretch).
    """
    if not (vib.present and vib.summary.get("source") == "vehicle"):
        return False
    if not len(vib.events.onset):
        return True
    t0 = float(np.min(vib.events.onset))
    t1 = float(np.max(np.asarray(vib.events.onset) + np.asarray(vib.events.duration)))
    mask = voluntary.intervals_to_mask([[t0 - prep.t0, t1 - prep.t0]], prep.acc.shape[1],
                                       prep.fs)
    return mask if mask.any() else True


def _analyze_chunk(sub: Recording, lo: float, hi: float, vib_mod) -> _Chunk:
    """Run preprocessing and every detector on one chunk; crop to its core [lo, hi)."""
    prep, info = preprocess(sub)
    if vib_mod is not None and np.any(prep.acc):
        vib = vib_mod.detect(prep)
    else:
        vib = empty_vibration("vibration detector not available" if vib_mod is None
                              else "no acceleration: vibration not analysed")
    lines = _lines(vib)
    music = (vib.summary.get("beat_bpm") if vib.present and vib.summary.get("source") == "music"
             else None)
    pf = pulse.detect(prep, lines_hz=lines, music_bpm=music, vehicle=_vehicle_mask(prep, vib))
    beats = np.asarray(pf.summary["beats_s"]) if pf.present else None
    trans = twitch.find_transients(prep, beats_s=beats, lines_hz=lines, music_bpm=music)
    found = {"twitch": twitch.detect(prep, transients=trans),
             "postural": postural.detect(prep),
             "pulse": pf,
             "nerve": nerve.detect(prep, transients=trans),
             "vibration": vib}
    if vib.present and vib.summary.get("source") in ("vehicle", "appliance"):
        found = _set_aside_for_vibration(found)
    fs = prep.fs
    n = prep.acc.shape[1]
    lo_i = int(np.clip(round((lo - prep.t0) * fs), 0, n))
    hi_i = int(np.clip(round((hi - prep.t0) * fs), 0, n))
    usable = ~prep.voluntary
    core_use = float(usable[lo_i:hi_i].sum())
    frac = core_use / max(float(usable.sum()), 1.0)
    acc = prep.acc[:, lo_i:hi_i]
    e_use = np.einsum("ij,ij->j", acc, acc)
    e_use[~usable[lo_i:hi_i]] = 0.0
    movement = max(float(e_use.sum()) - 3.0 * prep.noise_rms ** 2 * core_use, 0.0)
    timeline = _window_energies(prep, found, trans, lo_i, hi_i, e_use)
    cropped = {m: crop_finding(found[m], lo, hi, frac) for m in MECHANISMS}
    info_core = PrepInfo(
        orientation_changes=[c for c in info.orientation_changes if lo <= c["t_s"] < hi],
        voluntary=[{"t0_s": max(v["t0_s"], lo), "t1_s": min(v["t1_s"], hi)}
                   for v in info.voluntary if v["t1_s"] > lo and v["t0_s"] < hi],
        vertical_axis=info.vertical_axis)
    warns = tuple(prep.warnings) + tuple(w for m in MECHANISMS for w in found[m].warnings)
    return _Chunk(cropped, core_use / fs, movement, timeline, warns, info_core,
                  prep.gravity_included)


def _merge_intervals(iv: list[dict[str, float]]) -> list[dict[str, float]]:
    out: list[dict[str, float]] = []
    for v in sorted(iv, key=lambda d: d["t0_s"]):
        if out and v["t0_s"] <= out[-1]["t1_s"] + 1e-6:
            out[-1]["t1_s"] = max(out[-1]["t1_s"], v["t1_s"])
        else:
            out.append(dict(v))
    return [{"t0_s": round(v["t0_s"], 3), "t1_s": round(v["t1_s"], 3)} for v in out]


def _shares(findings: dict[str, Finding], movement: float) -> tuple[dict[str, float], float]:
    energies = {m: (findings[m].energy if findings[m].present else 0.0) for m in MECHANISMS}
    total = max(movement, sum(energies.values()))
    if total <= 0 or not math.isfinite(total):
        return dict.fromkeys(MECHANISMS, 0.0), 1.0
    shares = {m: round(energies[m] / total, 6) for m in MECHANISMS}
    excess = round(sum(shares.values()) - 1.0, 6)
    if excess > 0:                 # rounding pushed the sum above 1: trim the largest
        top = max(shares, key=shares.get)
        shares[top] = round(shares[top] - excess, 6)
    return shares, round(1.0 - sum(shares.values()), 6)


def analyze(recording: Recording, *, answers: Mapping[str, Any] | None = None) -> Analysis:
    """Explain the movement in *recording* by the five mechanisms.

    Parameters
    ----------
    recording : Recording
        Any recording read by :func:`glutesense.read` (acceleration with or
        without gravity, optionally an sEMG stream).
    answers : mapping or None
        Questionnaire answers (DESIGN §4.4), kept for the triage step.

    Returns
    -------
    Analysis
        Findings, shares, timeline, voluntary intervals and limits; see
        :meth:`Analysis.to_report_dict` for the JSON report.

    Examples
    --------
    >>> import numpy as np
    >>> from glutesense.recording import Recording
    >>> rng = np.random.default_rng(0)
    >>> data = 0.01 * rng.standard_normal((3, 6000)) + np.array([[0.0], [0.0], [9.81]])
    >>> rec = Recording(data, 100.0, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3, ("m/s^2",) * 3)
    >>> a = analyze(rec)
    >>> a.findings["twitch"].present, a.findings["pulse"].summary["heart_rate_bpm"]
    (False, None)
    """
    rec = recording
    t_end = rec.t0 + rec.duration
    vib_mod = _vibration_module()
    if rec.duration <= CHUNK_S + 2 * OVERLAP_S:
        spans = [(rec.t0, t_end)]
    else:
        edges = np.arange(rec.t0, t_end, CHUNK_S)
        spans = [(float(a), float(min(a + CHUNK_S, t_end))) for a in edges]
        if len(spans) > 1 and spans[-1][1] - spans[-1][0] < 2 * OVERLAP_S:
            spans[-2] = (spans[-2][0], spans[-1][1])
            spans.pop()
    chunks = []
    for lo, hi in spans:
        sub = rec if len(spans) == 1 else rec.crop(max(rec.t0, lo - OVERLAP_S),
                                                   min(t_end, hi + OVERLAP_S))
        chunks.append(_analyze_chunk(sub, lo, hi if hi < t_end else t_end + 1.0, vib_mod))
    findings = {m: merge_findings(m, [(c.findings[m], c.observed_s) for c in chunks])
                for m in MECHANISMS}
    movement = float(sum(c.movement_energy for c in chunks))
    shares, unexplained = _shares(findings, movement)
    warnings = list(rec.warnings)
    for c in chunks:
        warnings += [w for w in c.prep_warnings if w not in warnings]
    mins = [c.findings["twitch"].summary.get("min_detectable_twitch_ms2") for c in chunks]
    mins = [m for m in mins if m is not None]
    meta = rec.meta
    inp = {
        "path": meta.get("path"),
        "format": meta.get("format"),
        "duration_s": round(rec.duration, 3),
        "fs_hz": rec.fs,
        "n_samples": rec.n_samples,
        "gravity_included": bool(chunks[0].gravity),
        "warnings": warnings,
        "orientation_changes": [c for ch in chunks for c in ch.info.orientation_changes],
    }
    # the sEMG channel, if the detectors read one (too short a stream is ignored by them)
    emg = emg_stream(rec) if "emg" in findings["twitch"].summary else None
    limits = {"max_frequency_hz": rec.fs / 2.0,
              "min_detectable_twitch_ms2": round(float(np.median(mins)), 5) if mins else None,
              "emg_fs_hz": None if emg is None else float(emg.fs)}
    return Analysis(
        input=inp, findings=findings, shares=shares, unexplained_share=unexplained,
        voluntary=_merge_intervals([v for c in chunks for v in c.info.voluntary]),
        timeline=[w for c in chunks for w in c.timeline], limits=limits,
        answers=None if answers is None else dict(answers))
