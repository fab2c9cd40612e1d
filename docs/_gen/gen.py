"""Regenerate the docs pages whose examples are command output.

    .venv/bin/python docs/_gen/gen.py            # rewrites docs/reference/cli.md and docs/user-guide.md

Each ``*.md.in`` template is copied to its page with every marker line replaced by the
real output of running the command now, in a fresh temporary folder, with
``.venv/bin`` first on PATH, ``NO_COLOR=1`` and ``COLUMNS=100``. The report figures
of the user guide (``docs/images/report-*.png``) are redrawn from the same recording, and
the science pages' figures (``docs/images/sim-*.png``) with ``glutesense simulate --plot``.
Review the diff before committing: the prose around the examples may need updating too.

Marker lines (one per line):
  @@RUN cmd@@            show `$ cmd`, its stdout, its stderr as '# stderr:' lines, and the exit code
  @@RUN[opts] cmd@@      opts, comma-separated: nocode (no exit-code line), stdout (hide stderr),
                         head=N (first N stdout lines, then '…'), json (shorten JSON lists to 3 items)
  @@SH cmd@@             run silently (setup); nothing is shown
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PAGES = {"cli.md.in": DOCS / "reference" / "cli.md", "user-guide.md.in": DOCS / "user-guide.md"}
#: The science pages' figures: docs/images/sim-<mechanism>.png from (scenario, seconds), as in
#: each page's "Try it" section.
SIM_FIGURES = {"twitch": ("benign-fasciculation", 120), "postural": ("after-dancing", 90),
               "pulse": ("seated-rest", 30), "nerve": ("long-sitting-nerve", 120),
               "vibration": ("washing-machine", 60)}


def _shorten(o):
    if isinstance(o, list):
        return [_shorten(x) for x in o[:3]] + (["…"] if len(o) > 3 else [])
    if isinstance(o, dict):
        return {k: _shorten(v) for k, v in o.items()}
    return o


def render(template: Path, out: Path, work: Path) -> None:
    env = dict(os.environ, PATH=f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
               NO_COLOR="1", COLUMNS="100", TERM="dumb")
    res: list[str] = []
    for line in template.read_text(encoding="utf-8").split("\n"):
        m = re.fullmatch(r"@@(RUN|SH)(?:\[([^\]]*)\])? (.*)@@", line.strip())
        if not m:
            res.append(line)
            continue
        kind, opts, cmd = m.groups()
        opts = dict((o.split("=") + [""])[:2] for o in (opts or "").split(",") if o)
        p = subprocess.run(cmd, shell=True, cwd=work, env=env, capture_output=True, text=True,
                           timeout=600)
        if kind == "SH":
            if p.returncode:
                sys.exit(f"setup failed: {cmd}\n{p.stderr}")
            continue
        so = p.stdout.rstrip("\n")
        if "json" in opts:
            so = json.dumps(_shorten(json.loads(so)), indent=2, ensure_ascii=False)
        lines = [x.rstrip() for x in so.split("\n")] if so else []
        if "head" in opts and len(lines) > int(opts["head"]):
            lines = lines[: int(opts["head"])] + ["…"]
        se = [x.rstrip() for x in p.stderr.rstrip("\n").split("\n")] if p.stderr.strip() else []
        block = ["```console", f"$ {cmd}", *lines]
        if se and "stdout" not in opts:
            block += ["# stderr:"] + [f"# {x}" if x else "#" for x in se]
        if "nocode" not in opts:
            block.append(f"# exit code {p.returncode}")
        res += [*block, "```"]
    out.write_text("\n".join(res), encoding="utf-8")
    print(f"wrote {out.relative_to(REPO)}")


def report_figures(work: Path) -> None:
    """Redraw the user guide's report figures from the recording its example analyses."""
    sys.path.insert(0, str(REPO / "src"))
    import glutesense
    from glutesense.reporting.build import build_report
    from glutesense.reporting.html import figures

    rec = glutesense.read(work / "seated.csv")
    report = build_report(rec, json.loads((work / "answers.json").read_text()))
    for f in figures(report, rec):
        if f["key"] in ("shares", "timeline", "spectrum"):
            path = DOCS / "images" / f"report-{f['key']}.png"
            path.write_bytes(base64.b64decode(f["uri"].split(",", 1)[1]))
            print(f"wrote {path.relative_to(REPO)}")


def sim_figures(work: Path) -> None:
    """Redraw the science pages' figures with ``glutesense simulate --plot``."""
    exe = REPO / ".venv" / "bin" / "glutesense"
    for mech, (scenario, seconds) in SIM_FIGURES.items():
        path = DOCS / "images" / f"sim-{mech}.png"
        subprocess.run([str(exe), "simulate", "--scenario", scenario, "--duration", str(seconds),
                        "--out", str(work / f"{mech}.csv"), "--plot", str(path)],
                       check=True, capture_output=True, env=dict(os.environ, NO_COLOR="1"))
        print(f"wrote {path.relative_to(REPO)}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sim_figures(Path(tmp))
    for name, out in PAGES.items():
        with tempfile.TemporaryDirectory() as tmp:
            render(Path(__file__).with_name(name), out, Path(tmp))
            if name == "user-guide.md.in":
                report_figures(Path(tmp))


if __name__ == "__main__":
    main()
