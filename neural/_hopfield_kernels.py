"""numba kernels for Hopfield recall on the CSR arrays of :mod:`energy.model`.

The network is handed over as *dynamics* arrays: ``h = -theta`` and a CSR whose
row ``i`` lists every neuron ``j`` whose Ising field changes when spin ``i``
flips, with coefficient ``-W_ji`` (the transpose of ``-W``). For symmetric
weights this is exactly the :class:`energy.model.IsingModel` CSR with
``J = -W``; for asymmetric weights it still drives the fields
``f = h - W s`` correctly through :func:`energy.kernels.apply_flip`, which is
why asymmetric recall runs the same sweep kernels as the annealers.

Energies are ``offset + (h . s + f . s) / 2`` -- equal to
``-1/2 s^T W s - theta . s`` for any ``W`` because ``s^T W s`` only sees the
symmetric part. The caller passes the starting fields (one dense
matrix product for a whole batch, far faster than N^2 scattered updates per
cue); kernels update states and fields in place. Every cue owns the random stream ``rng_seed(seeds[b], 0)``, so
a batch gives identical results whatever the thread count.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from energy.kernels import apply_flip, glauber_sweep, greedy_sweep
from energy.rng import rng_below, rng_seed, rng_uniform

_MAX_EXPONENT = 50.0


@njit(cache=True, nogil=True)
def _energy(spins, fields, h, offset):
    acc = 0.0
    for i in range(spins.shape[0]):
        acc += spins[i] * (fields[i] + h[i])
    return offset + 0.5 * acc


@njit(cache=True, nogil=True)
def _shuffle(order, rng):
    """Fisher-Yates permutation of ``order`` in place."""
    for i in range(order.shape[0] - 1, 0, -1):
        j = rng_below(rng, i + 1)
        tmp = order[i]
        order[i] = order[j]
        order[j] = tmp


@njit(cache=True, nogil=True)
def async_one(spins, fields, h, offset, indptr, indices, data, temperature, max_sweeps, rng, trajectory):
    """Random-order single-spin sweeps until a sweep flips nothing; returns (sweeps, converged)."""
    n = spins.shape[0]
    trajectory[0] = _energy(spins, fields, h, offset)
    order = np.arange(n).astype(np.int64)
    beta = 1.0 / temperature if temperature > 0.0 else 0.0
    for sweep in range(max_sweeps):
        _shuffle(order, rng)
        if temperature > 0.0:
            flips = glauber_sweep(spins, fields, beta, indptr, indices, data, order, rng)
        else:
            flips = greedy_sweep(spins, fields, indptr, indices, data, order)
        trajectory[sweep + 1] = _energy(spins, fields, h, offset)
        if flips == 0:
            return sweep + 1, True
    return max_sweeps, False


@njit(cache=True, nogil=True, parallel=True)
def async_recall(states, fields, h, offset, indptr, indices, data, temperature, max_sweeps, seeds):
    """Asynchronous recall of every row of ``states`` (int8 spins, updated in place) in parallel.

    Returns ``(trajectories, num_sweeps, converged)``; trajectories are
    NaN-padded past each cue's last sweep.
    """
    count = states.shape[0]
    trajectories = np.full((count, max_sweeps + 1), np.nan)
    num_sweeps = np.zeros(count, dtype=np.int64)
    converged = np.zeros(count, dtype=np.bool_)
    for b in prange(count):
        rng = rng_seed(seeds[b], 0)
        sweeps, done = async_one(states[b], fields[b], h, offset, indptr, indices, data, temperature,
                                  max_sweeps, rng, trajectories[b])
        num_sweeps[b] = sweeps
        converged[b] = done
    return trajectories, num_sweeps, converged


@njit(cache=True, nogil=True)
def sync_one(spins, fields, h, offset, indptr, indices, data, temperature, max_sweeps, rng, trajectory, keys):
    """Synchronous updates; returns (steps, converged, cycle_length or 0).

    At zero temperature every visited state is remembered (Zobrist hash plus a
    full comparison), so a return to any earlier state is reported as a cycle
    of exact length; symmetric weights only allow 2-cycles, asymmetric ones
    any length.
    """
    n = spins.shape[0]
    trajectory[0] = _energy(spins, fields, h, offset)
    deterministic = temperature == 0.0
    beta = 1.0 / temperature if temperature > 0.0 else 0.0
    history = np.empty((max_sweeps + 1 if deterministic else 1, n), dtype=np.int8)
    hashes = np.zeros(max_sweeps + 1, dtype=np.uint64)
    state_hash = np.uint64(0)
    for i in range(n):
        if spins[i] > 0:
            state_hash ^= keys[i]
    history[0] = spins
    hashes[0] = state_hash
    target = np.empty(n, dtype=np.int8)
    for step in range(max_sweeps):
        for i in range(n):
            if deterministic:
                target[i] = -spins[i] if spins[i] * fields[i] > 0.0 else spins[i]
            else:
                x = 2.0 * beta * fields[i]  # P(s_i = +1) = 1 / (1 + exp(2 beta f_i))
                if x > _MAX_EXPONENT:
                    p_up = 0.0
                elif x < -_MAX_EXPONENT:
                    p_up = 1.0
                else:
                    p_up = 1.0 / (1.0 + math.exp(x))
                target[i] = 1 if rng_uniform(rng) < p_up else -1
        changed = 0
        for i in range(n):
            if target[i] != spins[i]:
                apply_flip(spins, fields, i, indptr, indices, data)
                state_hash ^= keys[i]
                changed += 1
        trajectory[step + 1] = _energy(spins, fields, h, offset)
        if changed == 0:
            return step + 1, True, 0
        if deterministic:
            for t in range(step + 1):
                if hashes[t] == state_hash:
                    same = True
                    for i in range(n):
                        if history[t, i] != spins[i]:
                            same = False
                            break
                    if same:
                        return step + 1, False, step + 1 - t
            history[step + 1] = spins
            hashes[step + 1] = state_hash
    return max_sweeps, False, 0


@njit(cache=True, nogil=True, parallel=True)
def sync_recall(states, fields, h, offset, indptr, indices, data, temperature, max_sweeps, seeds, keys):
    """Synchronous recall of every row of ``states`` (updated in place) in parallel.

    Returns ``(trajectories, num_steps, converged, cycle_lengths)``.
    """
    count = states.shape[0]
    trajectories = np.full((count, max_sweeps + 1), np.nan)
    num_steps = np.zeros(count, dtype=np.int64)
    converged = np.zeros(count, dtype=np.bool_)
    cycles = np.zeros(count, dtype=np.int64)
    for b in prange(count):
        rng = rng_seed(seeds[b], 0)
        steps, done, cycle = sync_one(states[b], fields[b], h, offset, indptr, indices, data, temperature,
                                       max_sweeps, rng, trajectories[b], keys)
        num_steps[b] = steps
        converged[b] = done
        cycles[b] = cycle
    return trajectories, num_steps, converged, cycles


@njit(cache=True, nogil=True)
def recall_one(spins, weights_t, h, offset, indptr, indices, data, temperature, max_sweeps, seed, keys,
               synchronous):
    """One cue without thread pools (BLAS or numba): lower latency than a batch of one.

    Starts from the fields ``f = h - W s``, accumulated from the rows of the
    dense ``weights_t = W^T`` (contiguous reads); returns
    ``(trajectory, num_sweeps, converged, cycle_length)``.
    """
    n = spins.shape[0]
    fields = h.copy()
    for j in range(n):
        if spins[j] > 0:
            for i in range(n):
                fields[i] -= weights_t[j, i]
        else:
            for i in range(n):
                fields[i] += weights_t[j, i]
    rng = rng_seed(seed, 0)
    trajectory = np.full(max_sweeps + 1, np.nan)
    if synchronous:
        steps, done, cycle = sync_one(spins, fields, h, offset, indptr, indices, data, temperature,
                                      max_sweeps, rng, trajectory, keys)
        return trajectory, steps, done, cycle
    steps, done = async_one(spins, fields, h, offset, indptr, indices, data, temperature, max_sweeps, rng,
                            trajectory)
    return trajectory, steps, done, 0
