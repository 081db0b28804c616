"""Checks of single input values, each raising ProblemError with the field's name."""

from __future__ import annotations

import math
import numbers

import numpy as np

from problems.errors import ProblemError
from problems.formats import MAX_EXACT_INT


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
