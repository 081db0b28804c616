"""Text formats for graphs and raw models: G-set, Beasley ``.sparse`` and COO.

Parsers return numpy arrays and raise :class:`~problems.errors.ProblemError`
naming the line (``line 7``) or header at fault; they never raise anything else
for bad text.

* G-set (rudy) and Beasley ``.sparse`` share one shape: a header ``N E`` (extra
  header tokens are ignored, G1 starts with ``800 19176 J``), then exactly ``E``
  lines ``i j w`` with 1-based indices in ``1..N``.
* COO (dimod's ``dimod.serialization.coo``): ``i j bias`` lines with 0-based
  non-negative integer labels; ``i i bias`` is a linear bias. Blank lines and
  ``#`` comments are skipped, ``# vartype=SPIN`` gives the vartype. Unlike
  dimod's reader, a line that is neither is an error, not silently dropped.

>>> n, i, j, w, lines = parse_indexed_triples("3 2\\n1 2 1\\n2 3 -1.5\\n")
>>> n, i.tolist(), j.tolist(), w.tolist()
(3, [1, 2], [2, 3], [1.0, -1.5])
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

from problems.errors import ProblemError

_VARTYPE_HEADER = re.compile(r"^\s*#.*?vartype\s*[:=]\s*([A-Za-z]+)")


def read_text(path_or_text, field: str = "file") -> str:
    """Text of a file, or the text itself.

    A ``str`` containing a newline is text; any other ``str`` or ``os.PathLike``
    is a path; ``bytes`` are decoded as UTF-8 text.
    """
    if isinstance(path_or_text, bytes):
        try:
            return path_or_text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ProblemError(field, f"not UTF-8 text: {err}") from None
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        return path_or_text
    if isinstance(path_or_text, (str, os.PathLike)):
        path = Path(path_or_text)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ProblemError(field, f"no such file: {str(path)!r}") from None
        except (OSError, ValueError) as err:  # ValueError: undecodable bytes, NUL in the path
            raise ProblemError(field, f"cannot read {str(path)!r}: {err}") from None
    raise ProblemError(field, f"expected a path or text, got {type(path_or_text).__name__}")


MAX_EXACT_INT = 2**53
"""Integers beyond this are not exact in float64, the BQM's number type."""

MAX_INDEX = 2**62
MAX_NODES = 10_000_000


def parse_number(token: str, field: str) -> float:
    """A finite float from a text token; integers must be exact in float64."""
    try:
        value = int(token)
    except ValueError:
        pass
    else:
        if abs(value) > MAX_EXACT_INT:
            raise ProblemError(field, f"{token!r} is too large to be exact in float64")
        return float(value)
    try:
        value = float(token)
    except ValueError:
        raise ProblemError(field, f"{token!r} is not a number") from None
    if not math.isfinite(value):
        raise ProblemError(field, f"{token!r} is not finite")
    return value


def _parse_index(token: str, field: str) -> int:
    try:
        value = int(token)
    except ValueError:
        raise ProblemError(field, f"vertex {token!r} is not an integer") from None
    if abs(value) > MAX_INDEX:
        raise ProblemError(field, f"vertex {token!r} is too large")
    return value


class IndexedTriples(NamedTuple):
    """Parsed G-set/Beasley entries; ``lines`` holds each entry's 1-based line number."""

    num_nodes: int
    i: np.ndarray
    j: np.ndarray
    w: np.ndarray
    lines: np.ndarray


def parse_indexed_triples(text: str, *, allow_diagonal: bool = False) -> IndexedTriples:
    """Parse the ``N E`` header + ``i j w`` lines shared by G-set and Beasley files.

    ``i, j`` are 1-based int64, ``w`` float64. ``i == j`` lines are rejected
    unless ``allow_diagonal``.
    """
    lines = text.splitlines()
    header_at = next((k for k, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        raise ProblemError("header", "empty file: expected a header line 'N E'")
    head = lines[header_at].split()
    if len(head) < 2:
        raise ProblemError("header", f"expected 'N E', got {lines[header_at].strip()!r}")
    try:
        num_nodes, num_entries = int(head[0]), int(head[1])
    except ValueError:
        raise ProblemError("header", f"expected integers 'N E', got {lines[header_at].strip()!r}") from None
    if not 1 <= num_nodes <= MAX_NODES:
        raise ProblemError("header", f"N must be in 1..{MAX_NODES}, got {num_nodes}")
    if num_entries < 0:
        raise ProblemError("header", f"E must be non-negative, got {num_entries}")

    rows_i, rows_j, weights, linenos = [], [], [], []
    for lineno in range(header_at + 2, len(lines) + 1):
        parts = lines[lineno - 1].split()
        if not parts:
            continue
        field = f"line {lineno}"
        if len(parts) != 3:
            raise ProblemError(field, f"expected 'i j w', got {lines[lineno - 1].strip()!r}")
        i, j = _parse_index(parts[0], field), _parse_index(parts[1], field)
        for vertex in (i, j):
            if not 1 <= vertex <= num_nodes:
                raise ProblemError(field, f"vertex {vertex} out of range 1..{num_nodes}")
        if i == j and not allow_diagonal:
            raise ProblemError(field, f"self-loop on vertex {i}")
        rows_i.append(i)
        rows_j.append(j)
        weights.append(parse_number(parts[2], field))
        linenos.append(lineno)
    if len(weights) != num_entries:
        raise ProblemError(
            "header", f"declares {num_entries} entries but the file has {len(weights)}"
        )
    return IndexedTriples(
        num_nodes,
        np.array(rows_i, dtype=np.int64),
        np.array(rows_j, dtype=np.int64),
        np.array(weights, dtype=np.float64),
        np.array(linenos, dtype=np.int64),
    )


def parse_coo(text: str):
    """Parse COO text into ``(vartype_or_None, i, j, bias)`` (0-based labels).

    >>> vt, i, j, b = parse_coo("# vartype=SPIN\\n0 0 -1\\n0 1 2.5\\n")
    >>> vt, i.tolist(), j.tolist(), b.tolist()
    ('SPIN', [0, 0], [0, 1], [-1.0, 2.5])
    """
    vartype = None
    rows_i, rows_j, biases = [], [], []
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            match = _VARTYPE_HEADER.match(stripped)
            if match:
                vartype = match.group(1).upper()
            continue
        field = f"line {lineno}"
        parts = stripped.split()
        if len(parts) != 3:
            raise ProblemError(field, f"expected 'i j bias', got {stripped!r}")
        i, j = _parse_index(parts[0], field), _parse_index(parts[1], field)
        if i < 0 or j < 0:
            raise ProblemError(field, "COO labels must be non-negative integers")
        rows_i.append(i)
        rows_j.append(j)
        biases.append(parse_number(parts[2], field))
    if not biases:
        raise ProblemError("coo", "no 'i j bias' lines: the model is empty")
    return (
        vartype,
        np.array(rows_i, dtype=np.int64),
        np.array(rows_j, dtype=np.int64),
        np.array(biases, dtype=np.float64),
    )
