"""Environmental vibration: presence, source, dominant frequency and ISO 2631-1 exposure.

ANALYSER side: never imports :mod:`glutesense.body`, ``sensors`` or ``scenarios``.

Method
------
The gravity-free body-frame acceleration is cut into Welch frames of
≈ :data:`FRAME_S` seconds (a power of two in samples, 50 % overlap; frames
touching voluntary movement are skipped): strided views of the signal,
transformed in float32 batches, so memory stays bounded and a day at 100 Hz
takes well under a second. Per frame, one FFT per axis of the Hann-windowed
frame gives the power spectral density (Welch, 1967; the frame mean is removed
exactly in the spectrum). A frame whose whole power (Parseval: Hann-weighted
sums of x and x², no transform) stays below the vibration threshold cannot be a
vibration frame and is only transformed when its spectrum is needed after all
(see :func:`_frames`). For the vibration frames only — at most
:data:`_ENV_FRAMES` of them, evenly spaced, since a long vibration only repeats
the estimate — a second FFT gives

* the envelope ``e(t) = Σ_axes |z(t)|²`` of the analytic signal ``z`` band-limited
  to :data:`BAND_HZ` (Hilbert envelope from the one-sided spectrum), and its
  modulation spectrum in :data:`ENV_BAND_HZ`.

A frame carries vibration when its excess power in the band over the white
sensor-noise floor is at least :data:`MIN_SNR` times the noise power in that
band and at least :data:`MIN_RMS_MS2` in RMS. The floor is
``3·noise_rms²/(fs/2)`` (three axes), or the median over the band of the
recording's mean PSD when that is lower: a stationary vibration that filled
the preprocessing's noise band (a drum tone above fs/4) would otherwise be
taken for sensor noise. Vibration is *present* when such frames cover at least
half of the analysed time or form an episode of :data:`MIN_EPISODE_S`, and
their source is not a ballistocardiogram look-alike (below).

The source is decided from features of the vibration frames:

* **beat periodicity** — the envelope autocorrelation (the inverse transform of
  the mean modulation spectrum, unbiased by the window's own autocorrelation)
  at lags of 1/3.3–1/0.6 s (36–200 bpm): beat-periodic bursts are *music*,
  unless they are weak, low-frequency and broadband, which is what a
  ballistocardiogram looks like (then the pulse detector explains them and no
  vibration is reported). A record found to be music is checked again in blocks
  of about 25 s: blocks that alone look like a ballistocardiogram (the strong
  heartbeat after exercise, before a car ride) are left out and the source is
  decided without them;
* **lines** — narrowband peaks above the local spectral floor (running median
  over ±1.5 Hz); a line spectrum under a steady envelope whose strongest line
  is stable from frame to frame (or rises steadily: a run-up) is an
  *appliance* (checked first: two lines beating can look beat-periodic); its
  integer harmonics (folded at Nyquist when aliased) are reported;
* **broadband low-frequency energy** — a line-free floor concentrated below
  20 Hz and shaped by resonances (spectral flatness, Gray & Markel 1974, well
  below 1; the seated body's resonance is at 4–6 Hz, physiology.md §7.5) and
  not impulsive, is a *vehicle*, with or without engine-order tones on top;
* **weak impulsive energy** — an envelope too peaky for any stationary Gaussian
  vibration (mean(e²)/mean(e)² ≥ :data:`IMPULSIVE_PEAKY_MIN`) and an excess
  weaker than :data:`TRANSIENT_MAX_RMS_MS2` is a train of body transients
  (dense fasciculations, nerve bursts), which the twitch and nerve detectors
  explain: no vibration is reported;
* anything else (flat broadband noise, irregular impacts) is *other*.

The dominant frequency is the strongest peak of the mean PSD, refined by
parabolic interpolation of the log spectrum (Smith & Serra, 1987).

ISO 2631-1 quantities use :mod:`glutesense.dsp.iso2631` (Wd on the two
horizontal rows, Wk on the vertical; the seated-health factors 1.4, 1.4, 1.0;
the minimum-phase FIR applied by float32 overlap-save FFT convolution, whose
rounding, ~1e-7 of the signal r.m.s., is far below any reported level; MTVV by
an exact bounded search over blocks of the running mean square),
evaluated in chunks over the non-voluntary samples (voluntary samples are set
to zero before weighting so that their large accelerations do not leak through
the filters), on ``prepared.acc_iso`` when given: the acceleration with only
the static gravity removed, since the movement-tracking gravity estimate
removes slow accelerations that Wd keeps (it passes from 0.4 Hz).

References
----------
Welch PD (1967). The use of fast Fourier transform for the estimation of power
spectra. IEEE Trans Audio Electroacoust 15:70–73.
Smith JO, Serra X (1987). PARSHL: an analysis/synthesis program for non-harmonic
sounds based on a sinusoidal representation. Proc ICMC (quadratic peak interpolation).
Gray AH, Markel JD (1974). A spectral-flatness measure for studying the
autocorrelation method of linear prediction of speech analysis. IEEE Trans
Acoust Speech Signal Process 22:207–217.
Scheirer ED (1998). Tempo and beat analysis of acoustic musical signals. J Acoust
Soc Am 103:588–601 (beat periodicity from band envelopes).
ISO 2631-1:1997 Mechanical vibration and shock — Evaluation of human exposure to
whole-body vibration (via :mod:`glutesense.dsp.iso2631`).
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft as sp_fft
from scipy.ndimage import median_filter, uniform_filter1d

from ..dsp import iso2631
from ..recording import Annotations
from ._base import Finding, Prepared

__all__ = ["detect", "FRAME_S", "BAND_HZ", "MIN_SNR", "MIN_RMS_MS2", "MIN_EPISODE_S",
           "PULSE_MAX_RMS_MS2", "SOURCES"]

#: Nominal Welch frame length in s (rounded to a power of two in samples): 0.1 Hz bins.
FRAME_S = 8.0
#: Band where environmental vibration is looked for, Hz (upper edge capped below Nyquist).
BAND_HZ = (2.0, 100.0)
#: Modulation band kept for the beat analysis, Hz: beats and a few harmonics, without the
#: slow swells (run-ups, road roughness) whose autocorrelation is high at every lag.
ENV_BAND_HZ = (0.4, 6.0)
#: Beat rates considered, Hz (36–200 bpm; popular music 60–180, Moelants 2002).
BEAT_HZ = (0.6, 3.3)
#: Minimum excess band power over the sensor-noise power in the band (ratio).
MIN_SNR = 1.0
#: Minimum excess RMS in the band, m/s²; below the ≈ 0.015 m/s² (peak, weighted)
#: perception threshold commonly quoted from ISO 2631-1 Annex C (not verified here).
MIN_RMS_MS2 = 0.01
#: A run of vibration frames this long makes vibration present even if it covers < 50 %.
MIN_EPISODE_S = 60.0
#: Beat-periodic, low-frequency, broadband energy weaker than this (m/s² RMS) is taken as a
#: ballistocardiogram: ≈ 5× the ≈ 1 mg resting BCG RMS (physiology.md §3).
PULSE_MAX_RMS_MS2 = 0.05
#: ... when its power centroid lies below this, Hz (BCG waves are slower than ~15 Hz).
PULSE_MAX_CENTROID_HZ = 15.0
#: Envelope autocorrelation at the beat lag above which bursts count as beat-periodic.
BEAT_R_MIN = 0.25
#: A bin this many times above the local floor (running median over ±1.5 Hz) is a line.
LINE_RATIO = 6.0
#: Fraction of excess power in narrowband lines above which the spectrum is "line".
LINE_FRACTION_MIN = 0.5
#: A dominant line this far above the local floor (power ratio), stable over most frames
#: and with an integer harmonic, marks an appliance even on a broadband floor.
LINE_PROMINENCE_MIN = 20.0
#: Appliances run steadily: envelope peakiness mean(e²)/mean(e)² below this (a constant
#: envelope gives 1, two beating lines of amplitude ratio 0.4 give 1.24, a heartbeat ≈ 2).
STEADY_PEAKY_MAX = 1.6
#: Vehicles: the line-free floor (2–80 Hz) lies mostly below VEHICLE_TOP_HZ ...
VEHICLE_TOP_HZ = 20.0
LOW_SHARE_MIN = 0.6
#: ... and is shaped by resonances (spectral flatness of the 2–40 Hz floor below this) ...
FLATNESS_MAX = 0.7
#: ... and is not impulsive (envelope peakiness mean(e²)/mean(e)² below this; Gaussian
#: noise gives ≈ 2 for one axis, less for three).
PEAKY_MAX = 6.0
#: Impulsive excess: envelope peakiness above this cannot come from a stationary Gaussian
#: vibration (for a Gamma(k) envelope mean(e²)/mean(e)² = 1 + 1/k: 2 for one axis, 4/3 for
#: three equal axes) ...
IMPULSIVE_PEAKY_MIN = 2.5
#: ... and below this excess RMS (m/s²) it is a train of body transients (fasciculations,
#: nerve bursts: a single gluteal motor unit moves the skin by ~1e-3–1e-2 m/s², physiology.md
#: §1.4, an unverified extrapolation; 0.05 leaves room for several units), which the twitch
#: and nerve detectors explain, not environmental vibration (structural impacts, the
#: "other" class, ring far stronger).
TRANSIENT_MAX_RMS_MS2 = 0.05
#: Expected bands for the aliasing warnings, Hz: music bass; washing-machine drum speeds
#: (800–1600 rpm, physiology.md §7.4) and how many harmonics matter.
MUSIC_BASS_HZ = (30.0, 100.0)
DRUM_HZ = (13.0, 27.0)
DRUM_HARMONICS = 3
#: The report's source vocabulary (DESIGN §4.3).
SOURCES = ("vehicle", "appliance", "music", "other")

#: Settling time of the weighting filters after the record starts, s: the slowest pole
#: (the 0.4 Hz Butterworth high-pass, decay rate 0.707·2π·0.4 s⁻¹) has decayed to 0.5 %.
SETTLE_S = 3.0
#: Shortest analysis frame, s (0.5 Hz resolution: the 2 Hz band edge and beat rates).
MIN_FRAME_S = 2.0

_BATCH_FRAMES = 256
_FLOOR_FRAMES = 64
_ENV_FRAMES = 96
_ISO_CHUNK = 1 << 18


@dataclasses.dataclass
class _Frames:
    """Per-frame results and accumulated spectra of the vibration frames."""

    f: np.ndarray                 # PSD bin frequencies (≤ band top), Hz
    fm: np.ndarray                # modulation-spectrum bin frequencies, Hz
    usable: np.ndarray            # frame free of voluntary movement
    vib: np.ndarray               # frame carries vibration
    snr: np.ndarray               # excess band power / noise band power (NaN: skipped, < s_min)
    excess_var: np.ndarray        # excess band variance, (m/s²)² (NaN: skipped)
    peak_hz: np.ndarray           # strongest band peak (interpolated), Hz
    peaky: np.ndarray             # envelope peakiness mean(e²)/mean(e)² (NaN: not evaluated)
    psd_sum: np.ndarray           # Σ PSD over vibration frames
    mod_sum: np.ndarray           # Σ modulation spectrum over (up to _ENV_FRAMES) vibration frames
    mod_win: np.ndarray           # modulation spectrum of the Hann window alone
    noise_psd: float              # sensor-noise PSD used (3 axes), (m/s²)²/Hz


def _frame_length(n: int, fs: float) -> int:
    """Power-of-two frame length near FRAME_S, shortened for short recordings."""
    length = 1 << int(round(math.log2(max(FRAME_S * fs, 16))))
    while length * 2 > n and length // 2 >= MIN_FRAME_S * fs:
        length //= 2
    return length


def _interp_peak(p: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Fractional bin index of the peaks at bins *k*: the vertex of a parabola through the
    log power of the peak bin and its neighbours (Smith & Serra, 1987)."""
    k = np.clip(k, 1, p.shape[-1] - 2)
    if p.ndim == 2:
        rows = np.arange(p.shape[0])
        trio = np.stack([p[rows, k - 1], p[rows, k], p[rows, k + 1]])
    else:
        trio = np.stack([p[k - 1], p[k], p[k + 1]])
    a, b, c = np.log(np.maximum(trio, 1e-30))
    den = a - 2 * b + c
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(den < 0, 0.5 * (a - c) / den, 0.0)
    return k + np.clip(d, -0.5, 0.5)


class _FrameSpectra:
    """Strided frames of the acceleration and their float32 spectra, computed on demand.

    The frames are strided views of the signal (no gather of overlapping samples
    until a batch is transformed; a batch is copied into one C-ordered float32
    block and windowed, so the FFT reads contiguous rows). The Hann-windowed PSD
    is the FFT of the windowed frame with the frame mean removed exactly in the
    spectrum (the periodic Hann window's transform is ``L/2, −L/4`` at bins 0
    and 1 and zero elsewhere, so ``X_w[k] −= mean·W[k]``); it is one-sided (DC
    and Nyquist not doubled) and summed over the three axes. The sums of x and
    x² over each 1/32 of a frame (the frame means, :meth:`power_bound`) are taken
    once.
    """

    def __init__(self, acc: np.ndarray, fs: float, length: int, n_keep: int) -> None:
        hop = length // 2
        self.length, self.n_keep = length, n_keep
        self.view = sliding_window_view(acc, length, axis=1)[:, ::hop]
        nf = self.view.shape[1]
        k = min(32, length)                       # segments per frame
        xs = acc[:, :(nf + 1) * hop].reshape(3, -1, length // k)
        self.seg1 = np.einsum("abk->ab", xs)      # Σ x, Σ x² per segment (einsum: fast
        self.seg2 = np.einsum("abk,abk->ab", xs, xs)            # short sums, float64)
        hop_sum = self.seg1.reshape(3, nf + 1, k // 2).sum(axis=-1)
        self.mean = (hop_sum[:, :nf] + hop_sum[:, 1:]) / length                 # (3, frames)
        win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(length) / length)     # periodic Hann
        self.win = win.astype(np.float32)
        self.scale = 2.0 / (fs * np.sum(win**2))

    def frames(self, sel: np.ndarray, window: bool = True) -> np.ndarray:
        """The frames *sel* as one C-ordered (3, B, L) float32 block (Hann-windowed):
        copied from the strided float64 view, rounded to float32, then windowed."""
        out = np.empty((3, sel.size, self.length), np.float32)
        starts = np.flatnonzero(np.diff(sel, prepend=-2) != 1)          # runs of consecutive
        if starts.size > 128:
            out[...] = np.take(self.view, sel, axis=1)
        else:
            for a, b in zip(starts, np.r_[starts[1:], sel.size]):
                out[:, a:b] = self.view[:, sel[a]:sel[a] + (b - a)]
        if window:
            out *= self.win
        return out

    def power(self, sel: np.ndarray) -> np.ndarray:
        """``Σ_axes |X_w|²`` (B, n_keep) of the frames *sel*, float32, not yet scaled."""
        spec = sp_fft.rfft(self.frames(sel), axis=-1)[..., :self.n_keep]
        m = self.mean[:, sel]
        spec[..., 0] -= (m * (self.length / 2)).astype(np.float32)
        spec[..., 1] += (m * (self.length / 4)).astype(np.float32)
        p = np.abs(spec[0])
        p *= p
        for row in spec[1:]:
            a = np.abs(row)
            a *= a
            p += a
        return p

    def power_bound(self) -> np.ndarray:
        """Upper bound (float64, per frame) on the PSD row summed over all its bins.

        By Parseval the one-sided PSD summed over ``0 … L/2`` is
        ``scale·L/2·Σ_axes Σ_t w_t²(x_t − m)²`` (w the Hann window, m the frame
        mean). Bounding w² on each 1/32 of the frame by its maximum there gives
        ``Σ_segments max(w²)·Σ_segment (x − m)²`` (8 % above the exact value for
        a stationary signal), from the sums of x and x² over the segments: no
        transform. The spectra themselves are float32, so a margin of 1e-4 of the
        sums' absolute size (far above float32 rounding) is added.
        """
        length = self.length
        nf = self.view.shape[1]
        k = min(32, length)                       # segments per frame
        g = length // k                           # samples per segment
        s1 = sliding_window_view(self.seg1, k, axis=1)[:, ::k // 2][:, :nf]   # (3, frames, k)
        s2 = sliding_window_view(self.seg2, k, axis=1)[:, ::k // 2][:, :nf]
        m = self.mean[..., None]
        var = s2 - 2 * m * s1 + g * m**2
        var += 1e-4 * (s2 + 2 * np.abs(m * s1) + g * m**2)
        w2 = np.square(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(length) / length))
        w2max = w2.reshape(k, g).max(axis=1)
        return self.scale * (length / 2) * (np.maximum(var, 0.0) * w2max).sum(axis=(0, 2))

    def scaled(self, p: np.ndarray) -> np.ndarray:
        """PSD (float64, (m/s²)²/Hz) from :meth:`power` rows: scale, DC and Nyquist halved."""
        psd = p.astype(np.float64) * self.scale
        psd[..., 0] *= 0.5
        if self.length // 2 < self.n_keep:
            psd[..., self.length // 2] *= 0.5
        return psd

    def psd(self, sel: np.ndarray) -> np.ndarray:
        """Hann PSD (B, n_keep) of the frames *sel*, float64, summed over the axes."""
        return self.scaled(self.power(sel))

    def envelope(self, sel: np.ndarray, i0: int) -> np.ndarray:
        """``Σ_axes |z|²`` (B, L) of the analytic signal of the band from bin *i0* up.

        One-sided rectangular-window spectrum doubled in the band, zero elsewhere
        (the frame mean sits at DC, outside the band, and drops out).
        """
        spec = sp_fft.rfft(self.frames(sel, window=False), axis=-1)[..., :self.n_keep]
        spec[..., :i0] = 0.0
        spec *= 2.0
        z = sp_fft.ifft(spec, n=self.length, axis=-1)
        return (z.real**2 + z.imag**2).sum(axis=0)


def _frames(acc: np.ndarray, fs: float, vol: np.ndarray, length: int, noise_psd: float,
            band: tuple[float, float]) -> _Frames:
    """Spectra, envelopes and per-frame decisions for all frames (batched FFTs).

    Each frame is transformed at most once (its float32 power row is kept: at
    most 4 bytes per sample of the record), and only when needed: the
    :data:`_FLOOR_FRAMES` frames of the noise floor, then the frames whose total
    power (:meth:`_FrameSpectra.power_bound`, Parseval, no transform) could
    reach the vibration threshold; the others cannot be vibration frames, and
    are transformed only if no frame is one (the median SNR then runs over all
    frames) or if a source is to be named. The sensor-noise PSD used is the smaller of *noise_psd* (from the prepared
    noise RMS) and the median over the band of the mean PSD of up to
    :data:`_FLOOR_FRAMES` evenly spaced frames: a stationary vibration that
    filled the preprocessing's noise band (tones above fs/4) cannot then hide
    itself, while lines and resonances leave the median at the noise floor.
    The features that name a source (the vibration frames' mean PSD, every
    frame's peak frequency, the Hilbert envelopes of the vibration frames) are
    only computed when vibration may be present (:func:`_presence`); otherwise
    they are left at zero / NaN.
    """
    n = acc.shape[1]
    hop = length // 2
    n_frames = 1 + (n - length) // hop
    per_hop = np.add.reduceat(vol.view(np.uint8), np.arange(0, n, hop), dtype=np.int64)
    usable = (per_hop[:n_frames] + per_hop[1:n_frames + 1]) == 0     # frame = 2 hops

    df = fs / length
    f_all = np.fft.rfftfreq(length, 1.0 / fs)
    n_keep = int(np.searchsorted(f_all, band[1], side="right"))
    f = f_all[:n_keep]
    i0 = int(np.searchsorted(f, band[0], side="left"))               # first in-band bin
    n_in = n_keep - i0
    nm = int(np.searchsorted(f_all, ENV_BAND_HZ[1], side="right"))
    fm = f_all[:nm]
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(length) / length)   # periodic Hann
    mod_win = np.abs(np.fft.rfft(win)[:nm]) ** 2
    spectra = _FrameSpectra(acc, fs, length, n_keep)
    idx_use = np.flatnonzero(usable)
    power = np.empty((idx_use.size, n_keep), np.float32)     # rows of idx_use (when `have`)
    have = np.zeros(idx_use.size, bool)

    def compute(pos: np.ndarray) -> None:
        pos = pos[~have[pos]]
        for b0 in range(0, pos.size, _BATCH_FRAMES):
            part = pos[b0:b0 + _BATCH_FRAMES]
            power[part] = spectra.power(idx_use[part])
        have[pos] = True

    if idx_use.size:
        sub = np.unique(np.linspace(0, idx_use.size - 1, _FLOOR_FRAMES).astype(int))
        compute(sub)
        own = float(np.median(spectra.scaled(power[sub]).mean(axis=0)[i0:]))
        noise_psd = min(noise_psd, own) if noise_psd > 0 else own
    noise_band = noise_psd * n_in * df

    out = _Frames(f, fm, usable, np.zeros(n_frames, bool), np.zeros(n_frames),
                  np.zeros(n_frames), np.full(n_frames, np.nan), np.full(n_frames, np.nan),
                  np.zeros(n_keep), np.zeros(nm), mod_win, noise_psd)
    # A frame carries vibration when its band power (Σ PSD over the band bins) reaches
    # s_min; frames whose whole power (Parseval bound) stays below it cannot, and are not
    # transformed unless their SNR is needed after all (no vibration frame: the median
    # SNR is taken over all frames; or a source to name: every frame's peak).
    s_min = max((1.0 + MIN_SNR) * noise_psd * n_in, noise_psd * n_in + MIN_RMS_MS2**2 / df)
    if noise_psd > 0 and idx_use.size:
        compute(np.flatnonzero(spectra.power_bound()[idx_use] >= s_min * (1 - 1e-6)))
    else:
        compute(np.arange(idx_use.size))

    def decide() -> np.ndarray:
        """Per-frame band power, SNR and decision of the transformed frames."""
        pos = np.flatnonzero(have)
        p = power[pos]
        band_sum = p[:, i0:].sum(axis=1, dtype=np.float64)   # (Nyquist bin, in the band: ½)
        if i0 <= length // 2 < n_keep:
            band_sum -= 0.5 * p[:, length // 2]
        excess = (band_sum * spectra.scale - noise_psd * n_in) * df
        snr = excess / noise_band
        vib = (snr >= MIN_SNR) & (excess >= MIN_RMS_MS2**2)
        sel = idx_use[pos]
        out.snr[sel], out.excess_var[sel], out.vib[sel] = snr, np.maximum(excess, 0.0), vib
        return vib

    if not decide().any() and not have.all():
        compute(np.flatnonzero(~have))
        decide()
    out.snr[idx_use[~have]] = np.nan            # not transformed: below s_min, SNR unknown
    out.excess_var[idx_use[~have]] = np.nan
    vib = out.vib[idx_use]
    if not _presence(usable, out.vib, hop, fs)[2]:
        return out                  # no source to name: its features are not needed
    compute(np.flatnonzero(~have))
    for b0 in range(0, idx_use.size, _BATCH_FRAMES):
        psd = spectra.scaled(power[b0:b0 + _BATCH_FRAMES])
        v = vib[b0:b0 + _BATCH_FRAMES]
        if v.any():
            out.psd_sum += psd[v].sum(axis=0)
        k = i0 + np.argmax(psd[:, i0:], axis=1)
        out.peak_hz[idx_use[b0:b0 + _BATCH_FRAMES]] = _interp_peak(psd, k) * df
    # Envelope statistics from at most _ENV_FRAMES vibration frames, evenly spaced over them
    # (a long vibration is stationary enough that more frames only repeat the estimate).
    idx_vib = np.flatnonzero(out.vib)
    if idx_vib.size > _ENV_FRAMES:
        idx_vib = idx_vib[np.unique(np.linspace(0, idx_vib.size - 1, _ENV_FRAMES).astype(int))]
    win32 = win.astype(np.float32)
    for b0 in range(0, idx_vib.size, _BATCH_FRAMES):
        sel = idx_vib[b0:b0 + _BATCH_FRAMES]
        env = spectra.envelope(sel, i0)                                   # (B, L)
        mean_env = np.maximum(env.mean(axis=1, dtype=np.float64), 1e-30)
        out.peaky[sel] = np.square(env, dtype=np.float64).mean(axis=1) / mean_env**2
        rel = env / mean_env[:, None].astype(np.float32) - np.float32(1.0)
        rel *= win32
        mod = np.abs(sp_fft.rfft(rel, axis=1)[:, :nm]) ** 2
        out.mod_sum += mod.sum(axis=0, dtype=np.float64)
    return out


def _beat(fr: _Frames, fs: float, length: int) -> tuple[float, float | None]:
    """Envelope autocorrelation at the best beat lag (unbiased), and the beat rate in Hz."""
    if not fr.mod_sum.any():
        return 0.0, None
    # Autocorrelations of the band-passed (ENV_BAND_HZ) windowed envelope and of the
    # window (circular; the Hann taper makes the wrap-around negligible at beat lags).
    full = np.zeros(length // 2 + 1)
    full[: fr.mod_sum.size] = fr.mod_sum * (fr.fm >= ENV_BAND_HZ[0])
    wfull = np.zeros_like(full)
    wfull[: fr.mod_win.size] = fr.mod_win
    r = np.fft.irfft(full, length)
    rw = np.fft.irfft(wfull, length)
    lags = np.arange(length) / fs
    valid = rw > 0.2 * rw[0]
    ru = np.where(valid, r / np.where(valid, rw, 1.0), 0.0)
    ru /= ru[0] if ru[0] > 0 else 1.0
    lo, hi = 1.0 / BEAT_HZ[1], 1.0 / BEAT_HZ[0]
    cand = np.flatnonzero((lags >= lo) & (lags <= hi) & valid)
    if cand.size == 0:
        return 0.0, None
    # A local maximum of the autocorrelation inside the lag range.
    inner = cand[(cand > 0) & (cand < length - 1)]
    is_max = (ru[inner] >= ru[inner - 1]) & (ru[inner] >= ru[inner + 1])
    if not is_max.any():
        return 0.0, None
    peaks = inner[is_max]
    best = peaks[np.argmax(ru[peaks])]
    if ru[best] <= 0:
        return 0.0, None
    # Prefer the shortest lag whose correlation is within 30 % of the best: a bar
    # pattern (notes changing from beat to beat) can make two beats correlate
    # slightly better than one, which would halve the tempo.
    good = peaks[ru[peaks] >= 0.7 * ru[best]]
    lag = good[0]
    return float(ru[best]), float(fs / lag)


def _fold(f: float, fs: float) -> float:
    """Where a component at *f* Hz appears after sampling at *fs* (aliasing)."""
    r = f % fs
    return min(r, fs - r)


def _spectral_features(fr: _Frames, noise_psd: float, fs: float) -> dict:
    """Line fraction, floor shape, dominant peak and harmonics of the mean vibration PSD."""
    n_vib = int(fr.vib.sum())
    f = fr.f
    df = f[1] - f[0]
    p = fr.psd_sum / n_vib
    band = f >= BAND_HZ[0]
    half = max(2, int(round(1.5 / df)))
    floor = median_filter(p, size=2 * half + 1, mode="mirror")
    excess = np.maximum(p - noise_psd, 0.0) * band
    tot = excess.sum() * df
    line = band & (p > LINE_RATIO * floor)
    line_e = (np.maximum(p - floor, 0.0) * line).sum() * df
    fl = np.maximum(floor - noise_psd, 0.0) * band
    low = fl[f < VEHICLE_TOP_HZ].sum()
    mid = fl[f < 80.0].sum()
    shape = floor[band & (f < 40.0)]
    flatness = float(np.exp(np.mean(np.log(np.maximum(shape, 1e-30)))) / np.mean(shape))
    k = int(np.argmax(np.where(band, p, 0.0)))
    dom = float(_interp_peak(p, np.array(k)) * df)
    centroid = float((excess * f).sum() / excess.sum()) if excess.sum() > 0 else float("nan")
    harmonics = []
    for h in (2, 3, 4):
        fh = _fold(h * dom, fs)
        j = int(round(fh / df))
        if BAND_HZ[0] <= fh < f[-1] and 1 <= j < f.size - 1:
            lo, hi = max(0, j - 2), min(f.size, j + 3)
            if (p[lo:hi] > LINE_RATIO * floor[lo:hi]).any():
                harmonics.append(round(float(fh), 3))
    return dict(line_fraction=float(line_e / tot) if tot > 0 else 0.0,
                low_share=float(low / mid) if mid > 0 else 0.0, flatness=flatness,
                dominant_hz=dom, centroid_hz=centroid, harmonics=harmonics,
                excess_rms=math.sqrt(tot), prominence=float(p[k] / max(floor[k], 1e-30)))


def _line_tracking(fr: _Frames, dom: float) -> tuple[float, bool]:
    """Fraction of vibration frames whose peak sits on *dom* (±0.5 Hz), and run-up.

    A run-up is a stretch of at least three analysed frames before the first one
    on *dom* whose peak frequencies rise (rank correlation with time ≥ 0.8) from
    at least 1 Hz below *dom* (the run-up's first frames may be too weak to
    count as vibration frames themselves).
    """
    pk = fr.peak_hz[fr.vib]
    if pk.size == 0:
        return 0.0, False
    frac = float((np.abs(pk - dom) <= 0.5).mean())
    seq = fr.peak_hz[fr.usable]
    on = np.abs(seq - dom) <= 0.5
    before = seq[: int(np.argmax(on))] if on.any() else seq[:0]
    run_up = False
    if before.size >= 3:
        rank_f = np.argsort(np.argsort(before))
        rho = np.corrcoef(np.arange(before.size), rank_f)[0, 1]
        run_up = bool(rho >= 0.8 and before[0] < dom - 1.0)
    return frac, run_up


def _classify(feat: dict, beat_r: float, peaky: float, on_frac: float,
              run_up: bool) -> tuple[str | None, float]:
    """Source class and a confidence in it, or (None, c) for a body-signal look-alike.

    Order: appliance (a steady line spectrum under a flat envelope), then music
    (beat-periodic bursts; weak low-frequency ones are a heartbeat instead),
    then weak impulsive energy (a train of body transients: twitches or nerve
    bursts, not vibration), then vehicle (resonant broadband below 20 Hz, not impulsive), then an
    appliance again when a prominent, stable line with integer harmonics stands
    on a broadband floor that is not a vehicle's (a real spin cycle shakes the
    cabinet broadband too), else other.
    """
    if (feat["line_fraction"] >= LINE_FRACTION_MIN and peaky < STEADY_PEAKY_MAX
            and (on_frac >= 0.5 or run_up)):
        margin = min((feat["line_fraction"] - LINE_FRACTION_MIN) / (1 - LINE_FRACTION_MIN),
                     (STEADY_PEAKY_MAX - peaky) / (STEADY_PEAKY_MAX - 1.0))
        return "appliance", 0.5 + 0.3 * min(1.0, 2 * margin) + 0.2 * min(
            1.0, len(feat["harmonics"]) / 2)
    if beat_r >= BEAT_R_MIN:
        margin = min(1.0, (beat_r - BEAT_R_MIN) / 0.3)
        if (feat["excess_rms"] < PULSE_MAX_RMS_MS2
                and feat["centroid_hz"] < PULSE_MAX_CENTROID_HZ):
            return None, 0.5 + 0.5 * margin
        return "music", 0.5 + 0.5 * margin
    if peaky >= IMPULSIVE_PEAKY_MIN and feat["excess_rms"] < TRANSIENT_MAX_RMS_MS2:
        margin = min((peaky - IMPULSIVE_PEAKY_MIN) / IMPULSIVE_PEAKY_MIN,
                     (TRANSIENT_MAX_RMS_MS2 - feat["excess_rms"]) / TRANSIENT_MAX_RMS_MS2)
        return None, 0.5 + 0.5 * min(1.0, 2 * margin)
    m_low = (feat["low_share"] - LOW_SHARE_MIN) / (1 - LOW_SHARE_MIN)
    m_flat = (FLATNESS_MAX - feat["flatness"]) / FLATNESS_MAX
    m_peak = (PEAKY_MAX - peaky) / PEAKY_MAX
    margin = min(m_low, m_flat, m_peak)
    if margin > 0:
        return "vehicle", 0.5 + 0.5 * min(1.0, 3 * margin)
    if feat["prominence"] >= LINE_PROMINENCE_MIN and feat["harmonics"] and on_frac >= 0.5:
        return "appliance", 0.5 + 0.5 * min(1.0, on_frac - 0.5 + len(feat["harmonics"]) / 4)
    return "other", 0.5 + 0.5 * min(1.0, -3 * margin)


def _source(fr: _Frames, fs: float, length: int
            ) -> tuple[str | None, float, dict, float | None, bool]:
    """Source of the vibration frames of *fr* (:func:`_classify`), its confidence, the
    spectral features, the beat frequency (Hz) and whether a line runs up."""
    feat = _spectral_features(fr, fr.noise_psd, fs)
    beat_r, beat_hz = _beat(fr, fs, length)
    peaky = float(np.nanmedian(fr.peaky[fr.vib]))
    on_frac, run_up = _line_tracking(fr, feat["dominant_hz"])
    source, q_src = _classify(feat, beat_r, peaky, on_frac, run_up)
    return source, q_src, feat, beat_hz, run_up


#: Vibration frames per block when a record classified as music is checked block by block.
_BODY_BLOCK_FRAMES = 4


def _body_blocks(acc: np.ndarray, fs: float, vol: np.ndarray, length: int, fr: _Frames,
                 band: tuple[float, float]) -> np.ndarray:
    """Samples of the vibration frames that, block by block, are a heartbeat or body transients.

    The source is named from all vibration frames together. A strong heartbeat (the
    minutes after exercise) is beat-periodic: with a car ride in the same record, the
    pooled frames looked like music, and the pulse detector then refused the heart
    rate as the music's tempo (the ``glutesense demo`` recording, seeds 1–8). So a
    record found to be music is checked in blocks of :data:`_BODY_BLOCK_FRAMES`
    vibration frames (about 25 s at 100 Hz), each classified alone (episodes run into
    each other, so blocks, not episodes); the samples of the blocks that look like a
    ballistocardiogram or a train of body transients (:func:`_classify` gives None) are
    returned, to be left out as voluntary movement is. A block too short to frame
    (fewer than 3 frames) joins the one before it. Costs one more framing of the
    vibration frames, and of the record when a block is left out.
    """
    n = acc.shape[1]
    hop = length // 2
    body = np.zeros(n, dtype=bool)
    k = _BODY_BLOCK_FRAMES
    for a, b in _runs(fr.vib):
        cuts = list(range(a, b, k)) + [b]
        if len(cuts) > 2 and cuts[-1] - cuts[-2] < 3:
            del cuts[-2]                              # a short tail joins the last block
        for c0, c1 in zip(cuts[:-1], cuts[1:]):
            lo, hi = c0 * hop, min((c1 - 1) * hop + length, n)
            if hi - lo < 2 * length:
                continue
            sub = _frames(acc[:, lo:hi], fs, vol[lo:hi], length, fr.noise_psd, band)
            if np.count_nonzero(sub.vib) >= 2 and _source(sub, fs, length)[0] is None:
                body[lo:hi] = True
    return body


@dataclasses.dataclass
class _Iso:
    """Accumulated ISO 2631-1 sums over the non-voluntary samples."""

    sq: np.ndarray           # Σ a_w² per axis
    z4: float                # Σ a_wz⁴
    zmax: float              # max |a_wz|
    mtvv: float              # max running r.m.s. (τ = 1 s) of a_wz
    n: int                   # non-voluntary samples
    cell_sq: np.ndarray      # (3, n_cells) Σ a_w² per cell
    cell_acc: np.ndarray     # (n_cells,) Σ acc² (3 axes) per cell
    cell_n: np.ndarray       # (n_cells,) non-voluntary samples per cell


@lru_cache(maxsize=64)
def _fast_len(n: int) -> int:
    """Smallest 2^a·3^b ≥ *n*: pocketfft's fastest real-FFT lengths (the rule of
    :func:`glutesense.dsp.iso2631.weight`, so a short record gets the same transform)."""
    n = int(n)
    best, p3 = 1 << max(0, (n - 1).bit_length()), 1
    while p3 < n:
        best = min(best, p3 << ((n + p3 - 1) // p3 - 1).bit_length())
        p3 *= 3
    return min(best, p3)


@lru_cache(maxsize=16)
def _weighting_spectra(fs: float, nfft: int) -> np.ndarray:
    """(3, 1, nfft//2 + 1) complex64: the *nfft*-point real FFT of the Wd (rows 0, 1) and Wk
    (row 2) FIRs of :func:`glutesense.dsp.iso2631.weighting_fir`, cached."""
    wd = sp_fft.rfft(iso2631.weighting_fir("Wd", fs), nfft)
    wk = sp_fft.rfft(iso2631.weighting_fir("Wk", fs), nfft)
    h = np.stack([wd, wd, wk])[:, None, :].astype(np.complex64)
    h.setflags(write=False)
    return h


def _ols_plan(n: int, m: int) -> tuple[int, int, int]:
    """FFT length, block step and block count to weight *n* samples with an *m*-tap FIR.

    One block when it is no longer than 4m; else overlap-save blocks of the power
    of two ≥ 4m (a quarter of each block is history). All blocks of an axis are
    transformed in one call, which pocketfft vectorises across rows: eight
    cache-sized transforms cost about half one long transform of the same samples.
    """
    nfft = min(_fast_len(n + m - 1), 1 << (4 * m - 1).bit_length())
    step = nfft - m + 1
    return nfft, step, -(-n // step)


def _weighted(x: np.ndarray, fs: float, m: int, n: int, row: int) -> np.ndarray:
    """a_w (nb, step) float32 of one axis *x*: Wd for rows 0, 1 (h1, h2), Wk for row 2 (v);
    sample *j* of block *i* is output ``i·step + j`` (outputs from *n* on are the ring-out
    of the zero padding).

    *x* (float32) holds m − 1 samples of filter history and then the *n* samples,
    zero-padded to ``nb·step + m − 1`` (:func:`_ols_plan`). Overlap-save FFT
    convolution: block *i* starts at ``i·step`` and its last *step*
    circular-convolution outputs are exact.
    """
    nfft, step, nb = _ols_plan(n, m)
    spec = sp_fft.rfft(sliding_window_view(x, nfft)[::step][:nb], axis=-1)
    spec *= _weighting_spectra(fs, nfft)[row]
    return sp_fft.irfft(spec, nfft, axis=-1)[:, m - 1:]


def _weighted_row(x: np.ndarray, src: np.ndarray, held: tuple, fs: float, m: int, n: int,
                  row: int) -> np.ndarray:
    """:func:`_weighted` of one axis *src* (the samples in *x*'s slot ``held[0]``, the rest of
    *x* being zero history/padding), with the voluntary samples ``held[1]`` (runs ``held[2]``)
    set to zero before weighting and the outputs at ``held[3]`` (chunk indices) and after
    *n* set to zero."""
    slot, vol, spans, vi = held
    slot[:] = src
    if len(spans) > 64:
        slot[vol] = 0.0
    else:
        for r0, r1 in spans:
            slot[r0:r1] = 0.0
    w = _weighted(x, fs, m, n, row)                       # (nb, step), sample i·step + j
    step, nb = w.shape[1], w.shape[0]
    w[vi // step, vi % step] = 0.0                        # voluntary samples do not count
    w[nb - 1, n - (nb - 1) * step:] = 0.0                 # nor the padding's ring-out
    return w


def _iso(acc: np.ndarray, fs: float, vol: np.ndarray, hop: int, cells: bool = True) -> _Iso:
    """Weighted signals in chunks (with filter history) and their sums over non-voluntary samples.

    Each chunk is filtered together with the preceding filter-length of samples,
    so the result equals one pass over the whole record (float32 FFT
    convolution: relative rounding ~1e-7 of the chunk's r.m.s.), with the FIRs of
    :func:`glutesense.dsp.iso2631.weighting_fir` (the convolution of
    :func:`glutesense.dsp.iso2631.weight`, here by overlap-save, see
    :func:`_weighted`). Sums of squares are accumulated in float64 from the
    float32 squares. The peak (crest factor) and MTVV skip the first
    :data:`SETTLE_S` seconds, where the causal filters still ring on the
    switched-on record, unless the record is shorter. The per-cell sums (*cells*;
    cells of *hop* samples) are only needed for the episodes and the energy of
    present vibration.
    """
    n = acc.shape[1]
    m = max(iso2631.weighting_fir("Wd", fs).size, iso2631.weighting_fir("Wk", fs).size)
    tau = max(1, int(round(fs)))
    q = max(1, tau // 10)                   # block length of the MTVV search
    settle = int(SETTLE_S * fs) if n > 2 * SETTLE_S * fs else 0
    chunk = max(hop, (max(_ISO_CHUNK, 4 * m) // hop) * hop)
    n_cells = -(-n // hop) if cells else 0
    out = _Iso(np.zeros(3), 0.0, 0.0, 0.0, n - int(np.count_nonzero(vol)), np.zeros((3, n_cells)),
               np.zeros(n_cells), np.zeros(n_cells))
    prev = np.zeros(0, np.float32)          # a_wz² of the previous chunk's last τ samples
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        c = e - s
        h0 = s - (m - 1)                    # first history sample (zeros before the record)
        a = max(0, h0)
        _, step, nb = _ols_plan(c, m)
        any_vol = bool(vol[a:e].any())
        vi = np.flatnonzero(vol[s:e]) if any_vol else np.zeros(0, int)
        spans = _runs(vol[a:e]) if any_vol else []
        x = np.empty(nb * step + m - 1, np.float32)      # one axis, reused (small temporaries:
        x[:a - h0] = 0.0                                  # the axes are transformed in turn)
        x[e - h0:] = 0.0
        held = (x[a - h0:e - h0], vol[a:e], spans, vi)

        # ---- vertical: a_wz² (float32) after the previous chunk's last τ, zero-padded
        p = prev.size
        z2buf = np.empty(-(-(p + nb * step) // q) * q, np.float32)
        z2buf[:p] = prev
        np.square(_weighted_row(x, acc[2, a:e], held, fs, m, c, 2), out=z2buf[p:p + nb * step].reshape(nb, step))
        z2buf[p + nb * step:] = 0.0
        z2 = z2buf[p:p + c]
        sum_z2 = float(np.add.reduce(z2, dtype=np.float64))
        out.z4 += float(np.einsum("i,i->", z2, z2, dtype=np.float64))   # (no BLAS)
        off = max(0, settle - s)                # first settled sample of the chunk
        if off < c:
            top = _window_max(z2buf, p + off, p + c, p + vi[vi >= off], tau, q)
            if top > -np.inf:                   # |a_wz| = √(a_wz²) (float32 rounding)
                out.zmax = max(out.zmax, math.sqrt(float(z2[off:].max())))
                out.mtvv = max(out.mtvv, math.sqrt(max(top, 0.0)))
        prev = z2[-tau:].copy()
        # ---- horizontal
        if cells:
            bounds = np.arange(0, c, hop)
            cell = np.arange(s // hop, s // hop + bounds.size)
            for row in (0, 1):
                w2 = np.square(_weighted_row(x, acc[row, a:e], held, fs, m, c, row))
                w2 = w2.reshape(-1)[:c]
                out.cell_sq[row, cell] = np.add.reduceat(w2, bounds, dtype=np.float64)
            out.cell_sq[2, cell] = np.add.reduceat(z2, bounds, dtype=np.float64)
            out.sq += out.cell_sq[:, cell].sum(axis=1)
            a2 = np.einsum("ij,ij->j", acc[:, s:e], acc[:, s:e])
            keep = ~vol[s:e]
            if any_vol:
                a2[~keep] = 0.0
                out.cell_n[cell] = np.add.reduceat(keep.astype(float), bounds)
            else:
                out.cell_n[cell] = np.diff(np.r_[bounds, c])
            out.cell_acc[cell] = np.add.reduceat(a2, bounds)
        else:
            for row in (0, 1):
                w = _weighted_row(x, acc[row, a:e], held, fs, m, c, row)
                out.sq[row] += float(np.einsum("ij,ij->", w, w, dtype=np.float64))
            out.sq[2] += sum_z2
    return out


def _window_max(x: np.ndarray, lo: int, hi: int, skip: np.ndarray, tau: int, q: int) -> float:
    """Largest mean of *x* (≥ 0) over the *tau* samples ending at a sample of ``[lo, hi)``
    not in *skip* (sorted indices), or −inf if there is none.

    ``x.size`` is a multiple of *q*. Windows whose start would precede the array
    (the first τ − 1 samples) average the samples available, as
    :func:`_running_mean`. Exact search by bounds: every window ending in block
    *K* (of *q* samples) lies within the blocks ``K − D + 1 … K``
    (D = ⌊(τ − 1)/q⌋ + 2), so their sum bounds it; only the blocks whose bound
    reaches the best window found so far are evaluated sample by sample. With
    stationary a_wz² that is a few blocks; when it is most of them, the running
    mean is computed everywhere instead.
    """
    elig = np.zeros(x.size, bool)
    elig[lo:hi] = True
    elig[skip] = False
    if hi - lo <= skip.size:
        return -np.inf
    if lo < tau - 1:                                     # windows shorter than τ
        return float(_running_mean(x.astype(np.float64), tau)[elig].max())
    nblk = x.size // q
    blk = np.einsum("kq->k", x.reshape(nblk, q)).astype(np.float64)   # (float32: ≤ 1e-6)
    csum = np.concatenate([[0.0], np.cumsum(blk)])
    d = (tau - 1) // q + 2
    k = np.arange(nblk)
    bound = csum[k + 1] - csum[np.maximum(k + 1 - d, 0)]
    n_elig = np.clip(np.minimum(hi, (k + 1) * q) - np.maximum(lo, k * q), 0, None)
    n_elig -= np.bincount(skip // q, minlength=nblk)
    bound[n_elig <= 0] = -np.inf

    def best_in(blocks: np.ndarray) -> float:
        idx = blocks[:, None] * q - (tau - 1) + np.arange(q + tau - 1)
        g = x[np.maximum(idx, 0)].astype(np.float64)           # (negative: ends < τ − 1,
        cs = np.cumsum(g, axis=1)                                # not eligible)
        win = cs[:, tau - 1:].copy()
        win[:, 1:] -= cs[:, :q - 1]
        ok = elig[blocks[:, None] * q + np.arange(q)]
        return float(np.max(win, where=ok, initial=-np.inf)) / tau

    top = best_in(np.array([int(np.argmax(bound))]))
    cand = np.flatnonzero(bound * (1.0 - 1e-5) >= top * tau)
    if cand.size * (q + tau) > x.size:
        return float(_running_mean(x.astype(np.float64), tau)[elig].max())
    return max(top, best_in(cand))


def _running_mean(x: np.ndarray, tau: int) -> np.ndarray:
    """Mean of the last *tau* samples at every sample (of the samples so far, at the start).

    A running sum (scipy's uniform filter, no large cumulative sums to cancel)
    over the window ending at each sample, as ISO 2631-1 eq. 2 integrates.
    """
    tot = uniform_filter1d(x, tau, mode="constant", origin=(tau - 1) // 2) * tau
    head = min(tau - 1, x.size)
    tot[:head] /= np.arange(1, head + 1)
    tot[head:] /= tau
    return tot


def _presence(usable: np.ndarray, vib: np.ndarray, hop: int, fs: float
              ) -> tuple[float, float, bool]:
    """Coverage (vibration frames / analysed frames), the longest vibration episode in s,
    and whether vibration may be present (≥ 2 frames covering half the analysed time or
    forming an episode of :data:`MIN_EPISODE_S`), in which case its source is decided."""
    n_use, n_vib = int(np.count_nonzero(usable)), int(np.count_nonzero(vib))
    coverage = n_vib / n_use if n_use else 0.0
    longest_s = max(((b - a + 1) * hop / fs for a, b in _runs(vib)), default=0.0)
    return coverage, longest_s, n_vib >= 2 and (coverage >= 0.5 or longest_s >= MIN_EPISODE_S)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Start/stop index pairs of the True runs of *mask*."""
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def _iso_summary(iso: _Iso, fs: float) -> dict:
    """The report's iso2631 block plus MTVV, A(8) and the health-guidance zone."""
    if iso.n == 0:
        keys = ("aw_x_ms2", "aw_y_ms2", "aw_z_ms2", "av_ms2", "vdv_z_ms175", "crest_factor_z",
                "mtvv_z_ms2", "a8_ms2", "health_zone", "exposure_s")
        return dict.fromkeys(keys)
    aw = np.sqrt(iso.sq / iso.n)
    exposure = iso.n / fs
    k_aw = float(np.max(np.asarray(iso2631.SEATED_HEALTH_K) * aw))
    hg = iso2631.health_guidance(k_aw, exposure)
    return {
        "aw_x_ms2": float(aw[0]), "aw_y_ms2": float(aw[1]), "aw_z_ms2": float(aw[2]),
        "av_ms2": iso2631.vector_sum(*map(float, aw)),
        "vdv_z_ms175": float((iso.z4 / fs) ** 0.25),
        "crest_factor_z": float(iso.zmax / aw[2]) if aw[2] > 0 else None,
        "mtvv_z_ms2": iso.mtvv,
        "a8_ms2": float(hg.a8_ms2),
        "health_zone": hg.zone,
        "exposure_s": float(exposure),
    }


def _warnings(source: str | None, dominant: float | None, fs: float) -> list[str]:
    """Sampling-rate limits: ISO band truncated, source band aliased, peak near Nyquist."""
    nyq = fs / 2
    out = []
    if nyq < 80.0:
        out.append(f"fs/2 = {nyq:g} Hz: ISO 2631-1's 0.5–80 Hz range is truncated, so the "
                   "weighted values miss any vibration above it")
    if source == "music" and nyq < MUSIC_BASS_HZ[1]:
        lo, hi = MUSIC_BASS_HZ
        out.append(f"aliasing: music bass ({lo:g}–{hi:g} Hz) reaches above fs/2 = {nyq:g} Hz "
                   f"and folds back to lower frequencies; sample at ≥ {2 * hi:g} Hz to see it "
                   "unfolded")
    if source == "appliance" and nyq < DRUM_HZ[1] * DRUM_HARMONICS:
        lo, hi = DRUM_HZ
        part = (f"the drum itself ({lo:g}–{hi:g} Hz) may lie above fs/2 = {nyq:g} Hz"
                if nyq < hi else f"its harmonics (up to {DRUM_HARMONICS * hi:g} Hz) exceed "
                f"fs/2 = {nyq:g} Hz")
        out.append(f"aliasing: appliance vibration folds back: {part}; sample at "
                   f"≥ {2 * DRUM_HARMONICS * hi:g} Hz to see it unfolded")
    if dominant is not None and dominant > 0.9 * nyq:
        out.append(f"the dominant frequency {dominant:.2f} Hz lies close to fs/2 = {nyq:g} Hz "
                   "and may be an alias of a higher one")
    return out


def detect(prepared: Prepared) -> Finding:
    """Find environmental vibration, name its source and evaluate it per ISO 2631-1.

    Parameters
    ----------
    prepared : Prepared
        Gravity-free body-frame acceleration (rows h1, h2, vertical), voluntary
        mask, sensor-noise RMS and sampling rate.

    Returns
    -------
    Finding
        ``mechanism="vibration"``; ``confidence`` is the confidence in the
        stated ``present`` value; ``energy`` the excess band energy of the
        vibration frames, Σ acc² over their non-voluntary samples, (m/s²)²;
        ``summary`` holds ``source`` (vehicle|appliance|music|other or None),
        ``dominant_hz``, ``iso2631`` (``aw_x_ms2, aw_y_ms2, aw_z_ms2, av_ms2,
        vdv_z_ms175, crest_factor_z`` and ``mtvv_z_ms2, a8_ms2, health_zone,
        exposure_s``), ``coverage`` (fraction of analysed time with vibration),
        ``beat_bpm`` (music), ``harmonics_hz`` (appliance: integer harmonics of
        ``dominant_hz`` found, at the frequency where they appear, i.e. folded at
        Nyquist when aliased), ``run_up`` and ``snr_db`` (median band SNR). ``events``
        are the vibration episodes (value = their vibration total value a_v, m/s²).

    Notes
    -----
    See the module docstring for the method and its references.
    """
    acc = np.asarray(prepared.acc, dtype=float)
    fs = float(prepared.fs)
    n = acc.shape[1]
    vol = np.asarray(prepared.voluntary, dtype=bool)
    warnings: list[str] = []
    noise = float(prepared.noise_rms) if np.isfinite(prepared.noise_rms) else 0.0
    noise_psd = 3.0 * noise**2 / (fs / 2)
    length = _frame_length(n, fs)
    band = (BAND_HZ[0], min(BAND_HZ[1], fs / 2))
    empty = {"source": None, "dominant_hz": None, "coverage": 0.0, "beat_bpm": None,
             "harmonics_hz": [], "run_up": False, "snr_db": None}
    if n < 2 * length or band[1] <= band[0] * 2:
        warnings.append(f"recording too short ({n / fs:.1f} s) or fs too low ({fs:g} Hz) "
                        "for the vibration analysis")
        summary = {**empty, "iso2631": _iso_summary(_iso(acc, fs, vol, max(1, n), cells=False), fs)}
        return Finding("vibration", False, 0.0, 0.0, summary, Annotations(), tuple(warnings))

    hop = length // 2

    def decide(excluded: np.ndarray):
        """Frames of the samples not *excluded*, whether they hold vibration, its source."""
        fr = _frames(acc, fs, excluded, length, noise_psd, band)
        coverage, longest_s, candidate = _presence(fr.usable, fr.vib, hop, fs)
        src = _source(fr, fs, length) if candidate else (None, 0.0, None, None, False)
        return (fr, coverage, longest_s, candidate, *src)

    fr, coverage, longest_s, candidate, source, q_src, feat, beat_hz, run_up = decide(vol)
    if source == "music":
        body = _body_blocks(acc, fs, vol, length, fr, band)
        if body.any():       # a heartbeat, not music, in part of the record: decide without it
            fr, coverage, longest_s, candidate, source, q_src, feat, beat_hz, run_up = decide(
                vol | body)
    n_use = int(fr.usable.sum())
    n_vib = int(fr.vib.sum())
    snr_med = float(np.median(fr.snr[fr.vib])) if n_vib else (
        float(np.median(fr.snr[fr.usable])) if n_use else 0.0)
    snr_db = 10 * math.log10(snr_med) if snr_med > 0 else None
    beat_bpm = 60.0 * beat_hz if (source == "music" and beat_hz is not None) else None
    present = candidate and source is not None
    acc_iso = getattr(prepared, "acc_iso", None)
    acc_iso = acc if acc_iso is None else np.asarray(acc_iso, dtype=float)
    iso = _iso(acc_iso, fs, vol, hop, cells=present)
    iso_summary = _iso_summary(iso, fs)
    # Confidence in the presence decision: how far the band SNR and the coverage sit
    # from their thresholds (logistic in dB and in coverage).
    p_snr = 1.0 / (1.0 + math.exp(-(10 * math.log10(max(snr_med, 1e-6) / MIN_SNR)) / 2.0))
    p_cov = 1.0 / (1.0 + math.exp(-(coverage - 0.5) / 0.1))
    p_vib = p_snr * max(p_cov, 1.0 if longest_s >= MIN_EPISODE_S else 0.0)
    if present:
        confidence = p_vib * (0.6 + 0.4 * q_src)
    elif candidate:
        confidence = q_src
    else:
        confidence = 1.0 - p_vib

    energy = 0.0
    events = Annotations()
    if present:
        n_cells = iso.cell_n.size
        cell_vib = np.zeros(n_cells, bool)
        cell_exc = np.zeros(n_cells)
        cell_cnt = np.zeros(n_cells)
        for off in (0, 1):   # frame i covers cells i and i + 1
            idx = np.flatnonzero(fr.vib) + off
            idx = idx[idx < n_cells]
            cell_vib[idx] = True
            np.add.at(cell_exc, idx, fr.excess_var[idx - off])
            np.add.at(cell_cnt, idx, 1.0)
        cell_exc = np.where(cell_cnt > 0, cell_exc / np.maximum(cell_cnt, 1), 0.0)
        energy = float(np.minimum(cell_exc * iso.cell_n, iso.cell_acc)[cell_vib].sum())
        onsets, durs, vals = [], [], []
        for a, b in _runs(cell_vib):
            cnt = iso.cell_n[a:b].sum()
            if cnt == 0:
                continue
            aw_ep = np.sqrt(iso.cell_sq[:, a:b].sum(axis=1) / cnt)
            onsets.append(prepared.t0 + a * hop / fs)
            durs.append((min(b * hop, n) - a * hop) / fs)
            vals.append(iso2631.vector_sum(*map(float, aw_ep)))
        events = Annotations(onsets, durs, ["vibration"] * len(onsets),
                             ["vibration"] * len(onsets), ["detector:vibration"] * len(onsets),
                             vals)
        warnings += _warnings(source, feat["dominant_hz"], fs)
    elif fs / 2 < 80.0:
        warnings += _warnings(None, None, fs)

    summary = {
        "source": source if present else None,
        "dominant_hz": round(feat["dominant_hz"], 3) if present else None,
        "iso2631": iso_summary,
        "coverage": float(coverage),
        "beat_bpm": round(beat_bpm, 1) if (present and beat_bpm) else None,
        "harmonics_hz": feat["harmonics"] if (present and source == "appliance") else [],
        "run_up": bool(run_up) if (present and source == "appliance") else False,
        "snr_db": round(snr_db, 2) if snr_db is not None else None,
    }
    return Finding("vibration", bool(present), float(min(1.0, max(0.0, confidence))),
                   energy, summary, events, tuple(warnings))
