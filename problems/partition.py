"""Number partitioning as an Ising model, with Karmarkar-Karp as the classical reference.

Split the numbers into two subsets with sums as close as possible. With
``s_i = +-1`` for the subset of ``a_i``, the difference is ``|sum_i a_i s_i|`` and
its square ``sum_i a_i^2 + 2 sum_{i<j} a_i a_j s_i s_j`` is the Ising energy.
"""

from __future__ import annotations

import copy
import dataclasses
import heapq
import math
import numbers
from collections.abc import Mapping
from functools import cached_property, reduce

import dimod
import numpy as np

from problems._checks import check_magnitude
from problems._sample import pick_sample, read_spins
from problems.base import Answer, Problem
from problems.errors import ProblemError
from problems.formats import MAX_EXACT_INT

MAX_BQM_NUMBERS = 5000
"""The Ising form is dense (n(n-1)/2 couplings); beyond this, use Karmarkar-Karp alone."""


@dataclasses.dataclass
class PartitionAnswer(Answer):
    """Two subsets: index ``k`` goes to ``subsets[1]`` if its spin is +1, else ``subsets[0]``.

    ``energy`` is the BQM energy of the sample, ``(difference / scale)**2``.
    """

    subsets: list
    indices: list
    difference: float
    energy: float
    karmarkar_karp: dict


class NumberPartitioning(Problem):
    """Partition ``numbers`` into two subsets of (nearly) equal sum.

    Numbers are ints (any size) or finite floats; negative numbers are allowed
    (the objective ``|sum(A) - sum(B)|`` is then that of ``|a_i|`` with those
    items switched to the other side). NaN/inf, bools, non-numbers and an empty
    list raise :class:`ProblemError` naming ``numbers[k]``. With any float among
    them, ``sum |a_i|`` must be at most ``1e150`` (the bound of
    :data:`problems._checks.MAX_MAGNITUDE`; a single number over it names
    ``numbers[k]``, the sum ``numbers``).

    Precision: the decoded ``difference`` is exact (Python ints, or ``math.fsum``
    for floats). For all-integer input the BQM is built from ``a_i / scale`` with
    ``scale = gcd(numbers)``, so its coefficients and every energy are exact
    integers in float64; :meth:`to_bqm` raises :class:`ProblemError` when
    ``(sum |a_i| / scale)**2 > 2**53``, beyond which float64 energies of
    different partitions can round together. Float input is divided by
    ``scale``, the power of two just above ``max |a_i|`` (exact in binary
    floating point), so the coefficients are below 1 in magnitude and neither
    subnormal numbers such as ``5e-324`` underflow when squared nor large ones
    overflow; beyond that, float64's usual rounding. The BQM is dense, so
    :meth:`to_bqm` also refuses more than ``MAX_BQM_NUMBERS`` numbers;
    :attr:`karmarkar_karp` and :meth:`decode` work at any size.

    >>> problem = NumberPartitioning([8, 7, 6, 5, 4])
    >>> problem.karmarkar_karp["difference"]
    2
    >>> problem.decode({0: 1, 1: 1, 2: -1, 3: -1, 4: -1}).difference
    0
    """

    kind = "partition"

    def __init__(self, numbers):
        if isinstance(numbers, (str, bytes, Mapping)) or not hasattr(numbers, "__iter__"):
            raise ProblemError("numbers", f"expected a list of numbers, got {type(numbers).__name__}")
        values = [_number(value, f"numbers[{k}]") for k, value in enumerate(numbers)]
        if not values:
            raise ProblemError("numbers", "at least one number is required")
        self.exact = all(isinstance(value, int) for value in values)
        if not self.exact:
            values = [_as_float(value, f"numbers[{k}]") for k, value in enumerate(values)]
            check_magnitude(values, "numbers", lambda k: f"numbers[{k}]", "numbers")
        self.numbers = values
        self.scale = (reduce(math.gcd, values) or 1) if self.exact else _binary_scale(values)

    def to_bqm(self) -> dimod.BinaryQuadraticModel:
        """SPIN BQM ``(sum_i (a_i / scale) s_i)**2`` on variables ``0..n-1``."""
        if len(self.numbers) > MAX_BQM_NUMBERS:
            raise ProblemError(
                "numbers",
                f"{len(self.numbers)} numbers make a dense model with too many couplings; "
                f"at most {MAX_BQM_NUMBERS} are compiled",
            )
        if self.exact:
            scaled = [value // self.scale for value in self.numbers]
            bound = sum(abs(value) for value in scaled) ** 2
            if bound > MAX_EXACT_INT:
                raise ProblemError(
                    "numbers",
                    f"too large for an exact float64 model: (sum |a_i| / gcd)^2 is about "
                    f"2^{bound.bit_length()}, over 2^53, so energies of different partitions could "
                    f"round to the same value; scale the numbers down (the difference would then "
                    f"be approximate)",
                )
            coefficients = np.array(scaled, dtype=np.float64)
        else:
            coefficients = np.array(self.numbers, dtype=np.float64) / self.scale
        n = len(coefficients)
        rows, cols = np.triu_indices(n, k=1)
        return dimod.BinaryQuadraticModel.from_numpy_vectors(
            np.zeros(n),
            (rows, cols, 2.0 * coefficients[rows] * coefficients[cols]),
            float(coefficients @ coefficients),
            dimod.SPIN,
            variable_order=range(n),
        )

    def decode(self, sample_or_sampleset) -> PartitionAnswer:
        """Subsets of a sample on ``0..n-1`` (spins, or bits read as -1/+1) or a SampleSet's best."""
        spins = read_spins(pick_sample(sample_or_sampleset), range(len(self.numbers))).tolist()
        indices = [
            [k for k, s in enumerate(spins) if s < 0],
            [k for k, s in enumerate(spins) if s > 0],
        ]
        difference = self._difference(indices)
        return PartitionAnswer(
            feasible=True,
            objective=difference,
            subsets=self._subsets(indices),
            indices=indices,
            difference=difference,
            energy=self._energy(difference),
            karmarkar_karp=copy.deepcopy(self.karmarkar_karp),
        )

    @cached_property
    def karmarkar_karp(self) -> dict:
        """Karmarkar-Karp largest differencing: ``{"difference", "subsets", "indices"}``."""
        indices = karmarkar_karp(self.numbers)
        return {
            "difference": self._difference(indices),
            "subsets": self._subsets(indices),
            "indices": indices,
        }

    def _difference(self, indices):
        signed = [-self.numbers[k] for k in indices[0]] + [self.numbers[k] for k in indices[1]]
        return abs(sum(signed)) if self.exact else abs(math.fsum(signed))

    def _energy(self, difference) -> float:
        if not self.exact:
            return (difference / self.scale) ** 2
        try:
            return float((difference // self.scale) ** 2)
        except OverflowError:
            return math.inf

    def _subsets(self, indices) -> list:
        return [[self.numbers[k] for k in side] for side in indices]


def karmarkar_karp(numbers) -> list[list[int]]:
    """Indices of the two subsets found by largest differencing (O(n log n)).

    Repeatedly replace the two largest magnitudes by their difference, which
    commits those two items to opposite sides; 2-colouring the resulting tree
    gives the subsets. Negative numbers are differenced by magnitude and then
    switched to the other side.

    >>> karmarkar_karp([8, 7, 6, 5, 4])
    [[1, 3, 4], [0, 2]]
    """
    n = len(numbers)
    heap = [(-abs(value), k) for k, value in enumerate(numbers)]
    heapq.heapify(heap)
    opposite = [[] for _ in range(n)]
    while len(heap) > 1:
        larger, keep = heapq.heappop(heap)
        smaller, other = heapq.heappop(heap)
        opposite[keep].append(other)
        opposite[other].append(keep)
        heapq.heappush(heap, (larger - smaller, keep))
    side = [0] * n
    seen = [False] * n
    stack = [heap[0][1]]
    seen[heap[0][1]] = True
    while stack:
        node = stack.pop()
        for neighbour in opposite[node]:
            if not seen[neighbour]:
                seen[neighbour] = True
                side[neighbour] = 1 - side[node]
                stack.append(neighbour)
    for k, value in enumerate(numbers):
        if value < 0:
            side[k] = 1 - side[k]
    return [[k for k in range(n) if side[k] == 0], [k for k in range(n) if side[k] == 1]]


def _binary_scale(values: list[float]) -> float:
    """The power of two just above ``max |a_i|`` (1 if all are 0); dividing by it is exact."""
    largest = max(abs(value) for value in values)
    return math.ldexp(1.0, math.frexp(largest)[1]) if largest else 1.0


def _number(value, field: str):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ProblemError(field, f"must be an int or float, got {value!r}")
    if isinstance(value, numbers.Integral):
        return int(value)
    result = float(value)
    if not math.isfinite(result):
        raise ProblemError(field, f"must be finite, got {value!r}")
    return result


def _as_float(value, field: str) -> float:
    try:
        return float(value)
    except OverflowError:
        raise ProblemError(field, f"{value} is too large for a float") from None
