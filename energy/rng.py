"""Counter-based per-stream random numbers for numba kernels.

Every read (replica, restart, recall) owns a xoshiro256** state: a ``uint64[4]``
array seeded by splitmix64 from ``(seed, stream)``. Streams never share state,
so a seed gives identical results whatever the number of threads.

>>> state = rng_seed(42, 0)
>>> 0.0 <= rng_uniform(state) < 1.0
True
>>> int(rng_below(state, 10)) in range(10)
True
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_MUL1 = uint64(0xBF58476D1CE4E5B9)
_MUL2 = uint64(0x94D049BB133111EB)


@njit(cache=True, nogil=True, inline="always")
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit(cache=True, nogil=True)
def _splitmix64(x):
    x = x + _GOLDEN
    z = x
    z = (z ^ (z >> uint64(30))) * _MUL1
    z = (z ^ (z >> uint64(27))) * _MUL2
    return x, z ^ (z >> uint64(31))


@njit(cache=True, nogil=True)
def rng_seed(seed, stream):
    """A fresh xoshiro256** state for ``(seed, stream)``."""
    state = np.empty(4, dtype=np.uint64)
    x = uint64(seed) ^ (uint64(stream) * _MUL2)
    for i in range(4):
        x, z = _splitmix64(x)
        state[i] = z
    if state[0] == 0 and state[1] == 0 and state[2] == 0 and state[3] == 0:
        state[0] = _GOLDEN
    return state


@njit(cache=True, nogil=True, inline="always")
def rng_step(s0, s1, s2, s3):
    """xoshiro256** on a state held in four scalars: ``(output, s0, s1, s2, s3)``.

    Hot loops keep the state in locals (registers) with this and store it back
    once; :func:`rng_next` is the same step on the array form.
    """
    result = _rotl(s1 * uint64(5), 7) * uint64(9)
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, s0, s1, s2, s3


@njit(cache=True, nogil=True, inline="always")
def uniform_from_bits(bits):
    """Uniform float64 in [0, 1) from the top 53 bits of a raw output."""
    return (bits >> uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, nogil=True, inline="always")
def rng_next(state):
    """Next raw 64-bit output; advances ``state`` in place."""
    result, state[0], state[1], state[2], state[3] = rng_step(state[0], state[1], state[2], state[3])
    return result


@njit(cache=True, nogil=True, inline="always")
def rng_uniform(state):
    """Uniform float64 in [0, 1) from the top 53 bits."""
    return uniform_from_bits(rng_next(state))


@njit(cache=True, nogil=True, inline="always")
def rng_below(state, n):
    """Uniform integer in [0, n) (Lemire-free modulo; bias < n / 2**64)."""
    return np.int64(rng_next(state) % uint64(n))


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def stream_seed(seeds, k) -> np.ndarray:
    """Seed ``k`` of the streams of ``seeds`` (splitmix64 of ``seed + (k + 1) * golden``), vectorised:
    ``seeds`` and ``k`` are ints or arrays and broadcast. ``stream_seeds(seed, n)[k] == stream_seed(seed, k)``.

    >>> int(stream_seed(7, 2)) == int(stream_seeds(7, 3)[2])
    True
    """
    base = seeds.astype(np.uint64) if isinstance(seeds, np.ndarray) else np.uint64(int(seeds) % 2**64)
    with np.errstate(over="ignore"):
        x = base + (np.asarray(k, dtype=np.uint64) + np.uint64(1)) * _GOLDEN
        z = (x ^ (x >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        return z ^ (z >> np.uint64(31))


def stream_seeds(seed: int | None, count: int) -> np.ndarray:
    """``count`` independent 64-bit seeds derived from ``seed`` (random if None).

    Read ``k`` of a job always gets ``stream_seeds(seed, n)[k]`` so splitting the
    reads across processes or machines reproduces the same samples.

    >>> a = stream_seeds(7, 3); b = stream_seeds(7, 5)
    >>> bool((a == b[:3]).all())
    True
    """
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    return stream_seed(int(seed), np.arange(count, dtype=np.uint64))
