"""Plain-language sentences about a report (about grade-8 reading level).

Used by the terminal summary, the HTML report and the PDF. Plain words first,
numbers second; no diagnosis.
"""

from __future__ import annotations

from typing import Any

__all__ = ["summary_sentences", "limits_sentence", "HEADLINES", "DISCLAIMER", "mechanism_sentence"]

HEADLINES = {
    "emergency": "Emergency: get help now.",
    "urgent": "See a doctor within a day or two.",
    "routine": "Book an appointment with your doctor.",
    "self_care": "This looks harmless. Things that help are below.",
}

DISCLAIMER = ("glutesense does not diagnose. It describes movement that a sensor recorded and "
              "gives general advice from public health guidance. If you are worried, or your "
              "symptoms change, contact a doctor. In an emergency call your local emergency number.")

_NAMES = {"twitch": "small muscle twitches",
          "postural": "slow body movement (balance sway, or breathing when lying down)",
          "pulse": "your pulse", "nerve": "grouped bursts like an irritated nerve",
          "vibration": "vibration from outside your body"}


def _pct(x: float | None) -> str:
    return f"{100 * (x or 0):.0f}%"


def mechanism_sentence(key: str, blk: dict[str, Any]) -> str | None:
    """One sentence about a mechanism that is present, or None."""
    if not blk.get("present"):
        return None
    if key == "pulse":
        hr = blk.get("heart_rate_bpm")
        return (f"Your heartbeat shows up, at {hr:.0f} beats per minute." if hr else
                "Your heartbeat shows up, but its rate could not be measured reliably.")
    if key == "twitch":
        n = len(blk.get("events") or [])
        rate = blk.get("rate_per_min") or 0.0
        pattern = {"sporadic": "now and then", "clustered": "in clusters",
                   "continuous": "almost all the time"}.get(blk.get("pattern"), "")
        emg = blk.get("emg") or {}
        where = " in the movement" if emg else ""
        s = (f"We found {n} small twitch{'es' if n != 1 else ''}{where} ({rate:.1f} per minute), "
             f"coming {pattern}.").replace(", coming .", ".")
        if emg.get("n_potentials"):     # the sEMG's own count: it can see what the skin hides
            k = emg["n_potentials"]
            s += (f" The muscle's electrical signal (sEMG) shows {k} twitch "
                  f"potential{'s' if k != 1 else ''} ({emg.get('rate_per_min') or 0.0:.1f} "
                  "per minute).")
        return s
    if key == "nerve":
        n = len(blk.get("bursts") or [])
        return (f"We found {n} burst{'s' if n != 1 else ''} of grouped twitches, the kind an "
                "irritated nerve can cause.")
    if key == "postural":
        after = blk.get("after_movement") or []
        extra = (f" After you moved, the tissue kept moving for about "
                 f"{max(a.get('decay_s') or 0 for a in after):.1f} s." if after else "")
        return "Slow body movement (balance sway, or breathing when lying down) shows up." + extra
    if key == "vibration":
        src = {"vehicle": "a vehicle", "appliance": "an appliance such as a washing machine",
               "music": "music or loud bass", "other": "something outside your body"}
        iso = blk.get("iso2631") or {}
        hz = blk.get("dominant_hz")
        s = f"Vibration from {src.get(blk.get('source'), 'outside your body')} shows up"
        if hz:
            s += f", strongest at {hz:.1f} Hz"
        if iso.get("av_ms2") is not None:
            s += f" (weighted level {iso['av_ms2']:.2f} m/s²)"
        return s + "."
    return None


def summary_sentences(report: dict[str, Any]) -> list[str]:
    """The plain summary: what moved most, then each mechanism, then your own movement."""
    m = report["mechanisms"]
    out: list[str] = []
    present = {k: v for k, v in m.items() if v.get("present")}
    if present:
        top = max(present, key=lambda k: present[k].get("share") or 0.0)
        share = present[top].get("share") or 0.0
        lead = "Most of" if share >= 0.5 else "The largest part of"
        detail = ""
        if top == "pulse" and present[top].get("heart_rate_bpm"):
            detail = f", {present[top]['heart_rate_bpm']:.0f} beats per minute"
        out.append(f"{lead} the movement in this recording is {_NAMES[top]}{detail} "
                   f"({_pct(share)} of it).")
        for k in ("pulse", "twitch", "nerve", "postural", "vibration"):
            if k in present and k != top:
                s = mechanism_sentence(k, present[k])
                if s:
                    out.append(s)
        s = mechanism_sentence(top, present[top])
        if s and top not in ("pulse",):
            out.insert(1, s)
    else:
        out.append("We found no movement beyond the sensor's own noise.")
    if (m.get("pulse") or {}).get("heart_rate_bpm") is None:
        out.append("Your heart rate could not be measured reliably, so none is given.")
    vol = report.get("voluntary") or []
    if vol:
        secs = sum(v["t1_s"] - v["t0_s"] for v in vol)
        out.append(f"You moved on purpose for about {secs:.0f} s (walking, shifting, standing up); "
                   "we set that part aside.")
    if (report.get("unexplained_share") or 0) > 0.3:
        out.append(f"{_pct(report['unexplained_share'])} of the movement does not fit any of the "
                   "five causes we look for.")
    out += [f"Note: {w}" for w in (report.get("input") or {}).get("warnings") or []]
    return out


def limits_sentence(report: dict[str, Any]) -> str:
    """What this sensor could not see."""
    lim = report.get("limits") or {}
    parts = []
    if lim.get("min_detectable_twitch_ms2") is not None:
        parts.append(f"twitches weaker than {lim['min_detectable_twitch_ms2']:.3f} m/s²")
    if lim.get("max_frequency_hz") is not None:
        parts.append(f"shaking faster than {lim['max_frequency_hz']:.0f} times per second")
    if lim.get("emg_fs_hz"):
        emg = (f"Its sEMG channel ({lim['emg_fs_hz']:g} Hz) records the muscle's own electrical "
               "activity, which the twitch and nerve findings use as well as the movement.")
    else:
        emg = ("A phone or motion sensor cannot record muscle electricity (EMG), so it sees "
               "twitches only through the skin's movement.")
    if not parts:
        return "The limits of this sensor are not known. " + emg
    return "This recording cannot show " + " or ".join(parts) + ". " + emg
