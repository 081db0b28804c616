"""The README's example runs as written (pointed at the test server)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from serverproc import API_KEY

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_example_runs_and_prints_the_maximum_cut(server, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) == 1
    code = blocks[0]
    assert len(code.strip().splitlines()) <= 5 and "http://127.0.0.1:8000" in code
    monkeypatch.setenv("LANDSCAPE_API_KEY", API_KEY)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code.replace("http://127.0.0.1:8000", server.url), str(README), "exec"), {})
    cut, *rest = printed.getvalue().split(" ", 1)
    assert float(cut) == 4.0  # the square 0-1-2-3 with diagonal 0-2: {0, 2} against {1, 3}
    assert "[[" in rest[0]
