"""The three sources of the evaluation: simulator scenarios, generator 2, real recordings.

Each ``run_*`` function yields one dict per case: identification, elapsed time and
the scores of :func:`._cases.score_case` (or ``error`` when the case failed).
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..recording import Recording
from ._cases import hr_from_beats, score_case, vibration_snr_db

__all__ = ["run_simulator", "run_generator2", "run_reference", "default_reference_dir",
           "REFERENCE_FILES", "case_seed"]

Progress = Callable[[str], None]


def case_seed(seed: int, *key: int) -> int:
    """A reproducible 32-bit seed for case *key* of a run with master *seed*."""
    return int(np.random.SeedSequence([int(seed), *key]).generate_state(1)[0])


def _analyze(rec: Recording) -> dict[str, Any]:
    from ..analysis import analyze

    return analyze(rec).to_report_dict()


def _safe(fn: Callable[[], dict[str, Any]], ident: dict[str, Any]) -> dict[str, Any]:
    t = time.perf_counter()
    try:
        res = fn()
    except Exception as exc:  # noqa: BLE001 - a failing case is a result, not a crash
        res = {"error": f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"}
    return {**ident, **res, "elapsed_s": round(time.perf_counter() - t, 3)}


# --------------------------------------------------------------------------- (a) simulator
def _sim_noise_rms(sensor: dict[str, Any], fs: float) -> float:
    g0 = 9.80665
    white = float(sensor["noise_density_ug_rthz"]) * 1e-6 * g0 * math.sqrt(fs / 2)
    return math.sqrt(white**2 + float(sensor["lsb_ms2"]) ** 2 / 12)


def _sim_case(name: str, seed: int, duration_s: float) -> dict[str, Any]:
    from ..scenarios import load_scenario, simulate

    sim = simulate(name, duration_s=duration_s, seed=seed, keep_components=True)
    rec, truth = sim.recording, sim.truth
    m = truth["mechanisms"]
    report = _analyze(rec)
    vol = [(float(v["t0_s"]), float(v["t1_s"])) for v in truth.get("voluntary") or []]
    pulse = m["pulse"]
    hr = hr_from_beats(pulse.get("beats_s") or []) if pulse.get("present") else None
    # At rest: no exercise recovery (a falling heart rate) and no voluntary movement.
    pulse_params = dict(load_scenario(name).mechanisms.get("pulse") or {})
    at_rest = pulse_params.get("peak_heart_rate_bpm") is None and not vol
    vib = m["vibration"]
    source = vib.get("source") if vib.get("present") else None
    noise = _sim_noise_rms(truth["sensor"], rec.fs)
    hidden = _hidden_vibration(source, sim.components.get("vibration"), rec.fs, noise)
    scores = score_case(
        rec, report, hr_truth=hr, at_rest=at_rest,
        twitch_truth=[{"t_s": e["t_s"], "peak_ms2": e["peak_ms2"]}
                      for e in m["twitch"].get("events") or []],
        noise_rms_ms2=noise, vib_source=False if hidden else source,
        appliance_hz=vib.get("dominant_hz") if source == "appliance" else None,
        gravity_dir=None, score_aw=bool(vib.get("present")) and not vol, voluntary=vol,
        nerve_bursts=[(float(b["t_s"]), float(b["t_s"]) + (int(b.get("n_discharges", 1)) - 1)
                       / max(float(b.get("intraburst_hz") or 1.0), 1e-9))
                      for b in (m["nerve"].get("bursts") or [])])
    if vib.get("present") and vib.get("iso2631") and "aw" in scores:
        scores["aw"]["simulator_truth"] = {k: vib["iso2631"].get(k) for k in ("aw_z_ms2", "av_ms2")}
    return {**scores, **hidden, "has_nerve": bool(m["nerve"].get("bursts"))}


def _hidden_vibration(source: str | None, component, fs: float, noise: float) -> dict[str, Any]:
    """``{"vibration_unobservable": ...}`` when the true vibration is below the sensor noise.

    Such a source is not scored (neither as present nor as absent): no detector can
    see it, and reporting "none" is then the honest answer.
    """
    if source is None or component is None:
        return {}
    snr = vibration_snr_db(np.asarray(component)[:3], fs, noise)
    if snr >= 0.0:
        return {}
    return {"vibration_unobservable": {"expected": source, "snr_db": round(snr, 2)}}


def run_simulator(cases: int, seed: int, duration_s: float = 120.0,
                  progress: Progress | None = None) -> Iterator[dict[str, Any]]:
    """(a) every built-in scenario, *cases* seeds each."""
    from ..scenarios import list_scenarios

    for k, sc in enumerate(list_scenarios()):
        for i in range(cases):
            s = case_seed(seed, 1, k, i)
            if progress:
                progress(f"simulator {sc.name} seed {s}")
            yield _safe(lambda: _sim_case(sc.name, s, duration_s),
                        {"source": "simulator", "case": sc.name, "seed": s,
                         "duration_s": duration_s})


# --------------------------------------------------------------------------- (b) generator 2
def _gen_case(kind: str, seed: int, duration_s: float, folder: Path) -> dict[str, Any]:
    from ..io import read
    from .generator2 import generate, write_case

    case = generate(kind, seed=seed, duration_s=duration_s)
    path = write_case(case, folder)
    try:
        rec = read(path)
    finally:
        path.unlink(missing_ok=True)
    report = _analyze(rec)
    tr = case.truth
    vib = tr["vibration"]
    rot = np.asarray(tr["rotation_body_to_sensor"])
    hidden = _hidden_vibration(vib["source"], rot @ case.components["vibration"],
                               tr["fs_hz"], tr["noise_rms_ms2"])
    scores = score_case(
        rec, report, hr_truth=tr["pulse"]["heart_rate_bpm"], at_rest=True,
        twitch_truth=tr["twitch"]["events"], noise_rms_ms2=tr["noise_rms_ms2"],
        vib_source=False if hidden else vib["source"],
        appliance_hz=vib["dominant_hz"] if vib["source"] == "appliance" else None,
        gravity_dir=np.asarray(tr["gravity_dir_sensor"]), score_aw=bool(vib["present"]))
    read_fs = rec.fs
    if "hr" in scores:
        scores["hr"]["bcg_peak_to_noise"] = round(tr["pulse"]["peak_to_noise"], 3)
        scores["hr"]["template"] = tr["pulse"]["template"]
    return {"file": path.name, "file_variant": tr.get("file"),
            "gravity_in_file": bool(rec.meta.get("inferred", {}).get("gravity_included", True)),
            "fs_hz": tr["fs_hz"], "read_fs_hz": read_fs,
            "read_duration_s": round(rec.duration, 3), **scores, **hidden}


def run_generator2(cases: int, seed: int, duration_s: float = 120.0,
                   progress: Progress | None = None) -> Iterator[dict[str, Any]]:
    """(b) the independent generator: *cases* recordings of each kind, through files."""
    from .generator2 import KINDS

    with tempfile.TemporaryDirectory(prefix="glutesense-eval-") as tmp:
        for k, kind in enumerate(KINDS):
            for i in range(cases):
                s = case_seed(seed, 2, k, i)
                if progress:
                    progress(f"generator2 {kind} seed {s}")
                yield _safe(lambda: _gen_case(kind, s, duration_s, Path(tmp)),
                            {"source": "generator2", "case": kind, "seed": s,
                             "duration_s": duration_s})


# --------------------------------------------------------------------------- (c) real recordings
#: Real recordings and what is expected of them. ``vib``: expected source (None = none;
#: False = not scored); ``pulse``: a resting pulse in 40–100 bpm is expected;
#: ``no_body``: no person touches the sensor, so every twitch reported is false; ``fs``:
#: explicit rate for a file without time stamps.
REFERENCE_FILES: tuple[dict[str, Any], ...] = (
    {"path": "vehicle/bratislava_transit/smartphone_01_L3_Skoda_30T.csv", "vib": "vehicle",
     "note": "phone in a book case in a tram"},
    {"path": "vehicle/bratislava_transit/lsm9ds1_L3_Pionierska_RacianskeMyto.csv", "vib": "vehicle",
     "fs": 500.0, "no_body": True, "note": "LSM9DS1 on a tram floor"},
    {"path": "accelerometer/driver_behavior/trip17_acelerometro_terra.csv", "vib": "vehicle",
     "no_body": True, "note": "phone in a windscreen mount of a car"},
    {"path": "accelerometer/washing_machine_wascherei/start_centrif.csv", "vib": "appliance",
     "no_body": True, "note": "sensor taped to a spinning washing machine"},
    {"path": "accelerometer/washing_machine_wascherei/machine_off.csv", "vib": None,
     "no_body": True, "note": "sensor taped to a washing machine that is off"},
    {"path": "bcg_scg/muse_padova/1_Stave_supine_static.txt", "vib": None, "pulse": True,
     "note": "IMU on a bed slat, person lying supine"},
    {"path": "bcg_scg/muse_padova/2_Mattress_supine.txt", "vib": None, "pulse": True,
     "note": "IMU on a mattress, person lying supine"},
    {"path": "bcg_scg/muse_padova/center_sternum.txt", "vib": None, "pulse": True,
     "note": "IMU on the sternum, supine"},
)

#: Plausible resting heart rate, bpm.
HR_PLAUSIBLE = (40.0, 100.0)


def default_reference_dir() -> Path | None:
    """``../shared/reference`` beside the repository (or None if it is not there)."""
    import glutesense

    here = Path(glutesense.__file__).resolve()
    for cand in (here.parents[2] / ".." / "shared" / "reference",
                 here.parents[3] / "shared" / "reference"):
        if cand.is_dir():
            return cand.resolve()
    return None


def _ref_case(root: Path, spec: dict[str, Any]) -> dict[str, Any]:
    from ..io import read
    from ..io.generic_csv import read_generic_csv

    path = root / spec["path"]
    rec = read_generic_csv(path, fs=spec["fs"]) if spec.get("fs") else read(path)
    report = _analyze(rec)
    scores = score_case(rec, report, hr_truth=None, at_rest=True,
                        twitch_truth=[] if spec.get("no_body") else None, noise_rms_ms2=None,
                        vib_source=spec.get("vib", False), appliance_hz=None, gravity_dir=None,
                        score_aw=bool(spec.get("vib")))
    mech = report["mechanisms"]
    if spec.get("pulse"):
        hr = mech["pulse"].get("heart_rate_bpm")
        scores["hr_plausible"] = {"estimate_bpm": hr, "range_bpm": list(HR_PLAUSIBLE),
                                  "plausible": hr is not None
                                  and HR_PLAUSIBLE[0] <= hr <= HR_PLAUSIBLE[1]}
    if mech["vibration"].get("present"):
        scores["dominant_found_hz"] = mech["vibration"].get("dominant_hz")
    return {"fs_hz": rec.fs, "read_duration_s": round(rec.duration, 2), "note": spec["note"],
            "n_twitches_reported": len(mech["twitch"].get("events") or []), **scores}


def run_reference(root: Path, progress: Progress | None = None) -> Iterator[dict[str, Any]]:
    """(c) the real recordings in *root* (files that are missing are reported as skipped)."""
    for spec in REFERENCE_FILES:
        ident = {"source": "reference", "case": spec["path"]}
        if not (root / spec["path"]).is_file():
            yield {**ident, "skipped": f"file not found under {root}"}
            continue
        if progress:
            progress(f"reference {spec['path']}")
        yield _safe(lambda: _ref_case(root, spec), ident)
