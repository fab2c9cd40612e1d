"""Simulation speed: real-time factor of 1 h of all-mechanisms simulation vs NeuroKit2 emg_simulate.

Reuses ``benchmarks/simulate.py`` (the simulator engineer's script): its
``run_glutesense`` simulates the ``all-mechanisms`` scenario (100 Hz
accelerometer + 2 kHz surface EMG, all five mechanisms, with truth) and its
``run_neurokit`` runs NeuroKit2's ``emg_simulate`` for the same duration at the
same EMG rate. The two are timed interleaved (median of the repeats); the
real-time factor is simulated seconds per wall-clock second. Target: ≥ 1,500×.

Run: ``.venv/bin/python benchmarks/simulation.py [--quick] [--profile]``
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402
import simulate  # noqa: E402  (benchmarks/simulate.py: reused, not edited)

DURATION_S = 3600.0
SEED = 112


def run(quick: bool = False, profile: bool = False) -> list[dict]:
    repeat = 2 if quick else 3
    d = DURATION_S
    c.log(f"simulation: {d:g} s all-mechanisms vs neurokit2 emg_simulate, {repeat} repeats")
    ours = lambda: simulate.run_glutesense(d, SEED)  # noqa: E731
    simulate.run_glutesense(60.0, SEED)  # warm-up: imports, filter design
    try:
        import neurokit2  # noqa: F401
    except ImportError as exc:
        t, times = c.median_time(ours, repeat)
        rtf = d / t
        return [c.row("simulation 1 h (acc 100 Hz + EMG 2 kHz)", f"{rtf:.0f}× RT ({c.fmt_s(t)})",
                      f"skipped ({exc})", "—", "≥ 1500× RT", c.verdict(rtf >= simulate.TARGET_RTF),
                      ours_s=t, ours_all_s=times, rtf=rtf)]
    res = c.compare(ours, lambda: simulate.run_neurokit(d, SEED), repeat=repeat, warmup=0)
    rtf, rtf_nk = d / res["ours_s"], d / res["ref_s"]
    rows = [c.row("simulation 1 h (acc 100 Hz + EMG 2 kHz) vs NeuroKit2 emg_simulate (EMG only)",
                  f"{rtf:.0f}× RT ({c.fmt_s(res['ours_s'])})",
                  f"{rtf_nk:.0f}× RT ({c.fmt_s(res['ref_s'])})",
                  c.fmt_x(res["ratio"]), "≥ 1500× RT",
                  c.verdict(rtf >= simulate.TARGET_RTF), rtf=rtf, rtf_neurokit=rtf_nk,
                  present=simulate.run_glutesense(60.0, SEED), **res)]
    if profile:
        print(c.profile_top(ours), file=sys.stderr)
    return rows


if __name__ == "__main__":
    raise SystemExit(c.main_for(run, __doc__))
