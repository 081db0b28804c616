"""Parallel driver kernels for simulated annealing (reads in ``prange``).

The per-spin work is :func:`energy.kernels.metropolis_anneal` (Metropolis
sweeps over a block of betas); these kernels only loop reads. State lives in
caller-owned arrays so the Python layer can run the schedule in blocks (time
limits, progress) without losing anything.
"""

from __future__ import annotations

from numba import njit, prange

from energy.kernels import local_fields, metropolis_anneal
from energy.rng import rng_below, rng_seed


@njit(cache=True, nogil=True)
def _energy_from_fields(spins, fields, h, offset):
    acc = 0.0
    for i in range(spins.shape[0]):
        acc += spins[i] * (h[i] + fields[i])
    return offset + 0.5 * acc


@njit(cache=True, nogil=True, parallel=True)
def anneal_reads(betas, spins, fields, rng_states, h, indptr, indices, data, offset,
                 best_spins, best_energies, accepted):
    """Continue every read through the sweeps of ``betas``, keeping each read's best state.

    Each read's energy is recomputed from its fields at the start of the call,
    so per-flip energy updates never drift across calls.
    """
    m = spins.shape[0]
    for r in prange(m):
        energy = _energy_from_fields(spins[r], fields[r], h, offset)
        count, _, best = metropolis_anneal(spins[r], fields[r], betas, indptr, indices, data, rng_states[r],
                                           energy, best_spins[r], best_energies[r])
        accepted[r] += count
        best_energies[r] = best


@njit(cache=True, nogil=True, parallel=True)
def start_reads(read_seeds, initial, betas, h, indptr, indices, data, offset,
                spins, fields, rng_states, best_spins, best_energies, accepted):
    """Seed each read, set its start state (random unless ``initial`` has rows), anneal over ``betas``.

    One parallel region; the best state starts at the initial one. Continue a
    longer schedule with :func:`anneal_reads`. A parallel
    region costs a thread wake-up, which on a busy machine outweighs a short anneal.
    """
    m, n = spins.shape
    for r in prange(m):
        state = rng_seed(read_seeds[r], 0)
        if initial.shape[0] > 0:
            spins[r, :] = initial[r]
        else:
            for i in range(n):
                spins[r, i] = 2 * rng_below(state, 2) - 1
        fields[r, :] = local_fields(spins[r], h, indptr, indices, data)
        energy = _energy_from_fields(spins[r], fields[r], h, offset)
        best_spins[r, :] = spins[r]
        count, _, best = metropolis_anneal(spins[r], fields[r], betas, indptr, indices, data, state,
                                           energy, best_spins[r], energy)
        accepted[r] += count
        best_energies[r] = best
        rng_states[r, :] = state
