"""Run the evaluation and summarise it per source against the targets."""

from __future__ import annotations

import datetime as _dt
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .metrics import accuracy, mean_abs, prf
from .sources import default_reference_dir, run_generator2, run_reference, run_simulator

__all__ = ["SCHEMA", "SOURCES", "METRICS", "evaluate", "summarise", "breakdown"]

SCHEMA = "glutesense.evaluation/1"
SOURCES = ("simulator", "generator2", "reference")

#: Metric key → (label, comparison, target, unit); comparison "<=" or ">=";
#: target None = information only (no verdict).
METRICS: dict[str, tuple[str, str, float | None, str]] = {
    "hr_mae_bpm": ("Heart-rate MAE at rest", "<=", 1.5, "bpm"),
    "hr_found_fraction": ("Pulse found (resting cases)", ">=", None, ""),
    "twitch_f1": ("Twitch F1 (±0.15 s, ≥ 5× noise RMS)", ">=", 0.9, ""),
    "false_twitches_per_min": ("False twitches / min (none present)", "<=", 0.3, "/min"),
    "vibration_source_accuracy": ("Vibration source accuracy", ">=", 0.95, ""),
    "appliance_dominant_error_hz": ("Appliance dominant-frequency error", "<=", 0.3, "Hz"),
    "aw_rel_error": ("a_w,z rel. error vs ISO formula (spectral)", "<=", 0.03, ""),
    "av_rel_error": ("a_v rel. error vs ISO formula (spectral)", "<=", 0.03, ""),
    "hr_mae_recovering_bpm": ("Heart-rate MAE after exercise (info)", "<=", None, "bpm"),
    "nerve_as_twitch_per_min": ("Nerve-burst discharges reported as twitches (info)", "<=", None,
                                "/min"),
}


def _metric(value: float | None, key: str, n: int, detail: str = "") -> dict[str, Any]:
    _, op, target, _ = METRICS[key]
    if value is None or target is None:
        status = "n/a" if value is None else "info"
    else:
        ok = value <= target if op == "<=" else value >= target
        status = "PASS" if ok else "MISS"
    return {"value": None if value is None else round(float(value), 4), "target": target,
            "op": op, "status": status, "n": n, "detail": detail}


def summarise(cases: list[dict[str, Any]], source: str) -> dict[str, Any]:
    """The per-source metrics (every key of :data:`METRICS`, value None when not measurable)."""
    cs = [c for c in cases if c.get("source") == source and "error" not in c and "skipped" not in c]
    n_err = sum(1 for c in cases if c.get("source") == source and "error" in c)
    out: dict[str, Any] = {"n_cases": len(cs), "n_failed": n_err,
                           "n_skipped": sum(1 for c in cases if c.get("source") == source
                                            and "skipped" in c)}
    # heart rate
    rest = [c["hr"] for c in cs if "hr" in c and c["hr"]["at_rest"]]
    errs = [h["error_bpm"] for h in rest if h["error_bpm"] is not None]
    found = len(errs)
    mx = max((abs(e) for e in errs), default=None)
    if source == "reference":
        pl = [c["hr_plausible"] for c in cs if "hr_plausible" in c]
        n_ok = sum(1 for p in pl if p["plausible"])
        got = ", ".join("—" if p["estimate_bpm"] is None else f"{p['estimate_bpm']:.1f}"
                        for p in pl)
        m = _metric(None, "hr_mae_bpm", len(pl),
                    f"no ECG truth; plausible 40–100 bpm in {n_ok}/{len(pl)} files "
                    f"(found: {got})")
        if pl:
            m["status"] = "PASS" if n_ok == len(pl) else "MISS"
            m["plausible_fraction"] = n_ok / len(pl)
        out["hr_mae_bpm"] = m
    else:
        out["hr_mae_bpm"] = _metric(mean_abs(errs), "hr_mae_bpm", found,
                                    f"max |err| {mx:.2f}; no HR in {len(rest) - found}/{len(rest)}"
                                    if rest else "")
    out["hr_found_fraction"] = _metric(found / len(rest) if rest else None, "hr_found_fraction",
                                       len(rest), f"{found}/{len(rest)}" if rest else "")
    rec_ = [c["hr"]["error_bpm"] for c in cs if "hr" in c and not c["hr"]["at_rest"]]
    rec_found = [e for e in rec_ if e is not None]
    out["hr_mae_recovering_bpm"] = _metric(
        mean_abs(rec_found), "hr_mae_recovering_bpm", len(rec_found),
        f"no HR in {len(rec_) - len(rec_found)}/{len(rec_)}" if rec_ else "")
    # twitches
    tw = [c["twitch"] for c in cs if "twitch" in c]
    tp, fp, fn = (sum(t[k] for t in tw) for k in ("tp", "fp", "fn"))
    p = prf(tp, fp, fn)
    dc = sum(t["n_dont_care"] for t in tw)
    out["twitch_f1"] = _metric(p["f1"], "twitch_f1", tp + fn,
                               (f"TP {tp} FP {fp} FN {fn}; P {p['precision']:.2f} "
                                f"R {p['recall']:.2f}; {dc} hits on twitches < 5× noise "
                                "not counted")
                               if tw and p["precision"] is not None and p["recall"] is not None
                               else (f"TP {tp} FP {fp} FN {fn}" if tw else "no twitch truth"))
    out["twitch_counts"] = {"tp": tp, "fp": fp, "fn": fn, **p}
    n_nerve = sum(c[k].get("at_nerve", 0) for c in cs for k in ("twitch", "false_twitch")
                  if k in c)
    ft = [c["false_twitch"] for c in cs if "false_twitch" in c]
    nf, mins = sum(f["n"] for f in ft), sum(f["minutes"] for f in ft)
    worst = max(ft, key=lambda f: f["n"] / max(f["minutes"], 1e-9), default=None)
    nerve_note = (f"; {n_nerve} at truth nerve bursts (a real discharge given to the wrong "
                  "mechanism) counted in neither" if n_nerve else "")
    out["false_twitches_per_min"] = _metric(nf / mins if mins else None, "false_twitches_per_min",
                                            len(ft),
                                            f"{nf} in {mins:.1f} min{nerve_note}" if ft else "")
    nerve_min = sum(float(c.get("duration_s") or 0.0) for c in cs if c.get("has_nerve")) / 60
    out["nerve_as_twitch_per_min"] = _metric(
        n_nerve / nerve_min if nerve_min else None, "nerve_as_twitch_per_min", n_nerve,
        f"{n_nerve} in {nerve_min:.1f} min of recordings with truth nerve bursts; acceleration "
        "alone cannot tell a doublet from one twitch" if nerve_min else "")
    # vibration
    vb = [c["vibration"] for c in cs if "vibration" in c]
    wrong = [f"{v['expected']}→{v['detected']}" for v in vb if not v["correct"]]
    tally: dict[str, int] = {}
    for w in wrong:
        tally[w] = tally.get(w, 0) + 1
    hidden: dict[str, int] = {}
    for c in cs:
        if "vibration_unobservable" in c:
            k = c["vibration_unobservable"]["expected"]
            hidden[k] = hidden.get(k, 0) + 1
    detail = ("wrong: " + ", ".join(f"{k} ×{v}" for k, v in sorted(tally.items()))) if wrong else ""
    if hidden:
        detail += ("; " if detail else "") + "not scored, below the sensor noise: " + ", ".join(
            f"{k} ×{v}" for k, v in sorted(hidden.items()))
    out["vibration_source_accuracy"] = _metric(
        accuracy([v["correct"] for v in vb]), "vibration_source_accuracy", len(vb), detail)
    dm = [c["dominant"] for c in cs if "dominant" in c]
    de = [d["error_hz"] for d in dm if d["error_hz"] is not None]
    out["appliance_dominant_error_hz"] = _metric(
        mean_abs(de), "appliance_dominant_error_hz", len(de),
        (f"max |err| {max(abs(e) for e in de):.3f} Hz; not found in {len(dm) - len(de)}/{len(dm)}"
         if de else (f"not found in {len(dm)}/{len(dm)}" if dm else
                     ("no truth (spin speed not recorded)" if source == "reference" else ""))))
    for key, k in (("aw_rel_error", "rel_error_z"), ("av_rel_error", "rel_error_v")):
        ae = [c["aw"][k] for c in cs if "aw" in c and c["aw"][k] is not None]
        out[key] = _metric(mean_abs(ae), key, len(ae),
                           f"mean |err|; max {max(abs(e) for e in ae):.1%}, median "
                           f"{float(np.median(np.abs(ae))):.1%}" if ae else "")
    return out


def breakdown(cases: list[dict[str, Any]], source: str) -> dict[str, dict[str, Any]]:
    """Per scenario/kind/file: the headline numbers (for diagnosis; not targets)."""
    out: dict[str, dict[str, Any]] = {}
    names = sorted({c["case"] for c in cases if c.get("source") == source})
    for name in names:
        cs = [c for c in cases if c.get("source") == source and c["case"] == name
              and "error" not in c and "skipped" not in c]
        errs = [c["hr"]["error_bpm"] for c in cs if "hr" in c]
        got = [e for e in errs if e is not None]
        tw = [c["twitch"] for c in cs if "twitch" in c]
        tp, fp, fn = (sum(t[k] for t in tw) for k in ("tp", "fp", "fn"))
        ft = [c["false_twitch"] for c in cs if "false_twitch" in c]
        mins = sum(f["minutes"] for f in ft)
        vb = [c["vibration"] for c in cs if "vibration" in c]
        det: dict[str, int] = {}
        for v in vb:
            det[str(v["detected"])] = det.get(str(v["detected"]), 0) + 1
        aw = [c["aw"]["rel_error_v"] for c in cs
              if "aw" in c and c["aw"]["rel_error_v"] is not None]
        out[name] = {
            "n": len(cs),
            "hr_found": f"{len(got)}/{len(errs)}" if errs else None,
            "hr_mae_bpm": None if not got else round(float(np.mean(np.abs(got))), 3),
            "hr_max_abs_err_bpm": None if not got else round(float(np.max(np.abs(got))), 3),
            "twitch": {"tp": tp, "fp": fp, "fn": fn, "f1": prf(tp, fp, fn)["f1"]} if tw else None,
            "false_twitches_per_min": round(sum(f["n"] for f in ft) / mins, 3) if mins else None,
            "vibration_detected": det or None,
            "av_rel_error_max": None if not aw else round(float(np.max(np.abs(aw))), 4),
        }
    return out


def evaluate(cases: int = 3, seed: int = 0, *, duration_s: float = 120.0,
             reference: Path | None | bool = None, sources: tuple[str, ...] = SOURCES,
             progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the evaluation.

    Parameters
    ----------
    cases : int
        Cases per scenario (simulator) and per kind (generator 2).
    seed : int
        Master seed; every case seed derives from it.
    duration_s : float
        Length of generated recordings, s.
    reference : path, None or False
        Folder of the real recordings (None: ``../shared/reference`` beside the
        repository; False: skip them).
    sources : tuple of str
        Which sources to run.
    progress : callable or None
        Called with a short message before each case.

    Returns
    -------
    dict
        ``{"schema", "version", "date_utc", "settings", "machine", "elapsed_s",
        "metrics": {key: [label, op, target, unit]}, "summary": {source: {...}},
        "by_case": {source: {case name: {...}}}, "skipped": {source: reason}, "cases": [...]}``.
    """
    from .._version import __version__

    t0 = time.perf_counter()
    all_cases: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    timing: dict[str, float] = {}
    for src in sources:
        ts = time.perf_counter()
        if src == "simulator":
            all_cases += list(run_simulator(cases, seed, duration_s, progress))
        elif src == "generator2":
            all_cases += list(run_generator2(cases, seed, duration_s, progress))
        elif src == "reference":
            root = default_reference_dir() if reference is None else (reference or None)
            if root is None or not Path(root).is_dir():
                skipped[src] = ("reference recordings not found (expected ../shared/reference "
                                "beside the repository; give --reference DIR)"
                                if reference is not False else "skipped on request")
            else:
                all_cases += list(run_reference(Path(root), progress))
        else:
            raise ValueError(f"unknown source {src!r}; choose from {SOURCES}")
        timing[src] = round(time.perf_counter() - ts, 2)
    summary = {src: summarise(all_cases, src) for src in sources if src not in skipped}
    return {
        "schema": SCHEMA, "version": __version__,
        "date_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "settings": {"cases": cases, "seed": seed, "duration_s": duration_s,
                     "sources": list(sources)},
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.machine()},
        "elapsed_s": round(time.perf_counter() - t0, 2), "elapsed_by_source_s": timing,
        "metrics": {k: list(v) for k, v in METRICS.items()},
        "summary": summary,
        "by_case": {src: breakdown(all_cases, src) for src in summary},
        "skipped": skipped, "cases": all_cases,
    }
