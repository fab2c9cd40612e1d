"""Cohort processing on Dask (``glutesense batch``): per-file outputs, resumable, collated.

ANALYSER side adapter: it calls the public verbs (read, analyze) and never the simulator.
"""

from .run import BatchResult, ItemResult, collate, output_dirs, process_one, run_batch

__all__ = ["run_batch", "process_one", "collate", "output_dirs", "BatchResult", "ItemResult"]
