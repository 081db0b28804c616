"""Exhaustive Gray-code enumeration of an Ising model, parallel over prefixes.

The top ``k`` spins fix one of ``2**k`` blocks (one ``prange`` task each); inside
a block the low spins run through the reflected Gray code, so each step flips one
spin and costs one local-field update. Each block keeps its ``keep`` lowest states.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from energy.kernels import apply_flip, local_fields


@njit(cache=True, nogil=True)
def _trailing_zeros(x):
    count = 0
    while (x & 1) == 0:
        x >>= 1
        count += 1
    return count


@njit(cache=True, nogil=True)
def _state_index(spins):
    index = 0
    for i in range(spins.shape[0]):
        if spins[i] > 0:
            index |= np.int64(1) << np.int64(i)
    return index


@njit(cache=True, nogil=True, parallel=True)
def enumerate_lowest(h, indptr, indices, data, offset, prefix_bits, keep):
    """Return (energies[blocks, keep], state indices[blocks, keep]) of each block's lowest states.

    Bit ``i`` of a state index set means spin ``i`` is +1. Unused slots hold +inf.
    """
    n = h.shape[0]
    blocks = np.int64(1) << np.int64(prefix_bits)
    low_bits = n - prefix_bits
    steps = np.int64(1) << np.int64(low_bits)
    best_e = np.full((blocks, keep), np.inf)
    best_i = np.full((blocks, keep), -1, dtype=np.int64)
    for block in prange(blocks):
        spins = -np.ones(n, dtype=np.int8)
        for b in range(prefix_bits):
            if (block >> b) & 1:
                spins[low_bits + b] = 1
        fields = local_fields(spins, h, indptr, indices, data)
        energy = offset
        for i in range(n):
            energy += 0.5 * spins[i] * (h[i] + fields[i])
        worst_slot = 0
        for step in range(steps):
            if step > 0:
                i = _trailing_zeros(step)
                energy += -2.0 * spins[i] * fields[i]
                apply_flip(spins, fields, i, indptr, indices, data)
            if energy < best_e[block, worst_slot]:
                best_e[block, worst_slot] = energy
                best_i[block, worst_slot] = _state_index(spins)
                worst_slot = 0
                for s in range(1, keep):
                    if best_e[block, s] > best_e[block, worst_slot]:
                        worst_slot = s
    return best_e, best_i
