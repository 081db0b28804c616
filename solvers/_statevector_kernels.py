"""numba kernels for exact statevector annealing and for ``H(s)`` matrix-vector products.

Basis convention (shared with :mod:`solvers.statevector`): bit ``i`` of a basis
index is variable ``i``; bit 1 is spin +1 (binary 1), bit 0 is spin -1 (binary 0),
the same map as ``energy.model`` (``s = 2 * bit - 1``).

The state is kept as two float64 arrays ``re``, ``im`` so every inner loop is a
contiguous, vectorisable real loop. The index splits into ``low_bits`` low bits
(one cache block of ``2**low_bits`` amplitudes) and the remaining high bits;
the energy factorises as::

    E(hi, lo) = E_low(lo) + E_high(hi) + sum_{i < low_bits} s_i(lo) F[hi, i]

with ``F[hi, i] = sum_{j high} J_ij s_j(hi)``. Within a block the cross term is
filled by doubling (``cross[lo + 2**k] = cross[lo] + 2 F[hi, k]``), for energies
by additions and for phases ``exp(-i theta E)`` by one complex multiplication
per amplitude, so no ``2**n`` diagonal is stored and no sine is evaluated per
amplitude. The driver ``H_D = -sum_i X_i`` is applied as the exact rotation
``exp(+i phi X_i)`` on every qubit, cache-blocked: the low qubits while their
block sits in cache (in the same pass as the phase), the high qubits in groups,
each group one pass that gathers ``2**g`` contiguous chunks into one block.
Every kernel writes disjoint blocks per thread, so results do not depend on the
thread count.
"""

from __future__ import annotations

import types

import numpy as np

from numba import njit, prange

import energy  # noqa: F401  (settles the kernel cache directory before any kernel is compiled)


def _compile_both(fn):
    """Parallel and serial dispatchers of one kernel (``prange`` is ``range`` in the serial one).

    The serial copy gets its own name: numba's cache is keyed by qualified name
    and bytecode, not by the ``parallel`` flag, so one function object compiled
    twice would share (and overwrite) one cache entry.
    """
    serial = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_serial", fn.__defaults__, fn.__closure__)
    serial.__qualname__ = fn.__qualname__ + "_serial"
    return njit(cache=True, nogil=True, parallel=True)(fn), njit(cache=True, nogil=True)(serial)


@njit(cache=True, nogil=True)
def low_energies(h, indptr, indices, data, low_bits):
    """Energy of the low ``low_bits`` variables with their mutual couplings, per low index."""
    out = np.empty(1 << low_bits)
    for lo in range(1 << low_bits):
        total = 0.0
        for i in range(low_bits):
            si = 2.0 * ((lo >> i) & 1) - 1.0
            total += h[i] * si
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                if i < j < low_bits:
                    total += data[p] * si * (2.0 * ((lo >> j) & 1) - 1.0)
        out[lo] = total
    return out


def _high_terms(h, indptr, indices, data, offset, low_bits):
    """``(E_high, F)``: energy of the high variables (+ offset) and their fields on the low ones."""
    n = h.shape[0]
    num_high = 1 << (n - low_bits)
    high_energy = np.empty(num_high)
    field = np.zeros((num_high, low_bits))
    for hi in prange(num_high):
        total = offset
        for j in range(low_bits, n):
            sj = 2.0 * ((hi >> (j - low_bits)) & 1) - 1.0
            total += h[j] * sj
            for p in range(indptr[j], indptr[j + 1]):
                k = indices[p]
                if k < low_bits:
                    field[hi, k] += data[p] * sj
                elif k > j:
                    total += data[p] * sj * (2.0 * ((hi >> (k - low_bits)) & 1) - 1.0)
        high_energy[hi] = total
    return high_energy, field


@njit(cache=True, nogil=True)
def _block_energies(low, high_energy, field_row, out):
    """Energies of one block (fixed high bits) into ``out`` by doubling."""
    low_bits = field_row.shape[0]
    start = high_energy
    for i in range(low_bits):
        start -= field_row[i]
    out[0] = start
    for k in range(low_bits):
        step = 1 << k
        shift = 2.0 * field_row[k]
        for lo in range(step):
            out[step + lo] = out[lo] + shift
    for lo in range(out.shape[0]):
        out[lo] += low[lo]


def _diagonal_energies(low, high_energy, field, out):
    """All ``2**n`` energies, block by block."""
    block = low.shape[0]
    for hi in prange(high_energy.shape[0]):
        _block_energies(low, high_energy[hi], field[hi], out[hi * block:(hi + 1) * block])


@njit(cache=True, nogil=True, inline="always")
def _rotate(ar, ai, br, bi, c, s):
    """``(a, b) <- exp(i phi X) (a, b)`` elementwise over equal-length views; ``c, s = cos, sin phi``.

    Views (not index arithmetic) let LLVM prove the loop is simple and vectorise it.
    """
    for t in range(ar.shape[0]):
        xr, xi, yr, yi = ar[t], ai[t], br[t], bi[t]
        ar[t] = c * xr - s * yi
        ai[t] = c * xi + s * yr
        br[t] = c * yr - s * xi
        bi[t] = c * yi + s * xr


#: Below this pair stride, rotate along strided views (long loops) rather than short contiguous runs.
_STRIDED_BELOW = 8


@njit(cache=True, nogil=True, inline="always")
def _rotate_low_qubits(re, im, start, low_bits, c, s):
    """All rotations on qubits ``< low_bits`` of the block starting at ``start``."""
    end = start + (1 << low_bits)
    for q in range(low_bits):
        stride = 1 << q
        if stride < _STRIDED_BELOW:
            for o in range(start, start + stride):
                _rotate(re[o:end:2 * stride], im[o:end:2 * stride],
                        re[o + stride:end:2 * stride], im[o + stride:end:2 * stride], c, s)
        else:
            for base in range(start, end, 2 * stride):
                _rotate(re[base:base + stride], im[base:base + stride],
                        re[base + stride:base + 2 * stride], im[base + stride:base + 2 * stride], c, s)


def _phase_and_low_rotations(re, im, low, high_energy, field, theta, c, s, rotate, workers):
    """Multiply by ``exp(-i theta E)``, then (if ``rotate``) rotate the low qubits.

    One pass over memory: each block gets its phases and all in-block
    rotations while it is in cache. ``theta == 0`` skips the phase. The blocks
    are split into ``workers`` contiguous runs, each with its own scratch.
    """
    block = low.shape[0]
    low_bits = field.shape[1]
    num_blocks = high_energy.shape[0]
    workers = max(1, min(workers, num_blocks))
    low_re = np.cos(theta * low)
    low_im = -np.sin(theta * low)
    scratch = np.empty((workers, 2, block))
    for w in prange(workers):
        pr = scratch[w, 0]
        pi = scratch[w, 1]
        for hi in range(w * num_blocks // workers, (w + 1) * num_blocks // workers):
            start = hi * block
            if theta != 0.0:
                angle = high_energy[hi]
                for k in range(low_bits):
                    angle -= field[hi, k]
                pr[0] = np.cos(theta * angle)
                pi[0] = -np.sin(theta * angle)
                for k in range(low_bits):
                    step = 1 << k
                    gr = np.cos(2.0 * theta * field[hi, k])
                    gi = -np.sin(2.0 * theta * field[hi, k])
                    for lo in range(step):
                        pr[step + lo] = pr[lo] * gr - pi[lo] * gi
                        pi[step + lo] = pr[lo] * gi + pi[lo] * gr
                for lo in range(block):
                    qr = pr[lo] * low_re[lo] - pi[lo] * low_im[lo]
                    qi = pr[lo] * low_im[lo] + pi[lo] * low_re[lo]
                    xr = re[start + lo]
                    xi = im[start + lo]
                    re[start + lo] = xr * qr - xi * qi
                    im[start + lo] = xr * qi + xi * qr
            if rotate:
                _rotate_low_qubits(re, im, start, low_bits, c, s)


phase_and_low_rotations, _phase_and_low_rotations_serial = _compile_both(_phase_and_low_rotations)


def _high_rotations(re, im, qubits, chunk_bits, c, s):
    """Rotate every qubit in ``qubits`` (sorted, all ``>= chunk_bits``) in one pass.

    A cache block is ``2**len(qubits)`` contiguous chunks of ``2**chunk_bits``
    amplitudes, one per setting of the group's bits.
    """
    g = qubits.shape[0]
    size = re.shape[0]
    n = 0
    while (1 << n) < size:
        n += 1
    chunk = 1 << chunk_bits
    num_chunks = 1 << g
    offsets = np.zeros(num_chunks, dtype=np.int64)
    for m in range(num_chunks):
        for j in range(g):
            if (m >> j) & 1:
                offsets[m] += np.int64(1) << qubits[j]
    for blk in prange(1 << (n - chunk_bits - g)):
        base = np.int64(blk) << chunk_bits
        for j in range(g):
            q = qubits[j]
            base = ((base >> q) << (q + 1)) | (base & ((np.int64(1) << q) - 1))
        for j in range(g):
            bit = 1 << j
            for m in range(num_chunks):
                if m & bit:
                    continue
                lo = base + offsets[m]
                hi = base + offsets[m | bit]
                _rotate(re[lo:lo + chunk], im[lo:lo + chunk], re[hi:hi + chunk], im[hi:hi + chunk], c, s)


high_rotations, _high_rotations_serial = _compile_both(_high_rotations)


@njit(cache=True, nogil=True)
def anneal_serial(re, im, low, high_energy, field, thetas, phis, group_qubits, group_starts, chunk_bits):
    """All Strang steps on one thread (small states: no parallel-region launch per step).

    ``thetas[k] = dt B(s_k)``, ``phis[k] = dt A(s_k)``; adjacent half phases are merged.
    Group ``g`` of high qubits is ``group_qubits[group_starts[g]:group_starts[g + 1]]``.
    """
    previous = 0.0
    for k in range(thetas.shape[0]):
        c, s = np.cos(phis[k]), np.sin(phis[k])
        _phase_and_low_rotations_serial(re, im, low, high_energy, field, 0.5 * (previous + thetas[k]),
                                        c, s, True, 1)
        for g in range(chunk_bits.shape[0]):
            _high_rotations_serial(re, im, group_qubits[group_starts[g]:group_starts[g + 1]], chunk_bits[g], c, s)
        previous = thetas[k]
    _phase_and_low_rotations_serial(re, im, low, high_energy, field, 0.5 * previous, 1.0, 0.0, False, 1)


def _block_minima(low, high_energy, field):
    """Lowest energy per block."""
    block = low.shape[0]
    out = np.empty(high_energy.shape[0])
    for hi in prange(high_energy.shape[0]):
        energies = np.empty(block)
        _block_energies(low, high_energy[hi], field[hi], energies)
        out[hi] = energies.min()
    return out


def _block_statistics(re, im, low, high_energy, field, ground_energy, tolerance):
    """Per block: total probability, probability-weighted energy, ground-state probability."""
    block = low.shape[0]
    out = np.zeros((high_energy.shape[0], 3))
    for hi in prange(high_energy.shape[0]):
        energies = np.empty(block)
        _block_energies(low, high_energy[hi], field[hi], energies)
        start = hi * block
        total = 0.0
        weighted = 0.0
        ground = 0.0
        for lo in range(block):
            p = re[start + lo] ** 2 + im[start + lo] ** 2
            total += p
            weighted += p * energies[lo]
            if energies[lo] <= ground_energy + tolerance:
                ground += p
        out[hi, 0] = total
        out[hi, 1] = weighted
        out[hi, 2] = ground
    return out


def _block_top_states(re, im, keep, block_bits):
    """The ``keep`` largest probabilities per block (indices, probabilities; -1 pads)."""
    num_blocks = re.shape[0] >> block_bits
    indices = np.full((num_blocks, keep), -1, dtype=np.int64)
    probs = np.full((num_blocks, keep), -1.0)
    for blk in prange(num_blocks):
        start = blk << block_bits
        for j in range(start, start + (1 << block_bits)):
            p = re[j] ** 2 + im[j] ** 2
            if p <= probs[blk, keep - 1]:
                continue
            pos = keep - 1
            while pos > 0 and probs[blk, pos - 1] < p:
                probs[blk, pos] = probs[blk, pos - 1]
                indices[blk, pos] = indices[blk, pos - 1]
                pos -= 1
            probs[blk, pos] = p
            indices[blk, pos] = j
    return indices, probs


@njit(cache=True, nogil=True)
def sample_indices(re, im, block_cumulative, targets, block_bits):
    """Basis indices for sorted ``targets`` in ``[0, total)`` by inverse CDF of ``|psi|^2``.

    ``block_cumulative[k]`` is the probability of blocks ``0..k`` together.
    """
    out = np.empty(targets.shape[0], dtype=np.int64)
    num_blocks = block_cumulative.shape[0]
    blk = 0
    j = 0
    below = 0.0
    for r in range(targets.shape[0]):
        u = targets[r]
        if blk < num_blocks - 1 and u >= block_cumulative[blk]:
            while blk < num_blocks - 1 and u >= block_cumulative[blk]:
                blk += 1
            below = block_cumulative[blk - 1]
            j = blk << block_bits
        end = (blk + 1) << block_bits
        while j < end - 1 and u >= below + re[j] ** 2 + im[j] ** 2:
            below += re[j] ** 2 + im[j] ** 2
            j += 1
        out[r] = j
    return out


def _hamiltonian_matvec(x, energies, flip_masks, a, b, out):
    """``out = (a * H_D + b * diag(energies)) x`` with ``H_D = -sum_m X^(mask m)``.

    ``flip_masks[m]`` holds the bits flipped by the m-th driver term (one bit
    for ``X_i``; a merged mask in a symmetry-reduced basis).
    """
    for j in prange(x.shape[0]):
        acc = 0.0
        for m in range(flip_masks.shape[0]):
            acc += x[j ^ flip_masks[m]]
        out[j] = b * energies[j] * x[j] - a * acc


hamiltonian_matvec, hamiltonian_matvec_serial = _compile_both(_hamiltonian_matvec)


high_terms, high_terms_serial = _compile_both(_high_terms)
diagonal_energies, diagonal_energies_serial = _compile_both(_diagonal_energies)
block_minima, block_minima_serial = _compile_both(_block_minima)
block_statistics, block_statistics_serial = _compile_both(_block_statistics)
block_top_states, block_top_states_serial = _compile_both(_block_top_states)
