"""The demo behind ``glutesense demo`` and ``make run``.

A realistic two-minute recording: a phone in the back pocket just after a workout
(one minute seated at rest with post-exercise heart rate and twitches), then the same
person in a car (one minute of seat vibration). It is simulated, analysed as if it were
a real file, triaged with example answers, and reported.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

__all__ = ["EXAMPLE_ANSWERS", "demo_recording", "run_demo"]

#: The example person: trained yesterday, drinks some coffee, sits a lot, no red flags.
EXAMPLE_ANSWERS: dict[str, Any] = {
    "age_years": 34, "duration_days": 2, "frequency": "daily", "spreading": False,
    "pain": "none", "numbness": False, "saddle_numbness": False, "bladder_bowel_change": False,
    "weakness": False, "recent_exercise": True, "caffeine_mg_per_day": 250, "stress": "moderate",
    "sleep_hours": 6.5, "sitting_hours_per_day": 7,
}


def demo_recording(seed: int = 7, fs: float = 100.0):
    """Simulate the demo recording: 60 s after a workout, then 60 s in a car."""
    from .recording import concatenate
    from .scenarios import simulate

    part1 = simulate("after-workout", duration_s=60.0, fs=fs, seed=seed).recording
    part2 = simulate("car-ride", duration_s=60.0, fs=fs, seed=seed + 1).recording
    part2 = part2.replace(t0=0.0, start=None)
    rec = concatenate([part1.replace(start=None), part2])
    return rec.with_meta(format="simulated", app="glutesense demo",
                         path="demo: after a workout, then in a car (simulated)")


def run_demo(out_dir: str | Path = ".", *, seed: int = 7) -> dict[str, Any]:
    """Simulate, analyse, triage and write ``report.html`` and ``report.pdf`` in *out_dir*.

    Returns the report dict with an extra ``"outputs"`` entry (paths and seconds taken).
    """
    from .reporting import body_vertical, write_html, write_pdf
    from .reporting.build import build_report

    t0 = time.perf_counter()
    rec = demo_recording(seed)
    # The analyser must not see the simulator's truth: hand it the samples only.
    blind = rec.replace(annotations=type(rec.annotations)())
    report = build_report(blind, EXAMPLE_ANSWERS)
    out = Path(out_dir)
    vertical = body_vertical(blind)  # once, for both reports
    html = write_html(report, out / "report.html", blind, vertical=vertical)
    pdf = write_pdf(report, out / "report.pdf", blind, vertical=vertical)
    report["outputs"] = {"html": str(html), "pdf": str(pdf), "seconds": time.perf_counter() - t0}
    return report
