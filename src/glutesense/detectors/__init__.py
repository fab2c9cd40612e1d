"""Detectors, one per mechanism, mirroring :mod:`glutesense.body`.

ANALYSER side: never imports the simulator (body, sensors, scenarios).
"""

from ._base import Finding, Prepared

__all__ = ["Finding", "Prepared"]
