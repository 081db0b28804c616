"""Shared helpers for the benchmark suites: timing, interleaving, raw JSON, docs.

Every suite lives in ``bench/<suite>.py`` and exposes ``main(argv)``; it is run as
``python -m bench <suite> [--tiny] [--instances DIR]``. A suite keeps its raw
measurements in ``bench/results/<suite>.json`` and rewrites its own section of
``docs/benchmarks.md`` between ``<!-- BEGIN <suite> -->`` and ``<!-- END <suite> -->``.
"""

from __future__ import annotations

import json
import platform
import re
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"
DOCS_FILE = REPO / "docs" / "benchmarks.md"
SHIPPED_DATA = REPO / "tests" / "data"
#: Set by ``python -m bench <suite> --tiny``: smoke runs never overwrite results or docs.
SMOKE_RUN = False


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``fn`` once; return (wall seconds, its result)."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def interleaved(contenders: dict[str, Callable[[int], Any]], repeats: int) -> dict[str, list[tuple[float, Any]]]:
    """Run each contender ``repeats`` times, alternating between them.

    Interleaving spreads the noise of a shared machine evenly over all
    contenders. Each callable receives the repeat index (use it as a seed).
    Returns ``{name: [(seconds, result), ...]}``.
    """
    runs: dict[str, list[tuple[float, Any]]] = {name: [] for name in contenders}
    for rep in range(repeats):
        order = list(contenders) if rep % 2 == 0 else list(reversed(contenders))
        for name in order:
            runs[name].append(timed(lambda: contenders[name](rep)))
    return runs


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def machine_note() -> str:
    """One line describing where the numbers were measured."""
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"


def save_raw(suite: str, data: Any) -> Path:
    """Write raw measurements to ``bench/results/<suite>.json`` (not in a ``--tiny`` run)."""
    path = RESULTS_DIR / f"{suite}.json"
    if SMOKE_RUN:
        return path
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=float))
    return path


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured markdown table; floats get 4 significant digits."""

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(suite: str, markdown: str, path: Path = DOCS_FILE) -> None:
    """Replace (or append) the suite's section in ``path`` (docs/benchmarks.md by default).

    Does nothing in a ``--tiny`` smoke run.
    """
    if SMOKE_RUN:
        return
    begin, end = f"<!-- BEGIN {suite} -->", f"<!-- END {suite} -->"
    block = f"{begin}\n{markdown.strip()}\n{end}"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
