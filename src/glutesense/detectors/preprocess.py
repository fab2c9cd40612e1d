"""Preprocessing: from a :class:`~glutesense.recording.Recording` to a :class:`Prepared`.

ANALYSER side: never imports :mod:`glutesense.body`, ``sensors`` or ``scenarios``.

Steps
-----
1. Pick the acceleration channels (and an sEMG stream, if any).
2. Check the data: clipping (runs of samples at the extreme value), sample-and-hold
   logging (from what the reader inferred), sampling too slow for a mechanism.
3. Gravity: 0.25-s block means low-passed below 0.3 Hz give the gravity track
   (the static component, Mathie et al., 2004). Orientation changes are jumps of
   its direction by more than :data:`ORIENTATION_JUMP_DEG` that persist; each
   segment between them gets its own rotation into a body-vertical frame
   (vertical = gravity direction, the horizontal pair any orthogonal completion).
   Without gravity no rotation is possible: the axis with the most 0.5–10 Hz
   movement is taken as "vertical" and a warning says so.
4. Gravity-free acceleration: each segment, rotated, minus its own 0.1 Hz
   low-pass (computed on 0.25-s block means and interpolated back). For the ISO
   2631-1 quantities each segment minus its mean (the static gravity only) is kept
   as well (``Prepared.acc_iso``).
5. Voluntary movement (:mod:`.voluntary`), measured on the raw signal before
   step 3 needs it (its measures ignore gravity); its short-time RMS comes from the
   same one-pass 0.25-s block sums that give the gravity track's block means.
6. Noise: robust (MAD) RMS of the signal above fs/4, in the quietest windows.

Long recordings are cheap to prepare: every slow quantity is computed on block
sums or decimated copies, and the few thin (3 × 3) products avoid a multithreaded
BLAS call, which stalls when the cores are busy.

References
----------
Mathie MJ, Coster ACF, Lovell NH, Celler BG (2004). Accelerometry: providing an
integrated, practical method for long-term, ambulatory monitoring of human
movement. Physiol Meas 25:R1–R20.
Donoho DL, Johnstone IM (1994). Ideal spatial adaptation by wavelet shrinkage.
Biometrika 81:425–455 (the MAD/0.6745 noise estimate).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
from scipy import signal

from ..recording import Recording
from ..units import G0
from . import voluntary as _vol
from ._base import Prepared, _median, _quantile

__all__ = ["prepare", "preprocess", "emg_stream", "PrepInfo", "ORIENTATION_JUMP_DEG", "MIN_FS_TWITCH_HZ",
           "MIN_FS_APPLIANCE_HZ", "robust_sigma", "bandpass", "notch_lines", "butter_sos"]

#: A persistent turn of the gravity direction larger than this is an orientation change.
ORIENTATION_JUMP_DEG = 20.0
#: Twitches are 5–20 Hz transients lasting tens of ms (physiology.md §1.4).
MIN_FS_TWITCH_HZ = 20.0
#: Appliance vibration reaches 25 Hz (drum spin); Nyquist needs twice that.
MIN_FS_APPLIANCE_HZ = 50.0
_GRAV_HOP_S = 0.25
_MAD = 0.6744897501960817
#: Windows (2 s) the noise estimate looks at, at most, and their filter lead-in (samples).
_NOISE_WINDOWS = 128
_NOISE_WARMUP = 32


@dataclasses.dataclass(frozen=True)
class PrepInfo:
    """What preprocessing found beyond the :class:`Prepared` contract.

    Attributes
    ----------
    orientation_changes : list of dict
        ``{"t_s", "angle_deg"}`` for every orientation change.
    voluntary : list of dict
        ``{"t0_s", "t1_s"}`` voluntary-movement intervals.
    vertical_axis : str
        How "vertical" was chosen (``"gravity"`` or the name of a sensor axis).
    """

    orientation_changes: list[dict[str, float]]
    voluntary: list[dict[str, float]]
    vertical_axis: str


@functools.lru_cache(maxsize=64)
def _butter_cached(order: int, wn: float | tuple[float, float], btype: str,
                   fs: float) -> np.ndarray:
    return signal.butter(order, wn, btype=btype, fs=fs, output="sos")


def butter_sos(order: int, wn: float | tuple[float, float], btype: str, fs: float) -> np.ndarray:
    """Butterworth filter in second-order sections (designs are cached: chunks reuse them)."""
    return _butter_cached(order, wn, btype, fs).copy()


@functools.lru_cache(maxsize=64)
def _zi_cached(order: int, wn: float | tuple[float, float], btype: str, fs: float) -> np.ndarray:
    return signal.sosfilt_zi(_butter_cached(order, wn, btype, fs))


def _butter_filtfilt(x: np.ndarray, order: int, wn: float | tuple[float, float], btype: str,
                     fs: float, padlen: int | None = None) -> np.ndarray:
    """:func:`scipy.signal.sosfiltfilt` along the last axis with a cached Butterworth
    design and steady-state ``zi`` (the same arithmetic: odd extension by *padlen*,
    default three times the filter's taps; the design and ``zi`` are not recomputed per call,
    which dominates on short, decimated signals)."""
    sos = _butter_cached(order, wn, btype, fs)
    nsec = sos.shape[0]
    ntaps = 2 * nsec + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    edge = 3 * ntaps if padlen is None else padlen
    n = x.shape[-1]
    if edge >= n:
        return signal.sosfiltfilt(sos, x, axis=-1, padlen=padlen)
    if edge > 0:
        x0, x1 = x[..., :1], x[..., -1:]
        ext = np.concatenate([2 * x0 - x[..., edge:0:-1], x,
                              2 * x1 - x[..., -2:-edge - 2:-1]], axis=-1)
    else:
        ext = x
    zi = _zi_cached(order, wn, btype, fs).reshape((nsec,) + (1,) * (x.ndim - 1) + (2,))
    y, _ = signal.sosfilt(sos, ext, axis=-1, zi=zi * ext[..., :1])
    y = y[..., ::-1]
    y, _ = signal.sosfilt(sos, y, axis=-1, zi=zi * y[..., :1])
    y = y[..., ::-1]
    return np.ascontiguousarray(y[..., edge:n + edge]) if edge > 0 else np.ascontiguousarray(y)


def robust_sigma(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Noise standard deviation as median(|x|)/0.6745 (Donoho & Johnstone, 1994)."""
    return _median(np.abs(x), axis=axis) / _MAD


def _clipping(raw: np.ndarray, names: tuple[str, ...]) -> list[str]:
    """Runs of ≥ 3 samples sitting exactly at a channel's maximum or minimum."""
    out = []
    for x, name in zip(raw, names):
        for ext in (x.max(), x.min()):
            if ext == 0 or np.count_nonzero(x == ext) < 3:     # no run of 3 possible
                continue
            at = np.r_[False, x == ext, False].astype(np.int8)
            d = np.diff(at)
            run = np.flatnonzero(d == -1) - np.flatnonzero(d == 1)
            n_clip = int(run[run >= 3].sum())
            if n_clip and ext != 0:
                out.append(f"clipping: {n_clip} samples of {name} sit at {ext:+.4g} m/s² "
                           "(sensor range exceeded); peaks there are underestimated")
    return out


def _basis(v: np.ndarray) -> np.ndarray:
    """Rows (h1, h2, v): an orthonormal frame whose third axis is *v*."""
    v = v / np.linalg.norm(v)
    e = np.zeros(3)
    e[int(np.argmin(np.abs(v)))] = 1.0
    h1 = _cross(v, e)
    h1 /= np.linalg.norm(h1)
    return np.vstack([h1, _cross(v, h1), v])


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.cross`` of two 3-vectors (the same products and differences, without its
    generic-shape overhead)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0]])


def _rotate(rot: np.ndarray, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``rot @ x`` for a (3, 3) rotation and a long (3, n) signal without BLAS: a
    multithreaded BLAS call on so thin a product stalls when the cores are busy.
    *out*: where to write it (may be a view into a larger array)."""
    return np.einsum("ij,jn->in", rot, x, out=out)


def _angles(u: np.ndarray, ref: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(ref @ u, -1.0, 1.0)))


def _orientation_segments(g: np.ndarray, blocks: np.ndarray, vol_block: np.ndarray,
                          gfs: float) -> tuple[list[int], list[dict[str, float]]]:
    """Split the gravity track at persistent direction jumps.

    A block starts a new segment when it and the next ``confirm`` non-voluntary
    blocks (1 s) all lie more than :data:`ORIENTATION_JUMP_DEG` from the current
    segment's direction. The change is dated, on the unfiltered block means, to
    the last block still within half that angle of the old direction.
    """
    ub = blocks / np.maximum(np.linalg.norm(blocks, axis=0), 1e-12)
    u = g / np.maximum(np.linalg.norm(g, axis=0), 1e-12)
    quiet = np.flatnonzero(~vol_block)
    starts, changes = [0], []
    if quiet.size < 2:
        return starts, changes
    confirm = max(2, int(round(1.0 / _GRAV_HOP_S)))
    ref_idx = quiet[: 4 * confirm]
    ref = np.median(u[:, ref_idx], axis=1)
    ref /= np.linalg.norm(ref)
    pos = 0
    while pos < quiet.size - confirm:
        ang = _angles(u[:, quiet[pos:]], ref)
        far = ang > ORIENTATION_JUMP_DEG
        hit = _first_run(far, confirm)
        if hit.size == 0:
            break
        k = quiet[pos + hit[0]]
        lo = max(0, k - int(10 * gfs))
        near = np.flatnonzero(_angles(ub[:, lo:k + 1], ref) <= 0.5 * ORIENTATION_JUMP_DEG)
        b = lo + int(near[-1]) + 1 if near.size else k
        new_idx = quiet[pos + hit[0]: pos + hit[0] + 4 * confirm]
        new_ref = np.median(u[:, new_idx], axis=1)
        new_ref /= np.linalg.norm(new_ref)
        angle = float(_angles(new_ref[:, None], ref)[0])
        pos = pos + hit[0] + confirm
        if angle <= ORIENTATION_JUMP_DEG or b <= starts[-1]:
            continue              # the settled direction is not far from the old one
        changes.append({"t_s": float(b / gfs), "angle_deg": angle})
        starts.append(int(b))
        ref = new_ref
    return starts, changes


def _first_run(flag: np.ndarray, m: int) -> np.ndarray:
    """``[i]`` for the first *i* with ``flag[i:i + m].all()`` (empty if none): the start
    of the first run of at least *m* True values."""
    d = np.diff(np.concatenate(([0], flag.view(np.int8), [0])))
    on, off = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return on[off - on >= m][:1]


def _block_means(x: np.ndarray, hop: int) -> np.ndarray:
    """Means of consecutive blocks of *hop* samples of each row (a partial last block is
    dropped); numpy's own summation loop per row (no BLAS)."""
    nb = x.shape[1] // hop
    return np.vstack([np.einsum("ij->i", np.ascontiguousarray(row[: nb * hop]).reshape(nb, hop))
                      for row in x]) * (1.0 / hop)


def _gravity_track(raw: np.ndarray, fs: float,
                   sums: _vol.HopSums | None = None
                   ) -> tuple[np.ndarray, np.ndarray, float]:
    """0.25-s block means and their < 0.3 Hz low-pass (the gravity track), and their rate.

    *sums*: :func:`.voluntary.hop_block_sums` of *raw* over the 0.25-s block, so that
    the data are not read again.
    """
    hop = max(1, int(round(_GRAV_HOP_S * fs)))
    nb = raw.shape[1] // hop
    if nb == 0:
        m = raw.mean(axis=1, keepdims=True)
        return m, m, fs
    blocks = (sums.s[:, :nb] * (1.0 / hop)
              if sums is not None and sums.hop == hop and sums.s.shape[1] >= nb
              else _block_means(raw, hop))
    gfs = fs / hop
    g = blocks
    if nb > 15:
        g = _butter_filtfilt(blocks, 2, 0.3, "low", gfs)
    return g, blocks, gfs


def _minus_upsampled(x: np.ndarray, low: np.ndarray, hop: int,
                     out: np.ndarray | None = None) -> np.ndarray:
    """``x`` minus the linear interpolation of block-centre values *low* (rows, nb).

    Block *k* covers samples ``[k·hop, (k+1)·hop)`` and its value sits at the block
    centre; outside the first and last centres the end values are held (as
    :func:`numpy.interp` does). Each offset ``d`` (in blocks) from a centre
    interpolates towards the nearer neighbouring centre: ``low[k] + d·slope`` with
    the slope to the next block (d ≥ 0) or from the previous one (d < 0). The curve
    is built offset by offset (rows of ``nb`` values, so numpy's loops run long) and
    subtracted in one pass, instead of a search per sample. *out* (rows, n), if
    given, receives the result (it may be a view with strided rows, but must not
    overlap *x*).
    """
    rows, nb = low.shape
    n = x.shape[1]
    d = (np.arange(hop) - (hop - 1) / 2.0) / hop          # offset from the centre, blocks
    neg = int(np.count_nonzero(d < 0))
    back = np.diff(low, axis=1, prepend=low[:, :1])
    fwd = np.diff(low, axis=1, append=low[:, -1:])
    if out is None:
        out = np.empty((rows, n))
    # a view (numpy's reshape(copy=False) needs numpy 2.1): out's rows are contiguous here,
    # whether it is fresh or a column slice of preprocess's (3, n) output
    body = out[:, : nb * hop].reshape(rows, nb, hop)
    if not np.shares_memory(body, out):                # a caller's strided out: no view
        raise ValueError("out must have contiguous rows")
    xb = x[:, : nb * hop].reshape(rows, nb, hop)
    curve = np.empty((hop, nb))                # curve[j, k]: offset j in block k (one row)
    for r in range(rows):
        np.multiply(back[r], d[:neg, None], out=curve[:neg])
        np.multiply(fwd[r], d[neg:, None], out=curve[neg:])
        curve += low[r]
        np.subtract(xb[r], curve.T, out=body[r])
    if n > nb * hop:
        out[:, nb * hop:] = x[:, nb * hop:] - low[:, -1:]
    return out


def _highpass_segment(x: np.ndarray, fs: float, blocks: np.ndarray | None = None,
                      out: np.ndarray | None = None) -> np.ndarray:
    """Remove the < 0.1 Hz component (gravity, drift) of one orientation segment.

    The 0.1 Hz zero-phase low-pass runs on 0.25-s block means (whose boxcar
    already rejects everything near and above 4 Hz) and is interpolated back to
    the samples: the same result as filtering at the full rate, at a fraction of
    the cost. *blocks*, if given, are those block means already computed; *out*, if
    given, receives the result (it must not overlap *x*).
    """
    n = x.shape[1]
    hop = max(1, int(round(_GRAV_HOP_S * fs)))
    nb = n // hop
    if nb < 40 or fs / hop <= 0.5:            # < 10 s: the mean is the best we can do
        return np.subtract(x, x.mean(axis=1, keepdims=True), out=out)
    if blocks is None or blocks.shape[1] != nb:
        blocks = _block_means(x, hop)
    bfs = fs / hop
    low = _butter_filtfilt(blocks, 2, 0.1, "low", bfs, padlen=min(nb - 1, int(10 * bfs)))
    return _minus_upsampled(x, low, hop, out)


def _acc_channels(rec: Recording) -> tuple[np.ndarray, tuple[str, ...], list[str]]:
    names = rec.channels_of_type("acc")
    warnings: list[str] = []
    if len(names) >= 3:
        idx = [rec.ch_names.index(c) for c in names[:3]]
        if idx[1] == idx[0] + 1 and idx[2] == idx[0] + 2:        # adjacent rows: a view
            return rec.data[idx[0]:idx[0] + 3], tuple(names[:3]), warnings
        return rec.get(list(names[:3])), tuple(names[:3]), warnings
    if len(names) in (1, 2):
        raw = np.zeros((3, rec.n_samples))
        raw[3 - len(names):] = rec.get(list(names))
        warnings.append(f"only {len(names)} acceleration channel(s): orientation unknown; "
                        "missing axes are treated as zero")
        return raw, tuple(names), warnings
    return np.zeros((3, 0)), (), ["no acceleration channels: only the EMG can be analysed"]


def emg_stream(rec: Recording) -> Recording | None:
    """The sEMG of *rec*: its ``emg`` stream, else its first EMG channel, else None."""
    if "emg" in rec.streams:
        return rec.streams["emg"]
    emg = rec.channels_of_type("emg")
    if emg:
        i = rec.ch_names.index(emg[0])
        return Recording(rec.data[i:i + 1], rec.fs, (emg[0],), ("emg",), (rec.ch_units[i],),
                         t0=rec.t0)
    return None


def preprocess(recording: Recording) -> tuple[Prepared, PrepInfo]:
    """Prepare *recording* for the detectors and say what was found on the way.

    Parameters
    ----------
    recording : Recording
        Raw recording (acceleration in m/s², with or without gravity).

    Returns
    -------
    Prepared
        Gravity-free acceleration in the body-vertical frame, voluntary mask,
        noise RMS, sEMG stream and warnings.
    PrepInfo
        Orientation changes, voluntary intervals and how "vertical" was chosen.
    """
    rec = recording
    raw, names, warnings = _acc_channels(rec)
    fs = rec.fs
    emg = emg_stream(rec)
    if raw.shape[1] == 0:
        n = int(round(rec.duration * 100.0))
        acc = np.zeros((3, n))
        prep = Prepared(acc=acc, fs=100.0, t0=rec.t0, voluntary=np.zeros(n, dtype=bool),
                        gravity_included=False, emg=emg, noise_rms=0.0, source=rec,
                        warnings=tuple(warnings))
        return prep, PrepInfo([], [], "none")

    inferred = rec.inferred
    grav = inferred.get("gravity_included")
    if grav is None:
        step = max(1, raw.shape[1] // 10000)          # the median of 10⁴ samples is plenty
        sub = raw[:, ::step]
        sub = sub * sub
        grav = bool(abs(_median(np.sqrt(sub[0] + sub[1] + sub[2])) - G0) < 0.3 * G0)
    grav = bool(grav) and len(names) == 3
    warnings += _clipping(raw, names)
    if inferred.get("sample_and_hold"):
        eff = inferred.get("fs_effective_hz", inferred.get("fs_achieved_hz"))
        warnings.append("sample-and-hold logging: the sensor delivered new values at only "
                        f"≈{eff} Hz; content above half that rate is not real")
    if fs < MIN_FS_APPLIANCE_HZ:
        warnings.append(f"sampling at {fs:g} Hz: vibration above {fs / 2:g} Hz (appliances "
                        f"need {MIN_FS_APPLIANCE_HZ:g} Hz) cannot be seen")
    if fs < MIN_FS_TWITCH_HZ:
        warnings.append(f"sampling at {fs:g} Hz is too slow for twitches "
                        f"(needs ≥ {MIN_FS_TWITCH_HZ:g} Hz)")

    n = raw.shape[1]
    if grav:
        ghop = max(1, int(round(_GRAV_HOP_S * fs)))
        # one pass over the data gives the gravity track's block means and the
        # movement measures' short-time RMS (both over 0.25-s hops)
        sums = _vol.hop_block_sums(raw, ghop)
        g, blocks, gfs = _gravity_track(raw, fs, sums)
        # the movement measures ignore gravity (window means, bands above 0.5 Hz), so
        # they run on the raw signal: no gravity-removal filter edges at turns
        iv = _vol.intervals_from_features(_vol.features(raw, fs, g, gfs, sums))
        vol_block = _vol.intervals_to_mask(iv, g.shape[1], gfs)
        starts, changes = _orientation_segments(g, blocks, vol_block, gfs)
        bounds = [int(round(s * ghop)) for s in starts] + [n]
        # the outputs are written in place, segment by segment (no per-segment copies)
        acc = np.empty((3, n))
        acc_iso = np.empty((3, n))
        for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
            blk = slice(starts[k], starts[k + 1] if k + 1 < len(starts) else g.shape[1])
            quiet = ~vol_block[blk]
            gv = _median(g[:, blk][:, quiet] if quiet.any() else g[:, blk], axis=1)
            rot = _basis(gv)
            # rotate once; gravity-free = rotated minus its (rotated) slow part, ISO =
            # rotated minus its mean (the static gravity only)
            body = _rotate(rot, raw[:, a:b], out=acc_iso[:, a:b])
            _highpass_segment(body, fs, _rotate(rot, blocks[:, blk]), out=acc[:, a:b])
            body -= body.mean(axis=1, keepdims=True)
        for c in changes:
            warnings.append(f"the sensor turned by {c['angle_deg']:.0f}° at "
                            f"{rec.t0 + c['t_s']:.1f} s; orientation re-estimated from there")
        vertical = "gravity"
    else:
        changes = []
        acc = _highpass_segment(raw, fs)
        acc_iso = None
        hi = min(10.0, 0.45 * fs)
        sos = butter_sos(2, (0.5, hi), "band", fs)
        band = signal.sosfilt(sos, acc, axis=1) if n > 30 else acc
        if len(names) == 3:
            # The principal direction of the 0.5–10 Hz movement (eigenvector of its
            # covariance) is taken as 'vertical': seat and floor vibration and the seated
            # BCG are mostly vertical. It need not be one of the sensor's own axes.
            cov = np.einsum("in,jn->ij", band, band) / max(band.shape[1], 1)
            w, v = np.linalg.eigh(cov)
            rot = _basis(v[:, int(np.argmax(w))])
            acc = _rotate(rot, acc)
            acc_iso = _rotate(rot, raw - raw.mean(axis=1, keepdims=True))
            vertical = "principal direction of movement"
            where = "the direction"
        else:
            k = int(np.argmax(band.var(axis=1)))
            order = [i for i in range(3) if i != k] + [k]
            acc = acc[order]
            acc_iso = (raw - raw.mean(axis=1, keepdims=True))[order]
            vertical = (("(missing)",) * (3 - len(names)) + names)[k]
            where = f"the axis ({vertical})"
        warnings.append("gravity is not in the data, so the sensor's orientation is unknown: "
                        f"{where} with the most 0.5–10 Hz movement is used as 'vertical'")
        iv = _vol.find_intervals(acc, fs)
    mask = _vol.intervals_to_mask(iv, n, fs)
    noise = _noise_rms(acc[2], fs, mask)
    prep = Prepared(acc=acc, fs=fs, t0=rec.t0, voluntary=mask, gravity_included=grav, emg=emg,
                    noise_rms=noise, source=rec, warnings=tuple(warnings), acc_iso=acc_iso)
    info = PrepInfo(orientation_changes=[{"t_s": rec.t0 + c["t_s"], "angle_deg": c["angle_deg"]}
                                         for c in changes],
                    voluntary=_vol.mask_to_intervals(mask, fs, rec.t0), vertical_axis=vertical)
    return prep, info


def _noise_rms(x: np.ndarray, fs: float, voluntary: np.ndarray) -> float:
    """White-noise-equivalent RMS from the band above fs/4 in the quietest 2-s windows.

    For white noise the band [fs/4, fs/2] holds half the variance, so the robust
    sigma there times √2 is the full-band RMS. The 25th percentile of the window
    estimates ignores windows with transients or vibration. Long recordings use
    :data:`_NOISE_WINDOWS` windows spread evenly over them (plenty for a
    percentile), each high-passed after :data:`_NOISE_WARMUP` samples of lead-in
    (the filter's impulse response has < 1e-8 of its energy left by then).
    """
    if x.size < 16:
        return 0.0
    sos = butter_sos(4, 0.25 * fs, "high", fs)
    w = max(8, int(2 * fs))
    nw = x.size // w
    if nw == 0:
        return float(robust_sigma(signal.sosfilt(sos, x)) * np.sqrt(2))
    step = -(-nw // _NOISE_WINDOWS)
    if step == 1:
        win = signal.sosfilt(sos, x)[: nw * w].reshape(nw, w)
        vol = voluntary[: nw * w].reshape(nw, w)
    else:
        # windows free of voluntary movement are picked first and only they are filtered
        # (each row is filtered on its own, so which rows are filtered changes nothing)
        first = np.arange(0, nw, step) * w
        vol = np.lib.stride_tricks.sliding_window_view(voluntary, w)[first]
        ok = ~vol.any(axis=1)
        if ok.any():
            first = first[ok]
        lead = np.minimum(first, _NOISE_WARMUP)
        span = w + _NOISE_WARMUP
        if first[-1] - lead[-1] + span <= x.size:           # rows of a strided view
            seg = np.lib.stride_tricks.sliding_window_view(x, span)[first - lead]
        else:
            seg = x[np.minimum((first - lead)[:, None] + np.arange(span), x.size - 1)]
        hp = signal.sosfilt(sos, seg, axis=1)
        win = np.lib.stride_tricks.sliding_window_view(hp, w, axis=1)[np.arange(first.size),
                                                                        lead]
        return float(_quantile(robust_sigma(win, axis=1), 0.25) * np.sqrt(2))
    ok = ~vol.any(axis=1)
    sig = robust_sigma(win[ok] if ok.any() else win, axis=1)
    return float(_quantile(sig, 0.25) * np.sqrt(2))


def prepare(recording: Recording) -> Prepared:
    """Return the :class:`Prepared` form of *recording* (see :func:`preprocess`)."""
    return preprocess(recording)[0]


def bandpass(x: np.ndarray, fs: float, lo: float, hi: float, order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth band-pass along the last axis (*hi* capped at 0.45 fs)."""
    hi = min(hi, 0.45 * fs)
    if x.shape[-1] <= 3 * (2 * order + 1) or hi <= lo:
        return x - x.mean(axis=-1, keepdims=True)
    return _butter_filtfilt(x, order, (lo, hi), "band", fs)


def notch_lines(x: np.ndarray, fs: float, lines_hz: list[float] | tuple[float, ...],
                q: float = 20.0) -> np.ndarray:
    """Remove narrowband lines (and their 2nd harmonics) with zero-phase IIR notches.

    Uses the second-order notch of :func:`scipy.signal.iirnotch` (quality *q*)
    at each frequency below 0.45 fs; used to keep appliance tones found by the
    vibration stage out of the pulse and twitch detectors.
    """
    freqs = sorted({round(h * f, 3) for f in lines_hz if f and f > 0 for h in (1, 2)
                    if 0 < h * f < 0.45 * fs})
    if not freqs or x.shape[-1] < 64:
        return x
    sos = np.vstack([signal.tf2sos(*signal.iirnotch(f, q, fs=fs)) for f in freqs])
    return signal.sosfiltfilt(sos, x, axis=-1)
