"""Forward models of the body: what each mechanism makes the skin and muscle do.

SIMULATOR side. The analyser (detectors, analysis, triage, reporting) never
imports this package; a test enforces the firewall.
"""

from ._base import BODY_AXES, MechanismOutput

__all__ = ["MechanismOutput", "BODY_AXES"]
