"""Every plot glutesense draws (matplotlib, Agg backend). Imported lazily: computation never
imports this package.

Modules
-------
cohort       distributions across a cohort (batch report)
simulation   each mechanism's contribution to a simulated recording
"""

__all__: list[str] = []  # the plotting modules are imported by name, lazily
