"""Checks of input values, each raising ProblemError with the field's name.

Size rule for numbers (:data:`MAX_MAGNITUDE`): a model's coefficients must be
finite, and the sum of their absolute values - the largest energy any state
can have - at most ``1e150``. Then every energy, energy difference and square
of one (``1e300``) is finite in float64, however a sampler combines them.
Tiny numbers are fine: subnormals such as ``5e-324`` are accepted as given.
For a tour the bound is on the longest possible tour, ``n`` times the longest
edge; integer distances must keep it at most ``2**53`` so tour lengths are exact.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from problems.errors import ProblemError
from problems.formats import MAX_EXACT_INT

MAX_MAGNITUDE = 1e150
"""Bound on the summed |coefficients| of a model (see the module docstring)."""


def real_number(value, field: str) -> float:
    """A finite real as float; bools, strings, NaN/inf and inexact huge ints are errors.

    >>> real_number(3, "w"), real_number(-0.5, "w")
    (3.0, -0.5)
    """
    kind = type(value)
    if kind is float and math.isfinite(value):
        return value
    if kind is int and -MAX_EXACT_INT <= value <= MAX_EXACT_INT:
        return float(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ProblemError(field, f"must be a real number, got {value!r}")
    if isinstance(value, numbers.Integral):
        if abs(int(value)) > MAX_EXACT_INT:
            raise ProblemError(field, f"{value} is too large to be exact in float64")
        return float(value)
    result = float(value)
    if not math.isfinite(result):
        raise ProblemError(field, f"must be finite, got {value!r}")
    return result


def vertex_label(value, field: str):
    """A vertex/variable label: int (numpy ints become int), str, or tuple of labels."""
    kind = type(value)
    if kind is int or kind is str:
        return value
    if isinstance(value, (bool, np.bool_)):
        raise ProblemError(field, f"a label must be an int, str or tuple, got bool {value!r}")
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, tuple):
        return tuple(vertex_label(part, field) for part in value)
    raise ProblemError(field, f"a label must be an int, str or tuple, got {value!r}")


def check_magnitude(values, field: str, element=None, what: str = "values") -> None:
    """Every value finite and ``sum |values| <= MAX_MAGNITUDE``.

    ``element(k)`` names the field of entry ``k`` when that entry alone is at
    fault (NaN/inf, or over the bound by itself); the sum is charged to ``field``.
    ``what`` names the values in the message.

    >>> check_magnitude([1e149, -1e149], "edges")
    >>> check_magnitude([1e150, 1e150], "edges")
    Traceback (most recent call last):
    ...
    problems.errors.ProblemError: edges: the sum of |values| is 2e+150, over the bound 1e+150 that keeps energies finite
    """
    flat = np.asarray(values, dtype=np.float64).ravel()
    magnitudes = np.abs(flat)
    bad = np.flatnonzero(~(magnitudes <= MAX_MAGNITUDE))
    if bad.size:
        k = int(bad[0])
        name = element(k) if element else field
        if not math.isfinite(flat[k]):
            raise ProblemError(name, f"must be finite, got {flat[k]}")
        raise ProblemError(name, f"|{flat[k]:g}| is over the bound {MAX_MAGNITUDE:g} that keeps energies finite")
    total = float(magnitudes.sum())
    if total > MAX_MAGNITUDE:
        raise ProblemError(field, f"the sum of |{what}| is {total:g}, over the bound {MAX_MAGNITUDE:g} "
                                  f"that keeps energies finite")


def check_tour_bound(num_cities: int, longest_edge: float, exact: bool, field: str) -> None:
    """``num_cities * longest_edge`` (an upper bound on every tour) finite and in bounds.

    The bound is ``2**53`` for integer distances (lengths stay exact) and
    :data:`MAX_MAGNITUDE` for float ones.
    """
    limit = MAX_EXACT_INT if exact else MAX_MAGNITUDE
    if not math.isfinite(longest_edge):
        raise ProblemError(field, f"distances must be finite, got a longest edge of {longest_edge}")
    if not num_cities * longest_edge <= limit:
        kind = "integer distances (2**53 keeps tour lengths exact)" if exact else "distances"
        raise ProblemError(field, f"{num_cities} cities x longest edge {longest_edge:g} exceed the bound "
                                  f"{limit:g} on tour lengths for {kind}")
