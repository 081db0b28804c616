"""Shared fixtures: the repo root on sys.path and the shipped data directory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
# Test helpers (naive references, the live-server fixture) import as top-level modules.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session", autouse=True)
def _warm_kernels() -> None:
    """Compile or load every sampler kernel before the first test, so timed assertions time sampling."""
    from solvers.warmup import warm_up

    warm_up()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA
