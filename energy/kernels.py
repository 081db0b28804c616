"""The innermost numba kernels on CSR Ising arrays (see :mod:`energy.model`).

Conventions: ``E(s) = offset + sum_i h_i s_i + sum_{i<j} J_ij s_i s_j``; the
local field is ``f_i = h_i + sum_j J_ij s_j``; flipping spin ``i`` changes the
energy by ``dE = -2 s_i f_i``. Sweep kernels update ``spins`` and ``fields`` in
place, draw from a per-read xoshiro state (:mod:`energy.rng`) and return the
number of accepted flips. The annealers and Hopfield recall call these same
kernels; the zero-temperature limit is :func:`greedy_sweep`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from energy.rng import rng_uniform

# exp(-x) for x beyond this is below 1e-22: never accepted by a double uniform.
_MAX_EXPONENT = 50.0


@njit(cache=True, nogil=True, parallel=True)
def batch_energies(states, h, indptr, indices, data, offset):
    """Energy of every row of ``states`` (int8 spins)."""
    m, n = states.shape
    out = np.empty(m, dtype=np.float64)
    for r in prange(m):
        energy = offset
        for i in range(n):
            si = states[r, i]
            acc = h[i]
            for k in range(indptr[i], indptr[i + 1]):
                j = indices[k]
                if j > i:
                    acc += data[k] * states[r, j]
            energy += si * acc
        out[r] = energy
    return out


@njit(cache=True, nogil=True)
def local_fields(spins, h, indptr, indices, data):
    """``f_i = h_i + sum_j J_ij s_j`` for one configuration."""
    n = h.shape[0]
    fields = np.empty(n, dtype=np.float64)
    for i in range(n):
        acc = h[i]
        for k in range(indptr[i], indptr[i + 1]):
            acc += data[k] * spins[indices[k]]
        fields[i] = acc
    return fields


@njit(cache=True, nogil=True, inline="always")
def flip_delta(spins, fields, i):
    """Energy change of flipping spin ``i`` given current local fields."""
    return -2.0 * spins[i] * fields[i]


@njit(cache=True, nogil=True, inline="always")
def apply_flip(spins, fields, i, indptr, indices, data):
    """Flip spin ``i`` and update its neighbours' local fields."""
    delta = -2.0 * spins[i]
    spins[i] = -spins[i]
    for k in range(indptr[i], indptr[i + 1]):
        fields[indices[k]] += data[k] * delta


@njit(cache=True, nogil=True)
def metropolis_sweep(spins, fields, beta, indptr, indices, data, order, rng):
    """One Metropolis sweep over ``order``: accept with ``min(1, exp(-beta dE))``."""
    accepted = 0
    for idx in range(order.shape[0]):
        i = order[idx]
        delta = -2.0 * spins[i] * fields[i]
        if delta <= 0.0:
            apply_flip(spins, fields, i, indptr, indices, data)
            accepted += 1
        else:
            x = beta * delta
            if x < _MAX_EXPONENT and rng_uniform(rng) < math.exp(-x):
                apply_flip(spins, fields, i, indptr, indices, data)
                accepted += 1
    return accepted


@njit(cache=True, nogil=True)
def glauber_sweep(spins, fields, beta, indptr, indices, data, order, rng):
    """One heat-bath (Glauber) sweep: accept a flip with ``1 / (1 + exp(beta dE))``."""
    accepted = 0
    for idx in range(order.shape[0]):
        i = order[idx]
        x = beta * (-2.0 * spins[i] * fields[i])
        if x < -_MAX_EXPONENT:
            p = 1.0
        elif x > _MAX_EXPONENT:
            p = 0.0
        else:
            p = 1.0 / (1.0 + math.exp(x))
        if rng_uniform(rng) < p:
            apply_flip(spins, fields, i, indptr, indices, data)
            accepted += 1
    return accepted


@njit(cache=True, nogil=True)
def greedy_sweep(spins, fields, indptr, indices, data, order):
    """Zero-temperature sweep: flip only when the energy strictly falls."""
    flipped = 0
    for idx in range(order.shape[0]):
        i = order[idx]
        if spins[i] * fields[i] > 0.0:
            apply_flip(spins, fields, i, indptr, indices, data)
            flipped += 1
    return flipped
