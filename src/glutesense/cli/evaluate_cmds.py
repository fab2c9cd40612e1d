"""``glutesense evaluate [--cases N] [--seed S] [--json]``: score the analyser against truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ._app import app, err, out, print_json

__all__ = ["evaluate_cmd", "render_table"]

_SOURCE_TITLES = {"simulator": "(a) simulator", "generator2": "(b) generator 2 via files",
                  "reference": "(c) real recordings"}


def _fmt(key: str, m: dict[str, Any], unit: str) -> str:
    v = m["value"]
    if key == "hr_mae_bpm" and "plausible_fraction" in m:
        text = f"{m['plausible_fraction']:.0%} plausible"
    elif v is None:
        return "n/a"
    elif key in ("vibration_source_accuracy", "hr_found_fraction"):
        text = f"{v:.0%}"
    elif key in ("aw_rel_error", "av_rel_error"):
        text = f"{v:.2%}"
    elif key == "twitch_f1":
        text = f"{v:.3f}"
    else:
        text = f"{v:.3g} {unit}".strip()
    status = f" {m['status']}" if m["status"] in ("PASS", "MISS") else ""
    return f"{text}{status} (n={m['n']})"


def _target(op: str, target: float | None, key: str, unit: str) -> str:
    if target is None:
        return "—"
    if key in ("vibration_source_accuracy",):
        return f"{op} {target:.0%}"
    if key in ("aw_rel_error", "av_rel_error"):
        return f"{op} {target:.0%}"
    return f"{op} {target:g} {unit}".strip()


def render_table(result: dict[str, Any]) -> str:
    """The summary table as plain text: one row per metric, its target, one column per source."""
    s = result["settings"]
    sources = list(result["summary"])
    head = ["metric", "target"]
    for src in sources:
        n = result["summary"][src]
        head.append(f"{_SOURCE_TITLES.get(src, src)} [{n['n_cases']} cases"
                    + (f", {n['n_failed']} failed" if n["n_failed"] else "") + "]")
    rows = [head]
    for key, (label, op, target, unit) in result["metrics"].items():
        rows.append([label, _target(op, target, key, unit)]
                    + [_fmt(key, result["summary"][src][key], unit) for src in sources])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    line = lambda r: " | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    title = (f"glutesense evaluation: {s['cases']} case(s) per scenario/kind, seed {s['seed']}, "
             f"{s['duration_s']:g}-s recordings; {result['date_utc']}; {result['elapsed_s']:.0f} s")
    sep = "-+-".join("-" * w for w in widths)
    return "\n".join([title, line(rows[0]), sep, *(line(r) for r in rows[1:])])


@app.command("evaluate")
def evaluate_cmd(
    cases: int = typer.Option(3, "--cases", min=1,
                              help="Cases per scenario (simulator) and per kind (generator 2)."),
    seed: int = typer.Option(0, "--seed", help="Master seed (every case seed derives from it)."),
    as_json: bool = typer.Option(False, "--json", help="Print the full result with per-case detail "
                                 "as JSON."),
    duration: float = typer.Option(120.0, "--duration", min=20.0,
                                   help="Length of each generated recording, s."),
    reference: Path = typer.Option(None, "--reference", metavar="DIR",
                                   help="Folder of the real reference recordings "
                                        "(default: ../shared/reference beside the repository)."),
    no_reference: bool = typer.Option(False, "--no-reference", help="Skip the real recordings."),
) -> None:
    """Score the analyser on simulated, independently generated and real recordings."""
    from ..evaluation import evaluate

    ref: Path | None | bool = False if no_reference else reference
    if isinstance(ref, Path) and not ref.is_dir():
        raise typer.BadParameter(f"not a folder: {ref}", param_hint="'--reference'")
    result = evaluate(cases, seed, duration_s=duration, reference=ref,
                      progress=lambda msg: err.print(msg, markup=False, highlight=False))
    for src, why in result["skipped"].items():
        err.print(f"skipped {src}: {why}", markup=False, highlight=False)
    if as_json:
        print_json(result)
        return
    out.print(render_table(result), markup=False, highlight=False, soft_wrap=True)
    for src, why in result["skipped"].items():
        out.print(f"{_SOURCE_TITLES.get(src, src)} skipped: {why}", markup=False, highlight=False)
    for src, summ in result["summary"].items():
        for key in result["metrics"]:
            d = summ[key].get("detail")
            if d:
                out.print(f"  {src} · {key}: {d}", markup=False, highlight=False)
