"""Shared fixtures: the third-party reference recordings and seeded generators."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
#: ../shared/reference beside the repository (read at test time, never copied in).
REFERENCE = (REPO / ".." / "shared" / "reference").resolve()


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The folder of third-party reference recordings, or skip with the reason."""
    if not REFERENCE.is_dir():
        pytest.skip(f"reference recordings not found at {REFERENCE} (expected ../shared/reference)")
    return REFERENCE


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator (tests are reproducible)."""
    return np.random.default_rng(20261125)
