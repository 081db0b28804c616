"""A small TSPLIB95 reader for symmetric TSP instances.

Supports the edge-weight types real instances use, with TSPLIB's own integer
rounding (Reinelt, *TSPLIB 95*, section 2): ``EUC_2D`` (nearest integer),
``CEIL_2D`` (ceiling), ``ATT`` (pseudo-Euclidean), ``GEO`` (geographic, with
PI = 3.141592, RRR = 6378.388 and DDD.MM degree/minute coordinates) and
``EXPLICIT`` matrices in ``FULL_MATRIX``, ``UPPER_ROW``, ``LOWER_ROW``,
``UPPER_DIAG_ROW`` and ``LOWER_DIAG_ROW`` format. Anything else raises
:class:`ProblemError` naming the offending keyword or section: an unsupported
type or format, a missing, empty or repeated keyword or section (``COMMENT``
lines may repeat and are joined), ``DIMENSION`` outside ``2..MAX_CITIES``, a
section with too few or too many entries, non-numeric or non-integer entries,
negative or non-zero-diagonal or asymmetric weights, and distances so large
that a tour's length would not be exact (``n`` times the longest edge over
``2**53``, see :func:`problems._checks.check_tour_bound`).

>>> text = '''NAME: tri
... TYPE: TSP
... DIMENSION: 3
... EDGE_WEIGHT_TYPE: EUC_2D
... NODE_COORD_SECTION
... 1 0 0
... 2 3 0
... 3 0 4
... EOF'''
>>> inst = parse_tsplib(text)
>>> inst.name, inst.distances.tolist()
('tri', [[0, 3, 4], [3, 0, 5], [4, 5, 0]])
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from problems._checks import check_tour_bound
from problems.errors import ProblemError
from problems.formats import read_text

MAX_CITIES = 5000
"""Largest ``DIMENSION`` (and TSP of any origin): the distance matrix is dense, 200 MB at this size."""

COORDINATE_TYPES = ("EUC_2D", "CEIL_2D", "ATT", "GEO")
MATRIX_FORMATS = ("FULL_MATRIX", "UPPER_ROW", "LOWER_ROW", "UPPER_DIAG_ROW", "LOWER_DIAG_ROW")
_SECTIONS = ("NODE_COORD_SECTION", "EDGE_WEIGHT_SECTION", "DISPLAY_DATA_SECTION",
             "TOUR_SECTION", "FIXED_EDGES_SECTION", "DEPOT_SECTION", "DEMAND_SECTION")


@dataclasses.dataclass(frozen=True)
class TsplibInstance:
    """A parsed instance: integer distance matrix and, if given, coordinates."""

    name: str
    comment: str
    edge_weight_type: str
    distances: np.ndarray
    coordinates: np.ndarray | None


def read_tsplib(path_or_text: str | Path) -> TsplibInstance:
    """Parse a TSPLIB file given by path, or TSPLIB text itself (a str with a newline)."""
    return parse_tsplib(read_text(path_or_text, "tsplib"))


def parse_tsplib(text: str) -> TsplibInstance:
    """Parse TSPLIB text into a :class:`TsplibInstance` (integer distances)."""
    spec: dict[str, str] = {}
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line == "EOF":
            break
        keyword = line.split(":", 1)[0].strip().upper() if ":" in line else line.split()[0].upper()
        if keyword in _SECTIONS:
            if keyword in sections:
                raise ProblemError(keyword, "section given twice")
            current = sections[keyword] = []
            rest = line[len(keyword):].lstrip(" :")
            if rest:
                current.append(rest)
            continue
        if ":" in line and not _is_numeric(line.split(":", 1)[0]):
            value = line.split(":", 1)[1].strip()
            if keyword == "COMMENT" and keyword in spec:
                value = f"{spec[keyword]}\n{value}"
            elif keyword in spec:
                raise ProblemError(keyword, "keyword given twice")
            spec[keyword] = value
            current = None
            continue
        if current is None:
            raise ProblemError("tsplib", f"unexpected line outside any section: {raw!r}")
        current.append(line)

    kind = spec.get("TYPE", "TSP").upper()
    if kind != "TSP":
        raise ProblemError("TYPE", f"only symmetric TSP instances are supported, got {kind!r}")
    if "DIMENSION" not in spec:
        raise ProblemError("DIMENSION", "missing")
    try:
        n = int(spec["DIMENSION"])
    except ValueError:  # also digit strings too long to convert
        raise ProblemError("DIMENSION", f"not an integer: {spec['DIMENSION'][:40]!r}") from None
    if not 2 <= n <= MAX_CITIES:
        raise ProblemError("DIMENSION", f"must be in 2..{MAX_CITIES} cities, got {n}")
    weight_type = spec.get("EDGE_WEIGHT_TYPE", "").upper()
    if not weight_type:
        raise ProblemError("EDGE_WEIGHT_TYPE", "missing")

    coordinates = None
    if "NODE_COORD_SECTION" in sections:
        coordinates = _read_coordinates(sections["NODE_COORD_SECTION"], n)
    if weight_type == "EXPLICIT":
        fmt = spec.get("EDGE_WEIGHT_FORMAT", "").upper()
        if fmt not in MATRIX_FORMATS:
            raise ProblemError("EDGE_WEIGHT_FORMAT",
                               f"unsupported format {fmt!r}; supported: {', '.join(MATRIX_FORMATS)}")
        if "EDGE_WEIGHT_SECTION" not in sections:
            raise ProblemError("EDGE_WEIGHT_SECTION", "missing")
        distances = _explicit_matrix(sections["EDGE_WEIGHT_SECTION"], n, fmt)
        if coordinates is None and "DISPLAY_DATA_SECTION" in sections:
            coordinates = _read_coordinates(sections["DISPLAY_DATA_SECTION"], n, "DISPLAY_DATA_SECTION")
    elif weight_type in COORDINATE_TYPES:
        if coordinates is None:
            raise ProblemError("NODE_COORD_SECTION", f"missing (required by EDGE_WEIGHT_TYPE {weight_type})")
        distances = coordinate_distances(coordinates, weight_type)
    else:
        raise ProblemError("EDGE_WEIGHT_TYPE",
                           f"unsupported type {weight_type!r}; supported: EXPLICIT, {', '.join(COORDINATE_TYPES)}")
    return TsplibInstance(spec.get("NAME", ""), spec.get("COMMENT", ""), weight_type, distances, coordinates)


def _is_numeric(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _numbers(lines: list[str], field: str) -> list[float]:
    try:
        return [float(tok) for line in lines for tok in line.split()]
    except ValueError as err:
        raise ProblemError(field, f"non-numeric entry ({err})") from None


def _read_coordinates(lines: list[str], n: int, field: str = "NODE_COORD_SECTION") -> np.ndarray:
    coords = np.full((n, 2), np.nan)
    seen = np.zeros(n, dtype=bool)
    for line in lines:
        values = _numbers([line], field)
        if len(values) != 3:
            raise ProblemError(field, f"expected 'index x y', got {line!r}")
        if not (values[0].is_integer() and 1 <= values[0] <= n):
            raise ProblemError(field, f"node index {line.split()[0]!r} is not an integer in 1..{n}")
        index = int(values[0])
        if seen[index - 1]:
            raise ProblemError(field, f"node {index} listed twice")
        seen[index - 1] = True
        coords[index - 1] = values[1:]
    if not seen.all():
        missing = int(np.flatnonzero(~seen)[0]) + 1
        raise ProblemError(field, f"truncated: {int(seen.sum())} of {n} nodes given (node {missing} missing)")
    if not np.isfinite(coords).all():
        raise ProblemError(field, "coordinates must be finite numbers")
    return coords


def _explicit_matrix(lines: list[str], n: int, fmt: str) -> np.ndarray:
    values = _numbers(lines, "EDGE_WEIGHT_SECTION")
    expected = {
        "FULL_MATRIX": n * n,
        "UPPER_ROW": n * (n - 1) // 2,
        "LOWER_ROW": n * (n - 1) // 2,
        "UPPER_DIAG_ROW": n * (n + 1) // 2,
        "LOWER_DIAG_ROW": n * (n + 1) // 2,
    }[fmt]
    if len(values) != expected:
        what = "truncated" if len(values) < expected else "too long"
        raise ProblemError("EDGE_WEIGHT_SECTION",
                           f"{what}: {fmt} of dimension {n} needs {expected} numbers, got {len(values)}")
    weights = np.asarray(values)
    if not np.all(np.isfinite(weights) & (weights == np.round(weights))):
        raise ProblemError("EDGE_WEIGHT_SECTION", "TSPLIB explicit weights must be integers")
    if weights.min() < 0:
        raise ProblemError("EDGE_WEIGHT_SECTION", f"weights must be non-negative, got {weights.min():g}")
    check_tour_bound(n, float(weights.max()), True, "EDGE_WEIGHT_SECTION")
    weights = weights.astype(np.int64)
    if fmt == "FULL_MATRIX":
        matrix = weights.reshape(n, n)
        if not np.array_equal(matrix, matrix.T):
            i, j = np.argwhere(matrix != matrix.T)[0]
            raise ProblemError("EDGE_WEIGHT_SECTION", f"FULL_MATRIX must be symmetric (asymmetric TSP is not "
                                                      f"supported): row {i + 1} column {j + 1} is {matrix[i, j]} "
                                                      f"but row {j + 1} column {i + 1} is {matrix[j, i]}")
    else:
        matrix = np.zeros((n, n), dtype=np.int64)
        # Row-major order of the upper triangle equals column-major order of the
        # lower one, so LOWER_* formats fill the lower triangle row by row.
        if fmt in ("UPPER_ROW", "LOWER_ROW"):
            rows, cols = np.triu_indices(n, 1) if fmt == "UPPER_ROW" else np.tril_indices(n, -1)
        else:
            rows, cols = np.triu_indices(n) if fmt == "UPPER_DIAG_ROW" else np.tril_indices(n)
        matrix[rows, cols] = weights
        matrix[cols, rows] = weights
    if np.diag(matrix).any():
        i = int(np.flatnonzero(np.diag(matrix))[0])
        raise ProblemError("EDGE_WEIGHT_SECTION", f"the diagonal must be 0, city {i + 1} has {matrix[i, i]}")
    return matrix


def nint(x: np.ndarray) -> np.ndarray:
    """TSPLIB's ``nint``: ``(int)(x + 0.5)`` for non-negative x."""
    return np.floor(x + 0.5).astype(np.int64)


def coordinate_distances(coords: np.ndarray, weight_type: str) -> np.ndarray:
    """Integer distance matrix of ``coords`` under a TSPLIB weight type.

    Coordinates so far apart that ``n`` times the longest distance exceeds
    ``2**53`` (or is infinite) raise :class:`ProblemError` for ``NODE_COORD_SECTION``.

    >>> coordinate_distances(np.array([[0.0, 0.0], [1.0, 1.0]]), "CEIL_2D").tolist()
    [[0, 2], [2, 0]]
    """
    x, y = coords[:, 0], coords[:, 1]
    if weight_type == "GEO":
        lat, lon = _geo_radians(x), _geo_radians(y)
        q1 = np.cos(lon[:, None] - lon[None, :])
        q2 = np.cos(lat[:, None] - lat[None, :])
        q3 = np.cos(lat[:, None] + lat[None, :])
        arg = np.clip(0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3), -1.0, 1.0)
        d = (6378.388 * np.arccos(arg) + 1.0).astype(np.int64)  # at most half the equator
        np.fill_diagonal(d, 0)  # TSPLIB's formula gives 1 on the diagonal; a city is 0 from itself
        return d
    if weight_type not in COORDINATE_TYPES:
        raise ProblemError("EDGE_WEIGHT_TYPE", f"unsupported type {weight_type!r}")
    with np.errstate(over="ignore"):  # far-apart cities give inf, rejected below
        dx = x[:, None] - x[None, :]
        dy = y[:, None] - y[None, :]
        squared = dx * dx + dy * dy
    r = np.sqrt(squared / 10.0) if weight_type == "ATT" else np.sqrt(squared)
    # before the integer cast; rounding up adds less than 1 to the longest edge
    check_tour_bound(len(coords), float(r.max()) + 1.0, True, "NODE_COORD_SECTION")
    if weight_type == "EUC_2D":
        return nint(r)
    if weight_type == "CEIL_2D":
        return np.ceil(r).astype(np.int64)
    t = nint(r)  # ATT: pseudo-Euclidean, rounded up
    return np.where(t < r, t + 1, t)


def _geo_radians(values: np.ndarray) -> np.ndarray:
    """DDD.MM (degrees, minutes) to radians with TSPLIB's PI = 3.141592."""
    degrees = np.trunc(values)
    minutes = values - degrees
    return 3.141592 * (degrees + 5.0 * minutes / 3.0) / 180.0


__all__ = ["TsplibInstance", "read_tsplib", "parse_tsplib", "coordinate_distances", "nint"]
