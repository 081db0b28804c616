"""Path-integral Monte Carlo kernels: P coupled replicas of an Ising model per read.

Each read holds its world lines as ``spins[r]`` (P x n int8) and the classical
local fields ``fields[r]`` (P x n float64, ``h_i + sum_j J_ij s_kj`` of slice k).
A sweep at one schedule point (classical weight ``scale = B / P`` per slice,
inter-slice coupling ``jperp``) is

1. single-spin Metropolis in every slice, flipping ``s_ki`` at cost
   ``scale * (-2 s_ki f_ki) + 2 jperp s_ki (s_(k-1)i + s_(k+1)i)`` (k periodic);
2. one global move per spin: flip ``s_i`` in all slices at cost
   ``scale * sum_k (-2 s_ki f_ki)`` (the inter-slice term does not change).

Slices are visited by colour (even slices, odd slices, then the last slice when
P is odd), so slices of one colour never neighbour each other and can be updated
in parallel. Slice k of read r draws from its own random stream ``k`` and the
global moves from stream ``P``: samples depend only on ``(seed, read)``, never on
the number of threads nor on which of the two drivers ran them
(:func:`anneal_chunk`, reads in parallel; :func:`anneal_chunk_by_slice`, slices
of a colour in parallel, for fewer reads than threads).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from energy.kernels import accepts
from energy.kernels import apply_flip, local_fields
from energy.rng import rng_below, rng_seed, rng_step, uniform_from_bits

# Moves accepted with probability below 2**-53 (exp(-x), x beyond this) are rejected without a draw.
_SKIP_EXPONENT = 53.0 * math.log(2.0)


@njit(cache=True, nogil=True)
def slice_colour(k, num_slices):
    """Colour of slice ``k``: 0 even, 1 odd, 2 the last slice of an odd P > 1."""
    if num_slices > 1 and num_slices % 2 == 1 and k == num_slices - 1:
        return 2
    return k % 2


@njit(cache=True, nogil=True)
def _slice_energy(spins, fields, h, offset):
    acc = 0.0
    for i in range(spins.shape[0]):
        acc += spins[i] * (h[i] + fields[i])
    return offset + 0.5 * acc


@njit(cache=True, nogil=True, parallel=True)
def init_reads(read_seeds, initial, h, indptr, indices, data, spins, fields, rng_states):
    """Seed every (read, stream) RNG and fill the replicas.

    With ``initial`` (m x n) every slice starts in the read's classical state;
    with an empty ``initial`` (0 x n) each slice starts independently random.
    """
    m, num_slices, n = spins.shape
    for r in prange(m):
        for q in range(num_slices + 1):
            state = rng_seed(read_seeds[r], q)
            for w in range(4):
                rng_states[r, q, w] = state[w]
        for k in range(num_slices):
            for i in range(n):
                if initial.shape[0] > 0:
                    spins[r, k, i] = initial[r, i]
                else:
                    spins[r, k, i] = 2 * rng_below(rng_states[r, k], 2) - 1
            fields[r, k, :] = local_fields(spins[r, k], h, indptr, indices, data)


@njit(cache=True, nogil=True, inline="always")
def _metropolis_accepts(delta, beta, s0, s1, s2, s3):
    """Metropolis test of an energy change ``delta``: ``(accepted, s0, s1, s2, s3)``.

    Downhill moves and moves with ``beta delta >= 53 ln 2`` (acceptance below
    2**-53) are decided without a draw; otherwise one uniform is compared with
    ``exp(-beta delta)`` through cheap bounds first (``energy.kernels.accepts``).
    """
    if delta <= 0.0:
        return True, s0, s1, s2, s3
    x = beta * delta
    if x >= _SKIP_EXPONENT:
        return False, s0, s1, s2, s3
    bits, s0, s1, s2, s3 = rng_step(s0, s1, s2, s3)
    return accepts(uniform_from_bits(bits), x), s0, s1, s2, s3


@njit(cache=True, nogil=True)
def _slice_sweep(spins, fields, k, scale, jperp, beta, indptr, indices, data, rng):
    """Metropolis over every spin of slice ``k``; returns (accepted, classical energy change)."""
    num_slices, n = spins.shape
    above = spins[k + 1 if k + 1 < num_slices else 0]
    below = spins[k - 1 if k > 0 else num_slices - 1]
    s = spins[k]
    f = fields[k]
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    accepted = 0
    energy_change = 0.0
    for i in range(n):
        si = s[i]
        classical = -2.0 * si * f[i]
        delta = scale * classical + 2.0 * jperp * si * (above[i] + below[i])
        accept, s0, s1, s2, s3 = _metropolis_accepts(delta, beta, s0, s1, s2, s3)
        if accept:
            apply_flip(s, f, i, indptr, indices, data)
            accepted += 1
            energy_change += classical
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return accepted, energy_change


@njit(cache=True, nogil=True)
def _global_sweep(spins, fields, energies, scale, beta, indptr, indices, data, rng):
    """World-line moves: flip spin i in every slice at once, for each i in turn."""
    num_slices, n = spins.shape
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    accepted = 0
    for i in range(n):
        classical = 0.0
        for k in range(num_slices):
            classical += -2.0 * spins[k, i] * fields[k, i]
        accept, s0, s1, s2, s3 = _metropolis_accepts(scale * classical, beta, s0, s1, s2, s3)
        if accept:
            for k in range(num_slices):
                energies[k] += -2.0 * spins[k, i] * fields[k, i]
                apply_flip(spins[k], fields[k], i, indptr, indices, data)
            accepted += 1
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return accepted


@njit(cache=True, nogil=True)
def _keep_best(spins, energies, best_spins, best_energies, r):
    lowest = 0
    for k in range(1, energies.shape[0]):
        if energies[k] < energies[lowest]:
            lowest = k
    if energies[lowest] < best_energies[r]:
        best_energies[r] = energies[lowest]
        best_spins[r, :] = spins[lowest]


@njit(cache=True, nogil=True)
def num_colours(num_slices):
    """Number of slice colours: 1 for P = 1, 2 for even P, 3 for odd P > 1."""
    if num_slices == 1:
        return 1
    return 3 if num_slices % 2 == 1 else 2


@njit(cache=True, nogil=True)
def _colour_groups(num_slices):
    """``groups[c, :sizes[c]]`` lists the slices of colour c in increasing order."""
    groups = np.zeros((3, num_slices), dtype=np.int64)
    sizes = np.zeros(3, dtype=np.int64)
    for k in range(num_slices):
        c = slice_colour(k, num_slices)
        groups[c, sizes[c]] = k
        sizes[c] += 1
    return groups, sizes


@njit(cache=True, nogil=True, parallel=True)
def anneal_chunk(scales, jperps, beta, spins, fields, rng_states, h, indptr, indices, data, offset,
                 best_spins, best_energies, local_accepted, global_accepted):
    """One sweep (all slices by colour, then world-line moves) per schedule entry; reads in parallel.

    ``scales[t]`` multiplies the classical energy of each slice (``B / P``),
    ``jperps[t]`` is the inter-slice ferromagnetic coupling. After each sweep
    the lowest-energy slice is kept in ``best_spins`` / ``best_energies`` if it
    beats the read's best so far. ``local_accepted`` is per (read, slice).
    """
    m, num_slices, n = spins.shape
    energies = np.empty((m, num_slices), dtype=np.float64)
    groups, sizes = _colour_groups(num_slices)
    for r in prange(m):
        for k in range(num_slices):
            energies[r, k] = _slice_energy(spins[r, k], fields[r, k], h, offset)
        for t in range(scales.shape[0]):
            for colour in range(num_colours(num_slices)):
                for member in range(sizes[colour]):
                    k = groups[colour, member]
                    accepted, change = _slice_sweep(spins[r], fields[r], k, scales[t], jperps[t], beta,
                                                    indptr, indices, data, rng_states[r, k])
                    local_accepted[r, k] += accepted
                    energies[r, k] += change
            global_accepted[r] += _global_sweep(spins[r], fields[r], energies[r], scales[t], beta,
                                                indptr, indices, data, rng_states[r, num_slices])
            _keep_best(spins[r], energies[r], best_spins, best_energies, r)


@njit(cache=True, nogil=True, parallel=True)
def anneal_chunk_by_slice(scales, jperps, beta, spins, fields, rng_states, h, indptr, indices, data, offset,
                          best_spins, best_energies, local_accepted, global_accepted):
    """:func:`anneal_chunk` with the slices of one colour in parallel, for fewer reads than threads.

    Same streams, same visiting order, so the same samples as :func:`anneal_chunk`.
    """
    m, num_slices, n = spins.shape
    energies = np.empty((m, num_slices), dtype=np.float64)
    for job in prange(m * num_slices):
        r, k = job // num_slices, job % num_slices
        energies[r, k] = _slice_energy(spins[r, k], fields[r, k], h, offset)
    groups, sizes = _colour_groups(num_slices)
    for t in range(scales.shape[0]):
        for colour in range(num_colours(num_slices)):
            size = sizes[colour]
            for job in prange(m * size):
                r = job // size
                k = groups[colour, job % size]
                accepted, change = _slice_sweep(spins[r], fields[r], k, scales[t], jperps[t], beta,
                                                indptr, indices, data, rng_states[r, k])
                local_accepted[r, k] += accepted
                energies[r, k] += change
        for r in prange(m):
            global_accepted[r] += _global_sweep(spins[r], fields[r], energies[r], scales[t], beta,
                                                indptr, indices, data, rng_states[r, num_slices])
            _keep_best(spins[r], energies[r], best_spins, best_energies, r)
