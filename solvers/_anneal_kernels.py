"""Parallel driver kernels for simulated annealing (reads in ``prange``).

The per-spin work is :func:`energy.kernels.metropolis_sweep`; these kernels only
loop reads and sweeps. State lives in caller-owned arrays so the Python layer can
run the schedule in chunks (time limits, progress) without losing anything.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from energy.kernels import local_fields, metropolis_sweep
from energy.rng import rng_below, rng_seed


@njit(cache=True, nogil=True, parallel=True)
def init_reads(read_seeds, n, initial, h, indptr, indices, data, spins, fields, rng_states):
    """Seed each read's RNG; random spins unless ``initial`` (m x n, or 0 x n) is given."""
    m = read_seeds.shape[0]
    for r in prange(m):
        state = rng_seed(read_seeds[r], 0)
        for q in range(4):
            rng_states[r, q] = state[q]
        if initial.shape[0] > 0:
            for i in range(n):
                spins[r, i] = initial[r, i]
        else:
            for i in range(n):
                spins[r, i] = 2 * rng_below(rng_states[r], 2) - 1
        fields[r, :] = local_fields(spins[r], h, indptr, indices, data)


@njit(cache=True, nogil=True)
def _energy_from_fields(spins, fields, h, offset):
    acc = 0.0
    for i in range(spins.shape[0]):
        acc += spins[i] * (h[i] + fields[i])
    return offset + 0.5 * acc


@njit(cache=True, nogil=True, parallel=True)
def anneal_chunk(betas, spins, fields, rng_states, h, indptr, indices, data, offset,
                 order, best_spins, best_energies, accepted):
    """Run one Metropolis sweep per entry of ``betas`` on every read.

    Keeps each read's lowest-energy configuration in ``best_spins`` /
    ``best_energies`` (checked after every sweep) and adds accepted flips to
    ``accepted``.
    """
    m = spins.shape[0]
    for r in prange(m):
        for b in range(betas.shape[0]):
            accepted[r] += metropolis_sweep(spins[r], fields[r], betas[b], indptr, indices, data, order, rng_states[r])
            energy = _energy_from_fields(spins[r], fields[r], h, offset)
            if energy < best_energies[r]:
                best_energies[r] = energy
                best_spins[r, :] = spins[r]
