"""Native TSP route: simulated annealing over permutations (Kirkpatrick et al., 1983).

:class:`TourAnnealer` anneals tours directly instead of a one-hot QUBO: each
Metropolis proposal is a 2-opt move (reverse a stretch so a city meets one of
its ``neighbors`` nearest cities) or an or-opt move (carry 1-3 consecutive
cities next to such a neighbour), accepted with probability
``min(1, exp(-dL / T))`` while ``T`` falls geometrically over ``num_sweeps``
sweeps of ``n`` proposals. A proposal's length change is O(1) to compute (tour
plus inverse positions); applying an accepted move costs up to n/2 entry moves
(2-opt reverses the shorter side, or-opt rotates the shorter window), so hot
sweeps, which accept many long moves, cost more than cold ones. Independent
restarts run in parallel on all cores, each on its own seeded random stream. A
final 2-opt + or-opt descent over the neighbour lists polishes every restart;
the best restart then descends in the full neighbourhoods (O(n^2) moves per
pass), so the returned tour is a local optimum of 2-opt and of or-opt (segments
of 1-3 cities, either orientation, into any edge).

``time_limit`` bounds the whole solve: time for the final descent is set aside
(timed on a slice of a pass), and the schedule is fitted into the rest, sweeps
timed as they run, so it still ends at the cold temperature
(:func:`_run_by`); a limit that the requested schedule fits changes nothing.

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
import math
import time
from typing import Any

import numpy as np

from energy.rng import stream_seeds
from solvers import _tour_kernels as kernels
from solvers.params import Param, validate

T_START = 1.0  # start temperature, in units of the mean nearest-neighbour distance
T_END = 0.01  # final temperature, same unit
CHUNK_SECONDS = 0.05  # under a time_limit, how often the clock is read and the schedule re-fitted
DESCENT_PROBE = 1 / 16  # under a time_limit, share of the cities whose moves are timed to budget the descent


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
                            description="seconds for the whole solve: the schedule is compressed to fit, leaving "
                                        "time for the final descent"),
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
            done, annealing_ns, descent_ns = 0, 0, 0
        else:
            deadline = None if params["time_limit"] is None else start / 1e9 + params["time_limit"]
            tours, lengths, done, annealing_ns, descent_ns = _anneal(
                dist, neighbors, num_sweeps, t_range, seeds, deadline)
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
            "num_sweeps": done,
        }
        result = TourResult(order, cast(_length(dist, order)), [cast(v) for v in lengths], info, used)
        info["timing"]["preprocessing_ns"] = time.perf_counter_ns() - start - annealing_ns - descent_ns
        return result


def default_num_sweeps(n: int) -> int:
    """Default sweep count: ``min(2000 + 10 n, 20000)``."""
    return min(2000 + 10 * n, 20_000)


def _anneal(dist, k, num_sweeps, t_range, seeds, deadline):
    """Anneal every restart, then descend; ``deadline`` (``perf_counter`` seconds or None) bounds the whole.

    Under a deadline, time for the final descent is set aside first (:func:`_descent_seconds`)
    and the schedule is fitted into the rest (:func:`_run_by`).
    """
    n = len(dist)
    neighbor_lists = np.argsort(dist + np.diag(np.full(n, np.inf)), axis=1, kind="stable")[:, :k]
    neighbor_lists = np.ascontiguousarray(neighbor_lists, dtype=np.int32)
    num = len(seeds)
    tours = np.empty((num, n), dtype=np.int32)
    pos = np.empty((num, n), dtype=np.int32)
    states = np.empty((num, 4), dtype=np.uint64)
    lengths = np.empty(num)
    tolerance = 1e-9 * float(dist.max())
    hot, cold = t_range

    def run(positions: np.ndarray) -> None:
        """One sweep per schedule position x in [0, 1], at temperature hot * (cold / hot) ** x."""
        kernels.anneal_chunk(dist, neighbor_lists, hot * (cold / hot) ** positions, tours, pos, states, lengths)

    t0 = time.perf_counter_ns()
    kernels.init_restarts(dist, seeds, tours, pos, states, lengths)
    if deadline is None:
        run(_grid(0, num_sweeps, num_sweeps))
        done = num_sweeps
    else:
        reserve = _descent_seconds(dist, tours[0], pos[0])
        done = _run_by(run, num_sweeps, deadline - reserve)
    t1 = time.perf_counter_ns()
    kernels.descend_neighbors(dist, neighbor_lists, tours, pos, lengths, tolerance)
    best = int(np.argmin(lengths))
    while kernels.full_pass(dist, tours[best], pos[best], tolerance, n):
        pass
    lengths[best] = _length(dist, tours[best])
    return tours, lengths, done, t1 - t0, time.perf_counter_ns() - t1


def _grid(start: int, stop: int, num_sweeps: int) -> np.ndarray:
    """Positions in [0, 1] of sweeps ``start..stop-1`` of the requested ``num_sweeps``-sweep schedule
    (a lone sweep sits at the cold end)."""
    if num_sweeps == 1:
        return np.ones(stop - start)
    return np.arange(start, stop) / (num_sweeps - 1)


def _run_by(run, num_sweeps: int, deadline: float) -> int:
    """Run a schedule of at most ``num_sweeps`` sweeps from position 0 to 1 so that it ends by
    ``deadline``; returns the number of sweeps run.

    Sweeps run in timed chunks, doubling up to about ``CHUNK_SECONDS``; a chunk shorter than
    ``CHUNK_SECONDS / 2``, such as a lone first sweep, is too short to time (thread wake-ups
    dominate). While the rest of the requested schedule (:func:`_grid`) fits in the time left at
    the fastest timed pace, or nothing has been timed yet, it runs as requested, so a limit it
    fits changes nothing. Otherwise each chunk re-spaces what is left of ``[0, 1]`` evenly into
    as many sweeps as fit at the last chunk's pace (sweeps get cheaper as the tours cool: fewer
    and shorter accepted moves). The last sweep is always at position 1, the cold end.
    """
    done, position, on_grid, chunk = 0, 0.0, True, 1
    fastest = latest = math.inf
    while done < num_sweeps and position < 1.0:
        left = max(0.0, 0.9 * (deadline - time.perf_counter()))
        if on_grid and left > 0.0 and (fastest == math.inf or left >= (num_sweeps - done) * fastest):
            positions = _grid(done, min(done + chunk, num_sweeps), num_sweeps)
        else:
            on_grid = False
            planned = max(1, min(int(left / latest), int((1.0 - position) * (num_sweeps - 1))))
            positions = position + (1.0 - position) * np.arange(1, min(chunk, planned) + 1) / planned
            if len(positions) == planned:
                positions[-1] = 1.0
        started = time.perf_counter()
        run(positions)
        elapsed = max(time.perf_counter() - started, 1e-9)
        latest = elapsed / len(positions)
        if elapsed >= CHUNK_SECONDS / 2:
            fastest = min(fastest, latest)
        chunk = max(1, min(2 * len(positions), int(CHUNK_SECONDS / latest)))
        done, position = done + len(positions), float(positions[-1])
    return done


def _descent_seconds(dist, tour, pos) -> float:
    """Time to set aside for the final descent: four full passes (a tour from a compressed anneal
    needs one to three, plus the neighbour-list descent), extrapolated from evaluating (infinite
    tolerance: applying none) the moves of ``DESCENT_PROBE`` of the cities."""
    n = len(dist)
    rows = max(1, int(np.ceil(DESCENT_PROBE * n)))
    started = time.perf_counter()
    kernels.full_pass(dist, tour, pos, np.inf, rows)
    return 4.0 * (time.perf_counter() - started) * n / rows


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
