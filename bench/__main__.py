"""Run a benchmark suite: ``python -m bench <suite> [options]``.

``python -m bench --list`` names the suites; each suite documents its own
options (``python -m bench <suite> --help``).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from bench import _common


def _suites() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    suites = _suites()
    if not argv or argv[0] in ("-h", "--help", "--list"):
        print("usage: python -m bench <suite> [--tiny] [options]\nsuites: " + ", ".join(suites))
        return 0
    suite, rest = argv[0], argv[1:]
    if suite not in suites:
        print(f"unknown suite {suite!r}; choose from: {', '.join(suites)}", file=sys.stderr)
        return 2
    if "--tiny" in rest:
        _common.SMOKE_RUN = True
    importlib.import_module(f"bench.{suite}").main(rest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
