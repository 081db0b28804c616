"""Native TSP route: simulated annealing over permutations (Kirkpatrick et al., 1983).

:class:`TourAnnealer` anneals tours directly instead of a one-hot QUBO: each
Metropolis proposal is a 2-opt move (reverse a stretch so a city meets one of
its ``neighbors`` nearest cities) or an or-opt move (carry 1-3 consecutive
cities next to such a neighbour), accepted with probability
``min(1, exp(-dL / T))`` while ``T`` falls geometrically over ``num_sweeps``
sweeps of ``n`` proposals. Independent restarts run in parallel on all cores,
each on its own seeded random stream. A final 2-opt + or-opt descent over the
neighbour lists polishes every restart; the best restart then descends in the
full neighbourhoods, so the returned tour is a local optimum of 2-opt and of
or-opt (segments of 1-3 cities, either orientation, into any edge).

Automatic temperatures: with ``s`` the mean distance from a city to its
nearest neighbour, ``t_range = (T_START * s, T_END * s) = (s, s / 100)``. At
``T = s`` a move that lengthens the tour by one typical short edge is accepted
with probability ``exp(-1) ~ 0.37`` (the tour is fluid, but neighbour moves
still favour short edges); at ``T = s / 100`` with ``exp(-100)``: frozen.
Default ``num_sweeps`` is :func:`default_num_sweeps`.

>>> import numpy as np
>>> d = np.array([[0, 1, 5, 1], [1, 0, 1, 5], [5, 1, 0, 1], [1, 5, 1, 0]])
>>> result = TourAnnealer().solve(d, seed=1)
>>> result.tour, result.length
([0, 1, 2, 3], 4)
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from energy.rng import stream_seeds
from solvers import _tour_kernels as kernels
from solvers.params import Param, validate

T_START = 1.0  # start temperature, in units of the mean nearest-neighbour distance
T_END = 0.01  # final temperature, same unit
_CHUNK_SECONDS = 0.1  # how often the clock is checked when time_limit is set


@dataclasses.dataclass
class TourResult:
    """Best tour over all restarts (starting at city 0) and how it was found.

    ``length`` is exact for integer distance matrices (an int).
    """

    tour: list[int]
    length: float
    restart_lengths: list[float]
    info: dict[str, Any]
    params: dict[str, Any]
    feasible: bool = True

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class TourAnnealer:
    """Simulated annealing over tours with neighbour-list 2-opt and or-opt moves.

    ``solve`` accepts a problem with a ``distance_matrix`` attribute (e.g.
    ``problems.tsp.TravelingSalesman``) or a symmetric distance matrix.
    The annealer keeps no state between calls.
    """

    PARAMS = {
        "num_restarts": Param(int, low=1, high=4096, default=4,
                              description="independent anneals run in parallel; the best is returned"),
        "num_sweeps": Param(int, low=1, high=10_000_000, default=None,
                            description="temperature steps of n proposals each (default: 2000 + 10 n, at most 20000)"),
        "t_range": Param(object, default=None,
                         description="(start, end) temperatures, start >= end > 0 (default: derived from the instance)"),
        "neighbors": Param(int, low=1, high=1000, default=10,
                           description="k nearest cities a move may connect (clipped to n - 1)"),
        "seed": Param(int, low=0, high=2**64 - 1, default=None, description="seed for reproducible tours"),
        "time_limit": Param(float, low=0.0, high=86_400.0, default=None,
                            description="seconds; stop annealing early, then descend from the best tours so far"),
    }

    @property
    def parameters(self) -> dict:
        return {name: [] for name in self.PARAMS}

    def solve(self, problem_or_distance_matrix, **params) -> TourResult:
        """Anneal and return the best tour found (see class docstring for parameters)."""
        start = time.perf_counter_ns()
        dist, exact = _distances(problem_or_distance_matrix)
        params = validate(self.PARAMS, params)
        n = len(dist)
        neighbors = min(params["neighbors"], n - 1)
        num_sweeps = params["num_sweeps"] or default_num_sweeps(n)
        t_range = _t_range(params["t_range"], dist)
        used = dict(params, neighbors=neighbors, num_sweeps=num_sweeps, t_range=t_range)
        seeds = stream_seeds(params["seed"], params["num_restarts"])

        if n <= 3:  # every tour has the same length
            tours = np.tile(np.arange(n, dtype=np.int32), (params["num_restarts"], 1))
            lengths = np.full(params["num_restarts"], float(_length(dist, tours[0])))
            sweeps_done, annealing_ns, descent_ns = 0, 0, 0
        else:
            tours, lengths, sweeps_done, annealing_ns, descent_ns = _anneal(
                dist, neighbors, num_sweeps, t_range, seeds, params["time_limit"])
        best = int(np.argmin(lengths))
        order = tours[best].tolist()
        zero = order.index(0)
        order = order[zero:] + order[:zero]
        cast = int if exact else float
        info = {
            "timing": {
                "preprocessing_ns": 0,
                "sampling_ns": annealing_ns,
                "postprocessing_ns": descent_ns,
            },
            "num_sweeps_done": sweeps_done,
            "stopped_early": sweeps_done < num_sweeps and n > 3,
        }
        result = TourResult(order, cast(_length(dist, order)), [cast(v) for v in lengths], info, used)
        info["timing"]["preprocessing_ns"] = time.perf_counter_ns() - start - annealing_ns - descent_ns
        return result


def default_num_sweeps(n: int) -> int:
    """Default sweep count: ``min(2000 + 10 n, 20000)``."""
    return min(2000 + 10 * n, 20_000)


def _anneal(dist, k, num_sweeps, t_range, seeds, time_limit):
    n = len(dist)
    neighbor_lists = np.argsort(dist + np.diag(np.full(n, np.inf)), axis=1, kind="stable")[:, :k]
    neighbor_lists = np.ascontiguousarray(neighbor_lists, dtype=np.int32)
    num = len(seeds)
    tours = np.empty((num, n), dtype=np.int32)
    pos = np.empty((num, n), dtype=np.int32)
    states = np.empty((num, 4), dtype=np.uint64)
    lengths = np.empty(num)

    t0 = time.perf_counter_ns()
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    kernels.init_restarts(dist, seeds, tours, pos, states, lengths)
    best_tours, best_pos, best_lengths = tours.copy(), pos.copy(), lengths.copy()
    done = 0
    chunk = num_sweeps if deadline is None else 1
    while done < num_sweeps:
        if deadline is not None and time.perf_counter() >= deadline:
            break
        step = min(chunk, num_sweeps - done)
        tic = time.perf_counter()
        temperatures = _geometric(t_range, num_sweeps, done, done + step)
        kernels.anneal_chunk(dist, neighbor_lists, temperatures, tours, pos, states, lengths)
        done += step
        better = lengths < best_lengths
        best_tours[better], best_pos[better], best_lengths[better] = tours[better], pos[better], lengths[better]
        if deadline is not None:
            per_sweep = max(time.perf_counter() - tic, 1e-6) / step
            chunk = max(1, int(_CHUNK_SECONDS / per_sweep))
    t1 = time.perf_counter_ns()
    tolerance = 1e-9 * float(dist.max())
    kernels.descend_neighbors(dist, neighbor_lists, best_tours, best_pos, best_lengths, tolerance)
    best = int(np.argmin(best_lengths))
    best_lengths[best] = kernels.descend_full(dist, best_tours[best], best_pos[best], tolerance)
    return best_tours, best_lengths, done, t1 - t0, time.perf_counter_ns() - t1


def _geometric(t_range, num_sweeps, start, stop):
    """Temperatures of sweeps start..stop-1 of a geometric schedule from t_range[0] to t_range[1]."""
    hot, cold = t_range
    fraction = np.arange(start, stop) / max(num_sweeps - 1, 1)
    return hot * (cold / hot) ** fraction


def _length(dist, order):
    order = np.asarray(order)
    return dist[order, np.roll(order, -1)].sum()


def _distances(source) -> tuple[np.ndarray, bool]:
    """float64 distance matrix and whether its entries are all integers."""
    matrix = getattr(source, "distance_matrix", source)
    try:
        d = np.array(matrix, dtype=float)
    except (TypeError, ValueError):
        raise TypeError("expected a problem with a distance_matrix or a square matrix of numbers") from None
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise ValueError(f"distance matrix must be square, got shape {d.shape}")
    if d.shape[0] < 2:
        raise ValueError(f"need at least 2 cities, got {d.shape[0]}")
    if not np.isfinite(d).all() or (d < 0).any():
        raise ValueError("distances must be finite and non-negative")
    if not np.array_equal(d, d.T):
        raise ValueError("distance matrix must be symmetric")
    exact = bool(np.all(d == np.round(d)))
    return np.ascontiguousarray(d), exact


def _t_range(t_range, dist) -> tuple[float, float]:
    if t_range is not None:
        try:
            hot, cold = (float(t) for t in t_range)
        except (TypeError, ValueError):
            raise TypeError(f"The 't_range' parameter must be a pair of floats. Got {t_range!r} instead.") from None
        if not (np.isfinite(hot) and np.isfinite(cold) and hot >= cold > 0):
            raise ValueError(f"The 't_range' parameter must satisfy start >= end > 0. Got {t_range!r} instead.")
        return hot, cold
    n = len(dist)
    nearest = np.partition(dist + np.diag(np.full(n, np.inf)), 0, axis=1)[:, 0]
    scale = float(nearest.mean())
    if scale <= 0:  # coincident cities everywhere: fall back to the mean edge
        scale = float(dist.sum() / (n * (n - 1))) or 1.0
    return T_START * scale, T_END * scale
