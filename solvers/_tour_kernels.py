"""numba kernels of the tour annealer: 2-opt and or-opt moves on permutations.

A tour is held twice per restart: ``tour[position] = city`` and its inverse
``pos[city] = position``, so successor/predecessor lookups and move deltas
(length changes) are O(1). Applying a move is not: a 2-opt move reverses one
side of the cycle (the shorter one, up to n/2 entries); an or-opt move carries
a segment of 1-3 cities to another edge by rotating the shorter of the two
windows between its old and new place (also up to about n/2 entries).
Every restart owns its xoshiro256** state (``energy.rng``), so a seed gives the
same tours whatever the thread count. Nothing here knows about problems.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from energy.rng import rng_below, rng_seed, rng_uniform

MAX_SEGMENT = 3  # or-opt moves carry 1..MAX_SEGMENT consecutive cities


@njit(cache=True, nogil=True, inline="always")
def _wrap(position, n):
    """``position % n`` for ``-n <= position < 2 n``, without the integer division of ``%``."""
    if position >= n:
        return position - n
    if position < 0:
        return position + n
    return position


@njit(cache=True, nogil=True, inline="always")
def _succ(tour, pos, city, n):
    return tour[_wrap(pos[city] + 1, n)]


@njit(cache=True, nogil=True, inline="always")
def _pred(tour, pos, city, n):
    return tour[_wrap(pos[city] - 1, n)]


@njit(cache=True, nogil=True)
def _reverse(tour, pos, i, j, n):
    """Reverse positions i..j (cyclic, inclusive) or, if shorter, the complement."""
    length = (j - i) % n + 1
    if 2 * length > n:
        i, j = (j + 1) % n, (i - 1) % n
        length = n - length
    for _ in range(length // 2):
        a, b = tour[i], tour[j]
        tour[i], tour[j] = b, a
        pos[b], pos[a] = i, j
        i = (i + 1) % n
        j = (j - 1) % n


@njit(cache=True, nogil=True)
def _rotate(tour, pos, start, length, shift, left, n):
    """Rotate the cyclic window of ``length`` positions at ``start`` by ``shift`` (<= 3)."""
    buffer = np.empty(MAX_SEGMENT, dtype=tour.dtype)
    if left:
        for t in range(shift):
            buffer[t] = tour[(start + t) % n]
        for t in range(length - shift):
            city = tour[(start + t + shift) % n]
            tour[(start + t) % n] = city
            pos[city] = (start + t) % n
        for t in range(shift):
            where = (start + length - shift + t) % n
            tour[where] = buffer[t]
            pos[buffer[t]] = where
    else:
        for t in range(shift):
            buffer[t] = tour[(start + length - shift + t) % n]
        for t in range(length - shift - 1, -1, -1):
            city = tour[(start + t) % n]
            tour[(start + t + shift) % n] = city
            pos[city] = (start + t + shift) % n
        for t in range(shift):
            where = (start + t) % n
            tour[where] = buffer[t]
            pos[buffer[t]] = where


@njit(cache=True, nogil=True, inline="always")
def _two_opt_delta(dist, tour, pos, a, c, backward, n):
    """Length change of 2-opt joining a-c (and their successors, or predecessors)."""
    if backward:
        b, d = _pred(tour, pos, a, n), _pred(tour, pos, c, n)
    else:
        b, d = _succ(tour, pos, a, n), _succ(tour, pos, c, n)
    if c == b or d == a:
        return np.inf
    # dist is symmetric: rows a and b are fixed while a descent scans c, so only row c is new
    return dist[a, c] + dist[b, d] - dist[a, b] - dist[c, d]


@njit(cache=True, nogil=True)
def _two_opt_apply(tour, pos, a, c, backward, n):
    if backward:  # ... b a ... d c ...  ->  reverse a..d
        _reverse(tour, pos, pos[a], (pos[c] - 1) % n, n)
    else:  # ... a b ... c d ...  ->  reverse b..c
        _reverse(tour, pos, (pos[a] + 1) % n, pos[c], n)


@njit(cache=True, nogil=True, inline="always")
def _or_opt_delta(dist, tour, pos, first, seg_len, c, reverse, n):
    """Length change of moving the segment of ``seg_len`` cities starting at
    ``first`` so that ``first`` lands next to ``c``: between c and succ(c), or
    reversed between pred(c) and c."""
    if seg_len + 3 > n:
        return np.inf
    i = pos[first]
    if _wrap(pos[c] - i, n) < seg_len:
        return np.inf
    last = tour[_wrap(i + seg_len - 1, n)]
    p = tour[_wrap(i - 1, n)]
    nx = tour[_wrap(i + seg_len, n)]
    if reverse:
        if c == nx:
            return np.inf
        x, y = _pred(tour, pos, c, n), c
        added = dist[last, x] + dist[first, y] - dist[y, x]
    else:
        if c == p:
            return np.inf
        x, y = c, _succ(tour, pos, c, n)
        added = dist[first, x] + dist[last, y] - dist[x, y]
    return added - (dist[p, first] + dist[last, nx] - dist[p, nx])


@njit(cache=True, nogil=True)
def _or_opt_apply(tour, pos, first, seg_len, c, reverse, n):
    i = pos[first]
    x = _pred(tour, pos, c, n) if reverse else c
    between = (pos[x] - (i + seg_len)) % n + 1  # cities from the segment's successor through x
    if between + seg_len <= n - between:
        _rotate(tour, pos, i, seg_len + between, seg_len, True, n)
    else:
        _rotate(tour, pos, (pos[x] + 1) % n, n - between, seg_len, False, n)
    if reverse:
        j = pos[first]
        _reverse(tour, pos, j, (j + seg_len - 1) % n, n)


@njit(cache=True, nogil=True)
def _tour_length(dist, tour, n):
    total = 0.0
    for t in range(n):
        total += dist[tour[t], tour[(t + 1) % n]]
    return total


@njit(cache=True, nogil=True, parallel=True)
def init_restarts(dist, seeds, tours, pos, rng_states, lengths):
    """Random starting permutation per restart from its own seeded stream."""
    num, n = tours.shape
    for r in prange(num):
        state = rng_seed(seeds[r], 0)
        for t in range(n):
            tours[r, t] = t
        for t in range(n - 1, 0, -1):
            s = rng_below(state, t + 1)
            tours[r, t], tours[r, s] = tours[r, s], tours[r, t]
        for t in range(n):
            pos[r, tours[r, t]] = t
        rng_states[r, :] = state
        lengths[r] = _tour_length(dist, tours[r], n)


@njit(cache=True, nogil=True, parallel=True)
def anneal_chunk(dist, neighbors, temperatures, tours, pos, rng_states, lengths):
    """One Metropolis sweep (n proposals) per temperature, for every restart.

    A proposal is, with equal odds, a 2-opt move joining a random city to one
    of its k nearest neighbours or an or-opt move carrying a segment of 1-3
    cities next to one of the first city's neighbours; it is accepted with
    probability min(1, exp(-dL / T)).
    """
    num, n = tours.shape
    k = neighbors.shape[1]
    for r in prange(num):
        tour, where, state = tours[r], pos[r], rng_states[r]
        length = lengths[r]
        for temperature in temperatures:
            for _ in range(n):
                a = rng_below(state, n)
                c = neighbors[a, rng_below(state, k)]
                choice = rng_below(state, 4)
                if choice < 2:
                    delta = _two_opt_delta(dist, tour, where, a, c, choice == 1, n)
                else:
                    seg_len = 1 + rng_below(state, MAX_SEGMENT)
                    delta = _or_opt_delta(dist, tour, where, a, seg_len, c, choice == 3, n)
                if delta == np.inf:
                    continue
                if delta > 0.0 and rng_uniform(state) >= math.exp(-delta / temperature):
                    continue
                if choice < 2:
                    _two_opt_apply(tour, where, a, c, choice == 1, n)
                else:
                    _or_opt_apply(tour, where, a, seg_len, c, choice == 3, n)
                length += delta
        lengths[r] = _tour_length(dist, tour, n)  # drop accumulated rounding


@njit(cache=True, nogil=True)
def _descent_pass(dist, candidates, tour, pos, use_all, tolerance, rows):
    """One first-improvement 2-opt + or-opt pass from cities ``0..rows-1`` to their
    candidates (neighbour lists, or all cities); returns whether a move was applied."""
    n = tour.shape[0]
    width = n if use_all else candidates.shape[1]
    improved = False
    for a in range(rows):
        for j in range(width):
            c = j if use_all else candidates[a, j]
            if c == a:
                continue
            for backward in range(2):
                if _two_opt_delta(dist, tour, pos, a, c, backward == 1, n) < -tolerance:
                    _two_opt_apply(tour, pos, a, c, backward == 1, n)
                    improved = True
            for seg_len in range(1, MAX_SEGMENT + 1):
                for reverse in range(2):
                    if _or_opt_delta(dist, tour, pos, a, seg_len, c, reverse == 1, n) < -tolerance:
                        _or_opt_apply(tour, pos, a, seg_len, c, reverse == 1, n)
                        improved = True
    return improved


@njit(cache=True, nogil=True, parallel=True)
def descend_neighbors(dist, neighbors, tours, pos, lengths, tolerance):
    """Neighbour-list 2-opt + or-opt descent of every restart, in parallel."""
    num, n = tours.shape
    for r in prange(num):
        while _descent_pass(dist, neighbors, tours[r], pos[r], False, tolerance, n):
            pass
        lengths[r] = _tour_length(dist, tours[r], n)


@njit(cache=True, nogil=True)
def full_pass(dist, tour, pos, tolerance, rows):
    """One pass over every 2-opt and or-opt move from cities ``0..rows-1`` to all
    cities, applying those that improve by more than ``tolerance``; returns
    whether any did. Repeat with ``rows = n`` until False for a full descent,
    O(n^2) moves per pass."""
    return _descent_pass(dist, np.empty((0, 0), dtype=np.int32), tour, pos, True, tolerance, rows)
