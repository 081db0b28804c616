"""Travelling salesman: instance, one-hot QUBO, and an honest decoder.

Two routes solve a :class:`TravelingSalesman`:

* **QUBO route** - :meth:`TravelingSalesman.to_bqm` builds the position-based
  formulation: binary ``(c, p)`` is 1 when city ``c`` is visited at step ``p``.
  City 0 is pinned to step 0, so ``n`` cities need ``(n - 1)**2`` variables for
  ``c, p in 1..n-1``. The energy is the tour length plus ``lagrange`` times the
  squared one-hot violations of every row (city) and column (step).
* **Native route** - anneal permutations directly
  (``solvers.tour.TourAnnealer``); :meth:`TravelingSalesman.decode` also
  accepts the plain tour it returns.

Automatic penalty (:meth:`TravelingSalesman.default_lagrange`):
``LAGRANGE_FACTOR * longest edge`` with ``LAGRANGE_FACTOR = 1.5``. Any weight
strictly above the longest edge makes every ground state a valid tour: from an
infeasible sample, deleting a bit from an over-full row or column never raises
the energy (the penalty drops by at least as much as it rises and distances are
non-negative), and then filling an empty row/column pair lowers the penalty by
``2 * lagrange`` while adding at most two edges, ``<= 2 * longest edge``. So
every broken sample has a valid tour strictly below it. The margin of 1.5 keeps
that strict for float distances and makes broken states less attractive to
heuristic samplers without flattening the tour-length landscape too much.

>>> tsp = TravelingSalesman(coordinates=[[0, 0], [0, 1], [1, 1], [1, 0]])
>>> bqm = tsp.to_bqm()
>>> len(bqm.variables), round(tsp.default_lagrange(), 4)
(9, 2.1213)
>>> sample = {(c, p): int(c == p) for c in range(1, 4) for p in range(1, 4)}
>>> answer = tsp.decode(sample)
>>> answer.feasible, answer.tour, answer.length
(True, [0, 1, 2, 3], 4.0)
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import dimod
import numpy as np
from scipy.optimize import linear_sum_assignment

from problems._checks import check_magnitude, check_tour_bound, real_number
from problems._sample import pick_sample, read_values
from problems.base import Answer, Problem
from problems.errors import ProblemError
from problems.tsplib import MAX_CITIES, read_tsplib

#: Automatic penalty = LAGRANGE_FACTOR * longest edge (any factor > 1 is sound).
LAGRANGE_FACTOR = 1.5


@dataclasses.dataclass
class TourAnswer(Answer):
    """A decoded tour. ``tour`` starts at city 0; ``None`` when infeasible.

    ``violations`` names every broken one-hot row/column (or, for a plain
    tour, every missing/repeated city); ``repaired`` is True when ``tour`` was
    rebuilt from a broken sample; ``lagrange`` is the penalty weight of the
    BQM the sample came from (None for a plain tour).
    """

    objective: float | None
    tour: list[int] | None
    length: float | None
    violations: list[str]
    repaired: bool
    lagrange: float | None


class TravelingSalesman(Problem):
    """A symmetric TSP given by coordinates, a distance matrix or a TSPLIB file.

    Coordinates give Euclidean (float) distances; TSPLIB input gives the
    TSPLIB-rounded integer distances of its ``EDGE_WEIGHT_TYPE``. At most
    ``MAX_CITIES`` cities; ``n`` times the longest edge (a bound on every tour)
    must be finite and at most ``1e150``, or ``2**53`` for integer distances
    (:func:`problems._checks.check_tour_bound`), else :class:`ProblemError`
    names ``coordinates`` or ``distance_matrix``.

    >>> TravelingSalesman(distance_matrix=[[0, 2, 9], [2, 0, 6], [9, 6, 0]]).tour_length([0, 2, 1])
    17
    """

    kind: ClassVar[str] = "tsp"

    def __init__(self, coordinates=None, distance_matrix=None, *, name: str = ""):
        if (coordinates is None) == (distance_matrix is None):
            raise ProblemError("coordinates", "give exactly one of coordinates or distance_matrix")
        self.name = name
        if coordinates is not None:
            self.coordinates = _coordinates(coordinates)
            with np.errstate(over="ignore"):  # far-apart cities give inf, rejected below
                diff = self.coordinates[:, None, :] - self.coordinates[None, :, :]
                self.distance_matrix = np.sqrt((diff * diff).sum(axis=-1))
            check_tour_bound(self.num_cities, float(self.distance_matrix.max()), False, "coordinates")
        else:
            self.coordinates = None
            self.distance_matrix = _distance_matrix(distance_matrix)
        self.distance_matrix.setflags(write=False)

    @classmethod
    def from_tsplib(cls, path_or_text: str | Path) -> TravelingSalesman:
        """Read a TSPLIB95 file (path) or its text; distances are TSPLIB-rounded integers."""
        instance = read_tsplib(path_or_text)
        problem = cls(distance_matrix=instance.distances, name=instance.name)
        problem.coordinates = instance.coordinates
        return problem

    @property
    def num_cities(self) -> int:
        return len(self.distance_matrix)

    def tour_length(self, tour: Sequence[int]):
        """Length of the closed tour visiting ``tour`` in order (exact int for integer matrices)."""
        order = np.asarray(tour, dtype=np.int64)
        length = self.distance_matrix[order, np.roll(order, -1)].sum()
        return length.item()

    def default_lagrange(self) -> float:
        """The automatic penalty weight: ``LAGRANGE_FACTOR`` times the longest edge."""
        longest = float(self.distance_matrix.max())
        return LAGRANGE_FACTOR * longest if longest > 0 else 1.0

    def to_bqm(self, lagrange: float | None = None) -> dimod.BinaryQuadraticModel:
        """Position-based one-hot QUBO over ``(city, step)`` for city, step in 1..n-1.

        ``lagrange`` defaults to :meth:`default_lagrange`. Like any model, the
        result must keep its summed ``|coefficients|`` (about ``4 n**3`` times
        the penalty) within ``1e150`` (:data:`problems._checks.MAX_MAGNITUDE`),
        else :class:`ProblemError` names ``lagrange`` if given, else ``distance_matrix``.
        """
        penalty = self._check_lagrange(lagrange)
        n = self.num_cities
        d = self.distance_matrix
        bqm = dimod.BinaryQuadraticModel(dimod.BINARY)
        free = range(1, n)
        for c in free:
            for p in free:
                linear = -2.0 * penalty  # from penalty*(1 - row)^2 + penalty*(1 - col)^2
                if p == 1:
                    linear += d[0, c]
                if p == n - 1:
                    linear += d[c, 0]
                bqm.add_variable((c, p), linear)
        for c in free:  # one step per city: pairs within a row
            for p, q in itertools.combinations(free, 2):
                bqm.add_interaction((c, p), (c, q), 2.0 * penalty)
        for p in free:  # one city per step: pairs within a column
            for c, e in itertools.combinations(free, 2):
                bqm.add_interaction((c, p), (e, p), 2.0 * penalty)
        for p in range(1, n - 1):  # consecutive steps
            for c in free:
                for e in free:
                    if c != e and d[c, e] != 0:
                        bqm.add_interaction((c, p), (e, p + 1), float(d[c, e]))
        bqm.offset += 2.0 * (n - 1) * penalty
        linear, (_, _, quadratic), offset = bqm.to_numpy_vectors()
        check_magnitude(np.concatenate([linear, quadratic, [offset]]),
                        "distance_matrix" if lagrange is None else "lagrange", what="QUBO coefficients")
        return bqm

    def decode(self, sample_or_sampleset, repair: bool = False, lagrange: float | None = None) -> TourAnswer:
        """Turn a BQM sample (or a SampleSet's best), or a plain tour, into a :class:`TourAnswer`.

        A QUBO sample is a mapping ``(city, step) -> 0/1`` or a SampleSet. A broken
        sample comes back ``feasible=False`` with ``tour=None`` and its
        violations, unless ``repair=True``: then the Hamming-nearest valid tour
        is returned with ``repaired=True`` (violations still list what broke).
        ``lagrange`` only labels the answer (default: :meth:`default_lagrange`).

        A plain tour (a ``TourResult``, or a sequence of ``n`` city indices) comes
        back with one violation per missing or repeated city. Anything else is a
        :class:`ProblemError`, in particular an unlabelled 0/1 vector such as a row
        of ``sampleset.record.sample``: pass the SampleSet or
        ``dict(zip(sampleset.variables, row))`` instead.

        >>> tsp = TravelingSalesman(distance_matrix=[[0, 1, 2], [1, 0, 3], [2, 3, 0]])
        >>> tsp.decode([1, 2, 0]).tour
        [0, 1, 2]
        >>> tsp.decode(np.array([1, 0, 0, 1], dtype=np.int8))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        problems.errors.ProblemError: sample: 4 values in 0/1 look like an unlabelled QUBO sample ...
        """
        if not isinstance(sample_or_sampleset, (Mapping, dimod.SampleSet)):
            return self._decode_tour(getattr(sample_or_sampleset, "tour", sample_or_sampleset))
        sample = pick_sample(sample_or_sampleset)
        n = self.num_cities
        variables = [(c, p) for c in range(1, n) for p in range(1, n)]
        grid = read_values(sample, variables, {0, 1}).reshape(n - 1, n - 1).astype(np.int64)
        violations = _grid_violations(grid)
        label = self._check_lagrange(lagrange)
        if not violations:
            order = [0] + [int(np.argmax(grid[:, p])) + 1 for p in range(n - 1)]
            return self._answer(order, [], False, label)
        if not repair:
            return TourAnswer(False, None, None, None, violations, False, label)
        _, steps = linear_sum_assignment(grid, maximize=True)  # row c-1 -> step index
        order = [0] * n
        for row, step in enumerate(steps):
            order[step + 1] = row + 1
        return self._answer(order, violations, True, label)

    def _decode_tour(self, tour) -> TourAnswer:
        n = self.num_cities
        if isinstance(tour, (str, bytes)) or not isinstance(tour, (Sequence, np.ndarray)) \
                or (isinstance(tour, np.ndarray) and tour.ndim != 1):
            raise ProblemError("sample", "expected a SampleSet, a mapping (city, step) -> 0/1, a TourResult or a "
                                         f"tour (a flat sequence of the {n} city indices), got {type(tour).__name__}")
        tour = list(tour)
        if len(tour) == (n - 1) ** 2 and all(_is_bit(v) for v in tour):  # never n: (n-1)**2 != n for any n
            raise ProblemError("sample", f"{len(tour)} values in 0/1 look like an unlabelled QUBO sample (e.g. a row "
                                         f"of sampleset.record.sample), not a tour of {n} cities; pass the SampleSet "
                                         "or dict(zip(sampleset.variables, row))")
        if len(tour) != n:
            raise ProblemError("tour", f"a tour lists each of the {n} cities once, got {len(tour)} entries")
        violations = []
        counts = np.zeros(n, dtype=np.int64)
        for city in tour:
            if isinstance(city, (bool, np.bool_)) or not isinstance(city, (int, np.integer)) or not 0 <= city < n:
                raise ProblemError("tour", f"city {city!r} is not an index in 0..{n - 1}")
            counts[city] += 1
        violations += [f"city {c} is never visited" for c in np.flatnonzero(counts == 0)]
        violations += [f"city {c} is visited {counts[c]} times" for c in np.flatnonzero(counts > 1)]
        if violations:
            return TourAnswer(False, None, None, None, violations, False, None)
        start = tour.index(0)
        return self._answer([int(c) for c in tour[start:] + tour[:start]], [], False, None)

    def _answer(self, order, violations, repaired, lagrange) -> TourAnswer:
        length = self.tour_length(order)
        return TourAnswer(True, length, order, length, violations, repaired, lagrange)

    def _check_lagrange(self, lagrange) -> float:
        if lagrange is None:
            return self.default_lagrange()
        value = real_number(lagrange, "lagrange")
        if value <= 0:
            raise ProblemError("lagrange", f"must be positive, got {lagrange!r}")
        check_magnitude([value], "lagrange")
        return value


def _is_bit(value) -> bool:
    return isinstance(value, (int, np.integer, np.bool_)) and value in (0, 1)


def _grid_violations(grid: np.ndarray) -> list[str]:
    """Broken one-hot rows (cities) and columns (steps) of a (city-1, step-1) grid."""
    violations = []
    for row, count in enumerate(grid.sum(axis=1)):
        if count != 1:
            steps = [int(s) + 1 for s in np.flatnonzero(grid[row])]
            violations.append(f"city {row + 1} is assigned to {count} steps {steps} (must be exactly 1)")
    for col, count in enumerate(grid.sum(axis=0)):
        if count != 1:
            cities = [int(c) + 1 for c in np.flatnonzero(grid[:, col])]
            violations.append(f"step {col + 1} holds {count} cities {cities} (must be exactly 1)")
    return violations


def _coordinates(coordinates) -> np.ndarray:
    try:
        coords = np.array(coordinates)
    except (TypeError, ValueError):
        raise ProblemError("coordinates", "must be a list of [x, y] number pairs") from None
    if coords.ndim != 2 or coords.shape[1] != 2:
        raise ProblemError("coordinates", f"must have shape (n, 2), got {coords.shape}")
    if not _is_real_array(coords):
        raise ProblemError("coordinates", "must be a list of [x, y] number pairs")
    _check_count(len(coords), "coordinates")
    coords = coords.astype(float)
    bad = np.flatnonzero(~np.isfinite(coords).all(axis=1))
    if bad.size:
        raise ProblemError(f"coordinates[{bad[0]}]", "must be finite numbers (NaN or inf given)")
    return coords


def _distance_matrix(matrix) -> np.ndarray:
    try:
        d = np.array(matrix)
    except (TypeError, ValueError):
        raise ProblemError("distance_matrix", "must be a square list of lists of numbers") from None
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise ProblemError("distance_matrix", f"must be square, got shape {d.shape}")
    if not _is_real_array(d):
        raise ProblemError("distance_matrix", "entries must be numbers")
    _check_count(len(d), "distance_matrix")
    exact = np.issubdtype(d.dtype, np.integer)
    if not np.isfinite(d).all():
        i, j = np.argwhere(~np.isfinite(d))[0]
        raise ProblemError(f"distance_matrix[{i}][{j}]", "must be finite")
    if (d < 0).any():
        i, j = np.argwhere(d < 0)[0]
        raise ProblemError(f"distance_matrix[{i}][{j}]", f"distances must be non-negative, got {d[i, j]}")
    if (np.diag(d) != 0).any():
        i = int(np.flatnonzero(np.diag(d))[0])
        raise ProblemError(f"distance_matrix[{i}][{i}]", f"diagonal must be 0, got {d[i, i]}")
    if not np.array_equal(d, d.T):
        i, j = np.argwhere(d != d.T)[0]
        raise ProblemError("distance_matrix",
                           f"must be symmetric (asymmetric TSP is not supported): "
                           f"[{i}][{j}] = {d[i, j]} but [{j}][{i}] = {d[j, i]}")
    check_tour_bound(len(d), float(d.max()), exact, "distance_matrix")
    return d.astype(np.int64 if exact else float)


def _is_real_array(array: np.ndarray) -> bool:
    """Integer or float entries (not bool, complex, str or object)."""
    return array.dtype != bool and (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating))


def _check_count(n: int, field: str) -> None:
    if n < 2:
        raise ProblemError(field, f"need at least 2 cities, got {n}")
    if n > MAX_CITIES:
        raise ProblemError(field, f"at most {MAX_CITIES} cities (the distance matrix is dense), got {n}")
