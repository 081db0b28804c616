"""Slow, obviously-correct numpy references that the real code is tested against.

>>> import dimod
>>> bqm = dimod.BinaryQuadraticModel({"a": 1.0}, {("a", "b"): -2.0}, 0.5, "SPIN")
>>> brute_force_ground(bqm)
(-2.5, {'a': -1, 'b': -1})
"""

from __future__ import annotations

import dimod
import numpy as np

MAX_BRUTE_FORCE_VARIABLES = 16


def all_states(num_variables: int, vartype=dimod.SPIN) -> np.ndarray:
    """Every assignment as rows of an int8 matrix (2**n x n), in binary counting order."""
    bits = (np.arange(2**num_variables)[:, None] >> np.arange(num_variables)[None, :]) & 1
    states = bits.astype(np.int8)
    return 2 * states - 1 if dimod.as_vartype(vartype) is dimod.SPIN else states


def energies(bqm: dimod.BinaryQuadraticModel, states: np.ndarray) -> np.ndarray:
    """Energy of each row of ``states`` (columns in ``bqm.variables`` order), term by term."""
    linear, (rows, cols, quadratic), offset = bqm.to_numpy_vectors(bqm.variables)
    x = states.astype(np.float64)
    return offset + x @ linear + (x[:, rows] * x[:, cols]) @ quadratic


def brute_force_ground(bqm: dimod.BinaryQuadraticModel) -> tuple[float, dict]:
    """Lowest energy over all states and the first state reaching it (n <= 16)."""
    n = bqm.num_variables
    if n > MAX_BRUTE_FORCE_VARIABLES:
        raise ValueError(f"brute force is for at most {MAX_BRUTE_FORCE_VARIABLES} variables, got {n}")
    states = all_states(n, bqm.vartype)
    values = energies(bqm, states)
    best = int(np.argmin(values))
    return float(values[best]), dict(zip(bqm.variables, states[best].tolist()))
