"""GENEActiv ``.bin`` files: recognised, not read.

A GENEActiv file is text: header pages beginning ``Device Identity`` (serial
code, device type, calibration, measurement frequency ...) followed by data
pages of hex-encoded 12-bit samples. There is no maintained pure-Python reader
on PyPI (``pygeneactiv`` 0.2 dates from 2019; scikit-digital-health's
``ReadBin`` needs compiled extensions and actipy needs Java), and the page
layout is not published as a specification we could test against, so the
format is registered with ``reader=None``: ``glutesense formats`` lists it and
:func:`glutesense.io.read` fails with a one-line explanation.
"""

from __future__ import annotations

from ._registry import FormatSpec, Probe, register

__all__: list[str] = []

NOTE = ("no maintained pure-Python GENEActiv reader exists (pygeneactiv 0.2 is from 2019); "
        "convert with GENEActiv PC software or R GGIRread to CSV, or install "
        "scikit-digital-health and use skdh.io.ReadBin")


def _sniff(p: Probe) -> bool:
    return p.first_line.startswith("Device Identity")


register(FormatSpec(
    name="geneactiv-bin", title="GENEActiv BIN",
    signature="text file whose first line is `Device Identity`",
    sniff=_sniff, reader=None, extensions=(".bin",), priority=80,
    module="glutesense.io.geneactiv", note=NOTE))
