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


@pytest.mark.parametrize("suite", [s for s in _suites() if s not in SKIP_IN_SMOKE])
def test_suite_runs_tiny(suite):
    docs = (ROOT / "docs" / "benchmarks.md").read_text() if (ROOT / "docs" / "benchmarks.md").exists() else ""
    result = subprocess.run([sys.executable, "-m", "bench", suite, "--tiny"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    after = (ROOT / "docs" / "benchmarks.md").read_text() if (ROOT / "docs" / "benchmarks.md").exists() else ""
    assert after == docs, "a --tiny run must not rewrite docs/benchmarks.md"


def test_list_names_every_suite():
    out = subprocess.run([sys.executable, "-m", "bench", "--list"], cwd=ROOT, capture_output=True, text=True)
    for suite in _suites():
        assert suite in out.stdout
