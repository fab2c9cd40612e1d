"""One hour through glutesense's analysis vs NeuroKit2 ppg_process and HeartPy process.

The peers are one-mechanism references (heart rate from a pulse wave); they
were measured at about 2.7 s (NeuroKit2) and 3.1 s (HeartPy) per hour on this
machine. glutesense analyses a 1 h, 100 Hz, 3-axis BCG-like recording
(``_common.synth_acc``: all of its detectors run: twitch, postural, pulse,
nerve, vibration, voluntary); the peers get a PPG-like waveform on the same
heartbeats (``_common.synth_ppg``), since they expect a pulse wave. Times are
interleaved medians; ratio = ours / peer. Each tool's mean heart rate is shown
next to the truth (66 bpm). No target: context for "how fast is fast".

Run: ``.venv/bin/python benchmarks/pulse_peers.py [--quick]``
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

DURATION_S = 3600.0


def run(quick: bool = False, profile: bool = False) -> list[dict]:
    from glutesense.analysis import analyze

    repeat = 2 if quick else 3
    x = c.synth_acc(DURATION_S)
    rec = c.recording(x)
    ppg = c.synth_ppg(DURATION_S)
    bt = c.beat_times(DURATION_S, np.random.default_rng(8))
    hr_true = 60.0 / float(np.mean(np.diff(bt)))
    ours = lambda: analyze(rec).to_report_dict()  # noqa: E731
    hr_ours = ours()["mechanisms"]["pulse"]["heart_rate_bpm"]
    rows = []
    peers = []
    try:
        import neurokit2 as nk

        def nk_run():
            return nk.ppg_process(ppg, sampling_rate=100)

        sig, _ = nk_run()
        peers.append(("NeuroKit2 ppg_process", nk_run, float(sig["PPG_Rate"].mean()), "2.7 s"))
    except ImportError as exc:
        rows.append(c.row("analysis 1 h vs NeuroKit2 ppg_process", "—", f"skipped ({exc})", "—",
                          "info", "SKIP"))
    try:
        import heartpy as hp

        def hp_run():
            return hp.process(ppg, 100.0)

        peers.append(("HeartPy process", hp_run, float(hp_run()[1]["bpm"]), "3.1 s"))
    except ImportError as exc:
        rows.append(c.row("analysis 1 h vs HeartPy process", "—", f"skipped ({exc})", "—",
                          "info", "SKIP"))
    for name, fn, hr_peer, reported in peers:
        c.log(f"pulse peers: 1 h glutesense analyze vs {name}, {repeat} repeats")
        res = c.compare(ours, fn, repeat=repeat, warmup=0)
        rows.append(c.row(f"analysis 1 h @100 Hz (all mechanisms) vs {name} (pulse only)",
                          f"{c.fmt_s(res['ours_s'])} (HR {hr_ours:.1f})",
                          f"{c.fmt_s(res['ref_s'])} (HR {hr_peer:.1f}; reported {reported})",
                          c.fmt_x(res["ratio"]), f"info (true HR {hr_true:.1f})", "info",
                          hr_ours=hr_ours, hr_peer=hr_peer, hr_true=hr_true, **res))
    return rows


if __name__ == "__main__":
    raise SystemExit(c.main_for(run, __doc__))
