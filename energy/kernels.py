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

from energy.rng import rng_step, rng_uniform, uniform_from_bits

# exp(-x) for x beyond this is below 1e-22: never accepted by a double uniform.
_MAX_EXPONENT = 50.0
# exp(-x) < 2**-53 beyond this: only the uniform draw exactly 0.0 (probability
# 2**-53) could accept, so :func:`metropolis_anneal` rejects without drawing.
_SKIP_EXPONENT = 53.0 * math.log(2.0)


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


@njit(cache=True, nogil=True, inline="always")
def accepts(u, x):
    """``u < exp(-x)`` for ``x > 0``, calling ``exp`` only when cheap bounds cannot decide.

    ``1 - x <= exp(-x) <= 1 / (1 + x + x^2/2 + x^3/6)``: hot moves (small ``x``)
    are mostly accepted by the first bound, cold ones mostly rejected by the second.
    """
    if u * (1.0 + x * (1.0 + x * (0.5 + x * (1.0 / 6.0)))) >= 1.0:
        return False
    return u < 1.0 - x or u < math.exp(-x)


@njit(cache=True, nogil=True)
def metropolis_anneal(spins, fields, betas, indptr, indices, data, rng, energy, best_spins, best_energy):
    """One Metropolis sweep in index order per entry of ``betas``, tracking the best state.

    The fast path of simulated annealing: the xoshiro state lives in locals for
    the whole call, the energy is updated per flip, and a move with
    ``beta dE > 53 ln 2`` is rejected without a draw; ``exp`` is evaluated only
    when two bounds on it cannot decide (see :func:`accepts`); unsigned
    ``indices`` (uint32) save a sign check per neighbour. ``energy`` is the energy
    of ``spins``; after every sweep a state below ``best_energy`` is copied to
    ``best_spins``. Returns ``(accepted, energy, best_energy)``.

    >>> import numpy as np
    >>> from energy.model import IsingModel
    >>> from energy.rng import rng_seed
    >>> m = IsingModel.from_arrays(np.zeros(2), [0], [1], [1.0])
    >>> s = np.array([1, 1], dtype=np.int8); f = m.local_fields(s)
    >>> out = metropolis_anneal(s, f, np.full(3, 5.0), m.indptr, m.indices, m.data, rng_seed(1, 0),
    ...                         1.0, s.copy(), 1.0)
    >>> float(out[2])
    -1.0
    """
    n = spins.shape[0]
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    accepted = 0
    for b in range(betas.shape[0]):
        beta = betas[b]
        cutoff = _SKIP_EXPONENT / beta if beta > 0.0 else np.inf
        for i in range(n):
            delta = -2.0 * spins[i] * fields[i]
            if delta > 0.0:
                if delta >= cutoff:
                    continue
                bits, s0, s1, s2, s3 = rng_step(s0, s1, s2, s3)
                if not accepts(uniform_from_bits(bits), beta * delta):
                    continue
            step = 2.0 * spins[i]
            spins[i] = -spins[i]
            for k in range(indptr[i], indptr[i + 1]):
                fields[indices[k]] -= data[k] * step
            energy += delta
            accepted += 1
        if energy < best_energy:
            best_energy = energy
            best_spins[:] = spins
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return accepted, energy, best_energy
