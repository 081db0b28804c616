"""A process with a pinned numba thread count must not write the kernel cache other processes load."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

COMPILE_AND_REPORT = """
import numpy as np, numba
from energy.model import IsingModel
model = IsingModel.from_arrays(np.zeros(3), [0, 1], [1, 2], [1.0, -1.0])
model.energies(np.ones((2, 3), dtype=np.int8))  # compiles a parallel=True kernel with cache=True
print(numba.config.CACHE_DIR)
"""


def run(tmp_path: Path, **env: str) -> str:
    inherited = {k: v for k, v in os.environ.items() if k != "NUMBA_NUM_THREADS"}
    environment = {**inherited, "NUMBA_CACHE_DIR": str(tmp_path), **env}
    out = subprocess.run([sys.executable, "-c", COMPILE_AND_REPORT], cwd=ROOT, env=environment,
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def cached_files(directory: Path) -> set[str]:
    return {p.name for p in directory.rglob("*.nbi") if "threads-" not in str(p.relative_to(directory))}


def test_single_thread_process_caches_apart(tmp_path):
    assert run(tmp_path, NUMBA_NUM_THREADS="1") == str(tmp_path / "threads-1")
    assert cached_files(tmp_path) == set()  # nothing in the shared cache
    assert any((tmp_path / "threads-1").rglob("*batch_energies*.nbi"))


def test_default_process_uses_the_shared_cache(tmp_path):
    assert run(tmp_path) == str(tmp_path)
    assert any("batch_energies" in name for name in cached_files(tmp_path))
