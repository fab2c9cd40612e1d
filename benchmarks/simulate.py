"""Real-time factor of the simulator, side by side with NeuroKit2's ``emg_simulate``.

Simulates the ``all-mechanisms`` scenario (twitch, postural, pulse, nerve and
vibration all on, a voluntary bout, a hip-worn accelerometer at 100 Hz and a
surface-EMG electrode at 2 kHz) for ``--duration`` seconds (default 1 h), and
NeuroKit2's ``emg_simulate`` for the same duration at the same EMG rate, in the
same run. The real-time factor is simulated seconds per wall-clock second
(best of ``--repeat`` runs). A per-stage breakdown (cProfile, one extra run)
shows where the time goes.

NeuroKit2 is an optional peer (``pip install neurokit2``, declared in the
``bench`` extra); when it is missing the peer is skipped with the reason.
Note what is compared: ``emg_simulate`` draws EMG bursts of uniform noise only
(no accelerometer, no motor units, no ground truth); glutesense simulates both
streams from five mechanisms with truth.

Run: ``.venv/bin/python benchmarks/simulate.py [--duration 3600] [--repeat 2] [--profile]``
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time

TARGET_RTF = 1500.0


def _best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run_glutesense(duration_s: float, seed: int) -> list[str]:
    """One simulation of the all-mechanisms scenario (100 Hz acc + 2 kHz EMG); mechanisms present."""
    from glutesense.scenarios import simulate

    sim = simulate("all-mechanisms", duration_s=duration_s, fs=100.0, emg_fs=2000.0, seed=seed)
    return [k for k, v in sim.truth["mechanisms"].items() if v.get("present")]


def run_neurokit(duration_s: float, seed: int) -> None:
    """NeuroKit2's EMG simulator for the same duration and EMG rate."""
    import neurokit2 as nk

    nk.emg_simulate(duration=int(duration_s), sampling_rate=2000, burst_number=int(duration_s // 10),
                    random_state=seed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=3600.0, help="simulated seconds (default 3600)")
    ap.add_argument("--repeat", type=int, default=2, help="runs per tool; the best is reported")
    ap.add_argument("--seed", type=int, default=112)
    ap.add_argument("--profile", action="store_true", help="print the top functions of one glutesense run")
    args = ap.parse_args(argv)
    d = args.duration
    print(f"simulated duration: {d:g} s; accelerometer 100 Hz ({int(d * 100)} samples x 3), "
          f"EMG 2000 Hz ({int(d * 2000)} samples)")
    run_glutesense(min(d, 60.0), args.seed)                 # warm-up: imports, filter design
    t_gs = _best_of(lambda: run_glutesense(d, args.seed), args.repeat)
    present = run_glutesense(d, args.seed)
    if len(present) != 5:
        sys.stderr.write(f"warning: only {present} present in this run\n")
    rtf = d / t_gs
    verdict = "meets" if rtf >= TARGET_RTF else "below"
    print(f"glutesense all-mechanisms : {t_gs:8.2f} s wall  -> {rtf:8.0f}x real time "
          f"({verdict} the {TARGET_RTF:.0f}x target)")
    try:
        import neurokit2  # noqa: F401
    except ImportError as exc:
        print(f"neurokit2 emg_simulate    : skipped ({exc}; install the 'bench' extra)")
    else:
        run_neurokit(10.0, args.seed)
        t_nk = _best_of(lambda: run_neurokit(d, args.seed), args.repeat)
        print(f"neurokit2 emg_simulate    : {t_nk:8.2f} s wall  -> {d / t_nk:8.0f}x real time "
              "(EMG only, uniform-noise bursts)")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        run_glutesense(d, args.seed)
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(15)
        print(buf.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
