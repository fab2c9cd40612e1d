"""Shared signal tools: ISO 2631-1 weightings and vibration quantities.

Modules
-------
iso2631    ISO 2631-1:1997 frequency weightings (Wk, Wd, Wc, We, Wj, Wf; Wb from BS 6841)
           as FIR filters that hold their shape up to Nyquist, and a_w, running r.m.s.,
           MTVV, VDV, crest factor, A(8), vector sum and the health-guidance comparison.
"""

from . import iso2631

__all__ = ["iso2631"]
