"""Named scenarios (YAML) composed into simulated recordings with ground truth.

A scenario is data: a one-line description, a default seed, duration and
rates, the posture, the sensor, and the mechanisms with their parameters
(one YAML file per scenario in this folder). :func:`simulate` composes the
body models (:mod:`glutesense.body`) and passes their sum through the sensor
models (:mod:`glutesense.sensors`).

Composition
-----------
* One child generator per mechanism, sensor and voluntary bout, spawned in a
  fixed order from ``numpy.random.default_rng(seed)``: the same seed gives the
  same recording, byte for byte.
* Local tissue sources (twitch, nerve, the local arterial pulse and the
  muscles' own vibration) are multiplied by the device's coupling factor;
  whole-body motion is not (:mod:`glutesense.sensors.accelerometer`).
* Vibration is transmitted to the device's site (:mod:`glutesense.body.seat`).

Chunks and memory
-----------------
The recording is built in chunks of ``chunk_s`` (10 min): each model renders
the next chunk, so intermediate arrays are bounded by the chunk size (the
output arrays themselves are, of course, as long as the recording).
* postural, pulse and vibration carry their state (filter states, beat train,
  phases) across chunks: their seams are exact.
* twitch and nerve models are stateless per call; each chunk is simulated
  with its own child generator. Poisson event timing is memoryless, so the
  seam is statistically invisible, but the set of hyperexcitable units and
  the nerve's fibres are re-drawn per chunk, and a discharge group running
  across a seam is cut there. This is a documented approximation.
* the EMG recorder (noise, mains, band-pass) runs once over the whole EMG.

Truth
-----
:func:`simulate` returns the :class:`~glutesense.recording.Recording` (all
truth events in its annotations, ``source="truth"``) and the truth dict for
``<stem>.truth.json``::

    {"schema": "glutesense.truth/1", "scenario", "seed", "duration_s", "fs_hz",
     "emg_fs_hz", "description", "sensor": {...}, "voluntary": [{"t0_s", "t1_s", "kind"}],
     "mechanisms": {"twitch": {...}, "postural": {...}, "pulse": {...},
                    "nerve": {...}, "vibration": {...}}}

Mechanism blocks use the report's keys (DESIGN §4.3); absent mechanisms have
``"present": false``. Twitch ``peak_ms2`` is what the device sees (skin peak ×
coupling; ``skin_peak_ms2`` keeps the skin value).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from importlib import resources
from typing import Any, NamedTuple

import numpy as np
import yaml

from ..errors import ParameterError
from ..recording import MECHANISMS, Annotations, Recording
from ..sensors.accelerometer import AccelerometerParams, AccelerometerState

__all__ = ["Scenario", "Simulation", "list_scenarios", "load_scenario", "simulate", "TRUTH_SCHEMA"]

TRUTH_SCHEMA = "glutesense.truth/1"
#: Fixed spawn order of the child generators (never reorder: it would change every output).
_STREAMS = ("twitch", "postural", "pulse", "nerve", "vibration", "voluntary", "accelerometer", "emg")
_CHUNK_S = 600.0


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A scenario as read from its YAML file.

    Attributes
    ----------
    name, description : str
        Identifier and one-line description.
    seed : int
        Default seed.
    duration_s, fs_hz : float
        Default duration and accelerometer rate.
    emg_fs_hz : float or None
        EMG rate when the scenario has a surface electrode, else None.
    posture : {"sitting", "standing"}
        Body posture.
    sensor : dict
        :class:`AccelerometerParams` fields (``placement`` ...).
    mechanisms : dict
        Mechanism name → keyword parameters of its model.
    voluntary : tuple of dict
        Voluntary bouts ``{"t0_s", "t1_s", "kind", ...}``.
    """

    name: str
    description: str
    seed: int
    duration_s: float
    fs_hz: float
    emg_fs_hz: float | None
    posture: str
    sensor: Mapping[str, Any]
    mechanisms: Mapping[str, Mapping[str, Any]]
    voluntary: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Scenario":
        """Validate a parsed YAML document."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ParameterError(f"scenario {d.get('name')!r}: unknown key {unknown[0]!r}")
        mechs = dict(d.get("mechanisms") or {})
        bad = sorted(set(mechs) - set(MECHANISMS))
        if bad:
            raise ParameterError(f"scenario {d.get('name')!r}: unknown mechanism {bad[0]!r}")
        posture = d.get("posture", "sitting")
        if posture not in ("sitting", "standing"):
            raise ParameterError(f"scenario {d.get('name')!r}: posture must be sitting or standing")
        emg = d.get("emg_fs_hz")
        return cls(name=str(d["name"]), description=str(d["description"]), seed=int(d["seed"]),
                   duration_s=float(d["duration_s"]), fs_hz=float(d["fs_hz"]),
                   emg_fs_hz=None if emg is None else float(emg), posture=posture,
                   sensor=dict(d.get("sensor") or {}),
                   mechanisms={k: dict(v or {}) for k, v in mechs.items()},
                   voluntary=tuple(dict(v) for v in d.get("voluntary") or ()))


class Simulation(NamedTuple):
    """What :func:`simulate` returns.

    Attributes
    ----------
    recording : Recording
        Sensor-frame acceleration with gravity (``acc_x/y/z``, m/s²), truth
        annotations, and ``streams["emg"]`` (V) when the scenario has an electrode.
    truth : dict
        The ``<stem>.truth.json`` document.
    components : dict or None
        Body-frame, coupled acceleration (3, n) of each mechanism (and
        ``voluntary``), kept only with ``keep_components=True`` (for plots).
    """

    recording: Recording
    truth: dict[str, Any]
    components: dict[str, np.ndarray] | None


def _scenario_files() -> dict[str, Any]:
    folder = resources.files(__name__)
    return {p.name[:-5]: p for p in folder.iterdir() if p.name.endswith(".yaml")}


def list_scenarios() -> list[Scenario]:
    """All built-in scenarios, sorted by name."""
    return [load_scenario(n) for n in sorted(_scenario_files())]


def load_scenario(name: str) -> Scenario:
    """Load the scenario *name* (the YAML file's stem).

    Raises
    ------
    ParameterError
        If there is no such scenario (the message lists the valid names).
    """
    files = _scenario_files()
    if name not in files:
        raise ParameterError(f"unknown scenario {name!r}; choose one of: {', '.join(sorted(files))}")
    doc = yaml.safe_load(files[name].read_text(encoding="utf-8"))
    sc = Scenario.from_dict(doc)
    if sc.name != name:
        raise ParameterError(f"scenario file {name}.yaml declares name {sc.name!r}")
    return sc


def _absent(mech: str) -> dict[str, Any]:
    keys = {"twitch": {"rate_per_min": None, "pattern": "none", "events": []},
            "postural": {"sway_rms_ms2": None, "after_movement": []},
            "pulse": {"heart_rate_bpm": None, "beats_s": []},
            "nerve": {"burst_rate_per_min": None, "bursts": []},
            "vibration": {"source": None, "dominant_hz": None, "iso2631": None}}
    return {"present": False, **keys[mech]}


class _Composer:
    """Builds one recording chunk by chunk (see the module docstring)."""

    def __init__(self, sc: Scenario, duration_s: float, fs: float, seed: int, emg_fs: float | None,
                 sensor: AccelerometerParams, keep_components: bool) -> None:
        from ..body import postural, pulse, vibration

        self.sc, self.duration_s, self.fs, self.emg_fs, self.sensor = sc, duration_s, fs, emg_fs, sensor
        self.n_total = int(round(duration_s * fs))
        root = np.random.default_rng(seed)
        self.rng = dict(zip(_STREAMS, root.spawn(len(_STREAMS))))
        m = sc.mechanisms
        coupling = sensor.coupling
        self.models: dict[str, Any] = {}
        if "postural" in m:
            kw = {"sway": sc.posture == "standing", **m["postural"]}
            p, after = postural._params_from(kw)
            after = [a for a in after if a.t_s < duration_s]
            self.models["postural"] = postural.PosturalModel(
                duration_s, fs, rng=self.rng["postural"], emg_fs=emg_fs, params=p, after_movement=after,
                local_coupling=coupling)
        if "pulse" in m:
            self.models["pulse"] = pulse.PulseModel(duration_s, fs, rng=self.rng["pulse"],
                                                    params=pulse._params_from(m["pulse"]),
                                                    local_coupling=coupling)
        if "vibration" in m:
            kw = {"site": sensor.site(sc.posture), **m["vibration"]}
            self.models["vibration"] = vibration.VibrationModel(duration_s, fs, rng=self.rng["vibration"],
                                                                params=vibration._params_from(kw))
        self.components = ({k: np.zeros((3, self.n_total)) for k in [*MECHANISMS, "voluntary"]
                            if k in m or (k == "voluntary" and sc.voluntary)}
                           if keep_components else None)
        self.acc_state = AccelerometerState(fs, rng=self.rng["accelerometer"], params=sensor)
        self.events: list[Annotations] = []
        self.truth_parts: dict[str, list[dict[str, Any]]] = {"twitch": [], "nerve": []}
        self.voluntary = self._voluntary()

    def _voluntary(self) -> tuple[np.ndarray | None, np.ndarray | None, list[dict[str, Any]]]:
        """Voluntary bouts over the whole recording: acceleration, EMG, truth list."""
        from ..body.postural import voluntary_movement

        if not self.sc.voluntary:
            return None, None, []
        total = np.zeros((3, self.n_total))
        total_emg = None
        bouts = []
        for v, r in zip(self.sc.voluntary, self.rng["voluntary"].spawn(len(self.sc.voluntary))):
            v = dict(v)
            t0, t1 = float(v.pop("t0_s")), min(float(v.pop("t1_s")), self.duration_s)
            if t0 >= self.duration_s:
                continue
            try:
                acc, emg, ann = voluntary_movement(t0, t1, self.duration_s, self.fs, rng=r,
                                                   emg_fs=self.emg_fs, **v)
            except TypeError as exc:
                raise ParameterError(f"voluntary: {exc}") from None
            total += acc
            if emg is not None:
                total_emg = emg if total_emg is None else total_emg + emg
            self.events.append(ann)
            bouts.append({"t0_s": t0, "t1_s": t1, "kind": v.get("kind", "walking")})
        return total, total_emg, bouts

    def _local(self, name: str, t0: float, n: int, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray | None]:
        """Twitch or nerve for one chunk (stateless models; see module docstring)."""
        from ..body import nerve, twitch

        kw = dict(self.sc.mechanisms[name])
        if name == "twitch" and "muscles" in kw:
            kw["muscles"] = tuple(kw["muscles"])
        if name == "nerve":
            kw.setdefault("posture", self.sc.posture)
        mod = twitch if name == "twitch" else nerve
        try:
            out = mod.simulate(n / self.fs, self.fs, rng=rng, emg_fs=self.emg_fs, **kw)
        except TypeError as exc:
            raise ParameterError(f"{name}: {exc}") from None
        c = self.sensor.coupling
        ev = out.events
        if name == "twitch":
            ev = dataclasses.replace(ev, value=ev.value * c)
        self.events.append(ev.shift(t0))
        block = dict(out.truth)
        if name == "twitch":
            block["events"] = [{**e, "t_s": e["t_s"] + t0, "peak_ms2": e["peak_ms2"] * c,
                                "skin_peak_ms2": e["peak_ms2"]} for e in block.get("events", [])]
        else:
            block["bursts"] = [{**b, "t_s": b["t_s"] + t0} for b in block.get("bursts", [])]
        self.truth_parts[name].append(block)
        return c * out.acc, out.emg

    def run(self, chunk_s: float) -> tuple[np.ndarray, np.ndarray | None]:
        """Render every chunk; return sensor acceleration (3, n) and the EMG potential (or None)."""
        fs, emg_fs = self.fs, self.emg_fs
        out = np.empty((3, self.n_total))
        emg_total = None
        if emg_fs is not None:   # the voluntary bouts' EMG (whole recording) is the starting point
            n_emg = int(round(self.duration_s * emg_fs))
            emg_total = self.voluntary[1] if self.voluntary[1] is not None else np.zeros(n_emg)
        step = max(1, int(round(chunk_s * fs)))
        rng_local = {k: self.rng[k] for k in ("twitch", "nerve")}
        for i0 in range(0, self.n_total, step):
            n = min(step, self.n_total - i0)
            t0 = i0 / fs
            body = np.zeros((3, n))
            emg_chunk = None
            if emg_total is not None:   # a view: mechanisms add their potentials in place
                j0 = int(round(t0 * emg_fs))
                emg_chunk = emg_total[j0:min(int(round((i0 + n) / fs * emg_fs)), emg_total.size)]
            parts: dict[str, np.ndarray] = {}
            for name in MECHANISMS:
                if name not in self.sc.mechanisms:
                    continue
                e = None
                if name in ("twitch", "nerve"):
                    a, e = self._local(name, t0, n, rng_local[name].spawn(1)[0])
                elif name == "postural":
                    a, e = self.models[name].render(n)
                else:
                    a = self.models[name].render(n)
                parts[name] = a
                body += a
                if e is not None and emg_chunk is not None:
                    k = min(e.size, emg_chunk.size)
                    emg_chunk[:k] += e[:k]
            if self.voluntary[0] is not None:
                parts["voluntary"] = self.voluntary[0][:, i0:i0 + n]
                body += parts["voluntary"]
            if self.components is not None:
                for k, a in parts.items():
                    self.components[k][:, i0:i0 + n] = a
            out[:, i0:i0 + n] = self.acc_state(body)
        return out, emg_total

    def truth(self, seed: int) -> dict[str, Any]:
        """The ``<stem>.truth.json`` document."""
        mech: dict[str, Any] = {}
        for name in MECHANISMS:
            if name not in self.sc.mechanisms:
                mech[name] = _absent(name)
            elif name in self.models:
                mech[name] = self.models[name].truth()
            else:
                mech[name] = self._merge(name, self.truth_parts[name])
        return {"schema": TRUTH_SCHEMA, "scenario": self.sc.name, "description": self.sc.description,
                "seed": int(seed), "duration_s": self.n_total / self.fs, "fs_hz": self.fs,
                "emg_fs_hz": self.emg_fs, "posture": self.sc.posture,
                "sensor": self.acc_state.describe(), "voluntary": self.voluntary[2], "mechanisms": mech}

    def _merge(self, name: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
        first = dict(parts[0])
        if name == "twitch":
            events = [e for p in parts for e in p.get("events", [])]
            first.update(events=events, n_events=len(events), present=bool(events),
                         pattern=first.get("pattern") if events else "none")
        else:
            bursts = [b for p in parts for b in p.get("bursts", [])]
            first.update(bursts=bursts, present=bool(bursts))
        return first


def simulate(name: str, *, duration_s: float | None = None, fs: float | None = None,
             seed: int | None = None, emg_fs: float | None = None,
             sensor: str | Mapping[str, Any] | AccelerometerParams | None = None,
             chunk_s: float = _CHUNK_S, keep_components: bool = False) -> Simulation:
    """Simulate scenario *name*.

    Parameters
    ----------
    name : str
        A scenario (see :func:`list_scenarios`).
    duration_s, fs, seed : float, float, int or None
        Override the scenario's duration (s), accelerometer rate (Hz) and seed.
    emg_fs : float or None
        EMG rate override (only for scenarios with an electrode).
    sensor : str, mapping, AccelerometerParams or None
        A placement name, a mapping of :class:`AccelerometerParams` fields
        (merged over the scenario's), or a full parameter object.
    chunk_s : float
        Chunk length in s (bounded memory for long runs).
    keep_components : bool
        Keep each mechanism's body-frame contribution (for plots).

    Returns
    -------
    Simulation
        ``(recording, truth, components)``.

    Examples
    --------
    >>> rec, truth, _ = simulate("seated-rest", duration_s=20.0, seed=1)
    >>> rec.ch_names, truth["mechanisms"]["pulse"]["present"]
    (('acc_x', 'acc_y', 'acc_z'), True)
    """
    sc = load_scenario(name)
    duration_s = sc.duration_s if duration_s is None else float(duration_s)
    fs = sc.fs_hz if fs is None else float(fs)
    seed = sc.seed if seed is None else int(seed)
    if not (math.isfinite(duration_s) and duration_s > 0):
        raise ParameterError(f"duration must be > 0 s, got {duration_s!r}")
    if not (math.isfinite(fs) and 20.0 < fs <= 10_000.0):
        raise ParameterError(f"fs must be in (20, 10000] Hz, got {fs!r}")
    if not chunk_s > 0:
        raise ParameterError("chunk_s must be > 0")
    emg_fs = (None if sc.emg_fs_hz is None else float(emg_fs or sc.emg_fs_hz))
    if isinstance(sensor, AccelerometerParams):
        sp = sensor
    else:
        fields = dict(sc.sensor)
        if isinstance(sensor, str):
            fields["placement"] = sensor
        elif isinstance(sensor, Mapping):
            fields.update(sensor)
        try:
            sp = AccelerometerParams(**fields)
        except TypeError as exc:
            raise ParameterError(f"sensor: {exc}") from None
    comp = _Composer(sc, duration_s, fs, seed, emg_fs, sp, keep_components)
    acc, emg_pot = comp.run(chunk_s)
    truth = comp.truth(seed)
    streams = {}
    if emg_pot is not None:
        from ..sensors.emg import record_emg

        emg = record_emg(emg_pot, emg_fs, rng=comp.rng["emg"])
        streams["emg"] = Recording(emg[None, :], emg_fs, ("emg",), ("emg",), ("V",),
                                   meta={"format": "simulated", "app": "glutesense"})
    annotations = Annotations()
    for ev in comp.events:
        annotations = annotations + ev
    for model in comp.models.values():
        annotations = annotations + model.annotations
    meta = {"format": "simulated", "app": "glutesense", "scenario": sc.name, "seed": seed,
            "sensor": truth["sensor"],
            "inferred": {"gravity_included": True, "units": "m/s^2 (simulated)"}}
    rec = Recording(acc, fs, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3, ("m/s^2",) * 3,
                    annotations=annotations, meta=meta, streams=streams)
    return Simulation(rec, truth, comp.components)
