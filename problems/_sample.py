"""Reading one sample out of what a sampler returns, with errors naming the variable."""

from __future__ import annotations

import numpy as np

from problems.base import best_sample
from problems.errors import ProblemError


def pick_sample(sample_or_sampleset):
    """The mapping to decode: the sample itself or a SampleSet's lowest-energy one."""
    try:
        return best_sample(sample_or_sampleset)
    except (TypeError, ValueError) as err:
        raise ProblemError("sample", str(err)) from None


def read_values(sample, variables, allowed) -> np.ndarray:
    """``sample[v]`` for each ``v`` in ``variables`` as int8, each checked to be in ``allowed``.

    Variables of the sample that are not in ``variables`` are ignored.
    """
    values = np.empty(len(variables), dtype=np.int8)
    for k, var in enumerate(variables):
        try:
            value = sample[var]
        except (KeyError, IndexError, TypeError):
            raise ProblemError(f"sample[{var!r}]", "missing from the sample") from None
        try:
            valid = value in allowed
        except TypeError:  # unhashable
            valid = False
        if not valid:
            raise ProblemError(
                f"sample[{var!r}]", f"value {value!r} is not one of {sorted(allowed)}"
            )
        values[k] = value
    return values


def read_spins(sample, variables) -> np.ndarray:
    """Spins (+-1, int8) of ``variables``; binary 0/1 samples are read as -1/+1."""
    values = read_values(sample, variables, {-1, 0, 1})
    values[values == 0] = -1
    return values
