"""Physics Toolbox Sensor Suite CSV (Vieyra Software; formats.md §1.3).

One CSV per recording; the header depends on the tool:

=====================  ==================================  =====================================
Tool                   Header                              Units
=====================  ==================================  =====================================
g-Force meter          ``time,gFx,gFy,gFz,TgF`` (iOS:      g, gravity included
                       ``gFTotal``)
Linear accelerometer   ``time,ax,ay,az,aT``                m/s², gravity removed
Multi-record           ``time,gFx,gFy,gFz,wx,wy,wz,...``   g, rad/s (magnetometer etc. ignored)
=====================  ==================================  =====================================

``time`` is elapsed seconds, date-time text (``2018-10-03 17:23:55.4640``,
which gives ``Recording.start``) or ``MM:SS.f`` clock text that wraps every
hour (the roll-overs are undone). Some locales write ``;`` separators and
decimal commas. The layout, the time parsing and the assembly are the generic
CSV reader's (:mod:`glutesense.io.generic_csv`) with the units declared by the
app; the total columns (``TgF``, ``gFTotal``, ``aT``) are derived and ignored.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import FormatError
from ..recording import Recording
from ._registry import FormatSpec, Probe, register
from .generic_csv import head_lines, probe_layout, sniff_layout
from .generic_csv import read_layout

__all__ = ["read_physicstoolbox"]

_APP = "Physics Toolbox Sensor Suite"


def _bases(names: tuple[str, ...]) -> list[str]:
    return [re.sub(r"[^a-z]", "", n.lower()) for n in names]


def _kind(names: tuple[str, ...]) -> str | None:
    """``"gforce"``, ``"linear"`` or None from the header (first complete triple wins)."""
    bases = _bases(names)
    if not bases or bases[0] != "time":
        return None
    has_g = {"gfx", "gfy", "gfz"} <= set(bases)
    has_lin = {"ax", "ay", "az", "at"} <= set(bases)
    if has_g and (not has_lin or bases.index("gfx") < bases.index("ax")):
        return "gforce"
    return "linear" if has_lin else None


def _sniff(probe: Probe) -> bool:
    if probe.text is None:
        return False
    first = probe.first_line.lower()
    if not first.startswith(("time", '"time')):
        return False
    try:
        return _kind(sniff_layout(head_lines(probe)).names) is not None
    except FormatError:
        return False


def read_physicstoolbox(path: str | Path, probe: Probe | None = None) -> Recording:
    """Read a Physics Toolbox Sensor Suite CSV.

    Parameters
    ----------
    path : path-like
        The exported CSV.
    probe : Probe or None
        The registry's probe of the file (made here when None).

    Returns
    -------
    Recording
        ``acc_x/y/z`` in m/s² (g-Force meter: gravity included; linear
        accelerometer: gravity removed), plus ``gyro_x/y/z`` in rad/s from a
        multi-record export.

    Raises
    ------
    FormatError
        The header is not one of the Physics Toolbox forms.
    """
    path = Path(path)
    probe = probe or Probe(path)
    layout = probe_layout(probe)
    kind = _kind(layout.names)
    if kind is None:
        raise FormatError(f"header {list(layout.names)} is not a Physics Toolbox export "
                          "(time,gFx,gFy,gFz,... or time,ax,ay,az,aT)")
    unit = "g" if kind == "gforce" else "m/s^2"
    rec = read_layout(path, layout, unit=unit, gyro_unit="rad/s", app=_APP, fmt="physicstoolbox")
    tool = "g-Force meter (g, with gravity)" if kind == "gforce" else \
        "linear accelerometer (m/s², without gravity)"
    inferred = dict(rec.inferred)
    inferred["tool"] = tool
    return rec.with_meta(inferred=inferred)


register(FormatSpec(
    name="physicstoolbox", title="Physics Toolbox Sensor Suite CSV",
    signature="header `time,gFx,gFy,gFz,…` (g-Force meter) or `time,ax,ay,az,aT` (linear "
              "accelerometer); `,` or `;` separated",
    sniff=_sniff, reader=read_physicstoolbox, extensions=(".csv",), priority=60,
    module="glutesense.io.physicstoolbox",
    note="g-Force in g with gravity; linear acceleration in m/s² without gravity"))
