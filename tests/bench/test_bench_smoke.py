"""Every benchmark suite runs once at its tiny size, so the harness cannot rot.

The tiny runs write no docs; they only have to complete and print their results.
Peers (dwave-samplers, OpenJij, qutip, elkai) are imported only if installed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import _suites

ROOT = Path(__file__).resolve().parents[2]
# Covered by their own tests at a small size already (tests/app/test_faults.py).
SKIP_IN_SMOKE = {"reliability"}


def published() -> dict[str, int]:
    """Modification times of everything a full benchmark run writes (docs, plots, raw results)."""
    files = [*(ROOT / "docs").rglob("*"), *(ROOT / "bench" / "results").rglob("*")]
    return {str(f): f.stat().st_mtime_ns for f in files if f.is_file()}


@pytest.mark.parametrize("suite", [s for s in _suites() if s not in SKIP_IN_SMOKE])
def test_suite_runs_tiny(suite):
    before = published()
    result = subprocess.run([sys.executable, "-m", "bench", suite, "--tiny"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert published() == before, "a --tiny run must not rewrite docs, plots or raw results"


def test_list_names_every_suite():
    out = subprocess.run([sys.executable, "-m", "bench", "--list"], cwd=ROOT, capture_output=True, text=True)
    for suite in _suites():
        assert suite in out.stdout
