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
symmetric part. The starting fields ``f = h - W s`` come from
:func:`dense_fields` (rows of ``W^T`` accumulated in index order) or, for
Hebbian weights ``W = X^T X - P I`` (integer counts), from the patterns
(:func:`factored_fields`: ``h - X^T (X s) + P s``, 2PN instead of N^2
operations). Both are computed per cue in a fixed order, and Hebbian fields
are exact integers either way, so a cue's fields, hence its whole recall, are
bit-identical whether it runs alone or in a batch of any size and
composition. Kernels update states and fields in place. Every cue owns the
random stream ``rng_seed(seeds[b], 0)``, so a batch gives identical results
whatever the thread count.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from energy.kernels import apply_flip, glauber_sweep, greedy_sweep
from energy.rng import rng_below, rng_seed, rng_uniform

_MAX_EXPONENT = 50.0
#: cues whose fields are accumulated together, so each row of ``W^T`` is read once per block
_FIELD_BLOCK = 16


@njit(cache=True, nogil=True)
def dense_fields(spins, weights_t, h, fields):
    """``fields = h - W s`` from the rows of ``weights_t = W^T``, accumulated for j = 0..N-1 in order."""
    n = spins.shape[0]
    for i in range(n):
        fields[i] = h[i]
    for j in range(n):
        if spins[j] > 0:
            for i in range(n):
                fields[i] -= weights_t[j, i]
        else:
            for i in range(n):
                fields[i] += weights_t[j, i]


@njit(cache=True, nogil=True)
def factored_fields(spins, patterns, h, fields):
    """``fields = h - (X^T X - P I) s`` for int8 +-1 patterns ``X`` (P x N): the Hebbian counts' fields.

    Every intermediate is an integer below 2**53, so the result equals :func:`dense_fields` on the
    counts exactly.
    """
    p, n = patterns.shape
    for i in range(n):
        fields[i] = h[i] + p * spins[i]
    for mu in range(p):
        m = 0
        for i in range(n):
            m += patterns[mu, i] * spins[i]
        c = float(m)
        for i in range(n):
            fields[i] -= c * patterns[mu, i]


@njit(cache=True, nogil=True)
def pattern_counts(spins, patterns, counts):
    """``counts[mu] = xi^mu . s`` (exact integers; overlaps are ``counts / N``)."""
    p, n = patterns.shape
    for mu in range(p):
        m = 0
        for i in range(n):
            m += patterns[mu, i] * spins[i]
        counts[mu] = m


@njit(cache=True, nogil=True, parallel=True)
def batch_fields(states, weights_t, patterns, h, factored):
    """Starting fields of every row of ``states``; row ``b`` is exactly what the one-cue path computes.

    The dense route runs blocks of ``_FIELD_BLOCK`` cues over each row of ``W^T`` (read once per
    block instead of once per cue); within a cue the accumulation order is the same as
    :func:`dense_fields`.
    """
    count, n = states.shape
    fields = np.empty((count, n))
    blocks = (count + _FIELD_BLOCK - 1) // _FIELD_BLOCK
    for block in prange(blocks):
        lo = block * _FIELD_BLOCK
        hi = min(count, lo + _FIELD_BLOCK)
        if factored:
            for b in range(lo, hi):
                factored_fields(states[b], patterns, h, fields[b])
            continue
        for b in range(lo, hi):
            for i in range(n):
                fields[b, i] = h[i]
        for j in range(n):
            for b in range(lo, hi):
                if states[b, j] > 0:
                    for i in range(n):
                        fields[b, i] -= weights_t[j, i]
                else:
                    for i in range(n):
                        fields[b, i] += weights_t[j, i]
    return fields


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
def recall_one(spins, weights_t, patterns, factored, h, offset, indptr, indices, data, temperature, max_sweeps,
               seed, keys, synchronous):
    """One cue without thread pools (BLAS or numba): lower latency than a batch of one.

    Starts from the fields of :func:`factored_fields` (``factored``) or :func:`dense_fields`;
    returns ``(trajectory, num_sweeps, converged, cycle_length, counts)`` with ``counts`` the
    final state's :func:`pattern_counts`.
    """
    n = spins.shape[0]
    fields = np.empty(n)
    if factored:
        factored_fields(spins, patterns, h, fields)
    else:
        dense_fields(spins, weights_t, h, fields)
    rng = rng_seed(seed, 0)
    trajectory = np.full(max_sweeps + 1, np.nan)
    cycle = 0
    if synchronous:
        steps, done, cycle = sync_one(spins, fields, h, offset, indptr, indices, data, temperature,
                                      max_sweeps, rng, trajectory, keys)
    else:
        steps, done = async_one(spins, fields, h, offset, indptr, indices, data, temperature, max_sweeps, rng,
                                trajectory)
    counts = np.empty(patterns.shape[0], dtype=np.int64)
    pattern_counts(spins, patterns, counts)
    return trajectory, steps, done, cycle, counts
