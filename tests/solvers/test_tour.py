"""TourAnnealer: optimal on small TSPLIB instances and random 10-city ones,
reproducible, locally optimal, time-limited; its move kernels against list surgery."""

from __future__ import annotations

import csv
import itertools
import time
from pathlib import Path

import numba
import numpy as np
import pytest
from timing import honoured, timed

from problems.tsp import TravelingSalesman
from solvers import _tour_kernels as kernels
from solvers.tour import TourAnnealer, TourResult, _run_by

DATA = Path(__file__).resolve().parent.parent / "data"


def published_optimum(name: str) -> int:
    with open(DATA / "manifest.csv") as fh:
        for row in csv.DictReader(fh):
            if row["problem"] == "tsp" and row["instance"] == name:
                return int(row["best_known"])
    raise KeyError(name)


def brute_force_length(d: np.ndarray) -> float:
    """Shortest closed tour over all (n-1)! orders with city 0 first, vectorised."""
    n = len(d)
    perms = np.array(list(itertools.permutations(range(1, n))), dtype=np.int64)
    lengths = d[0, perms[:, 0]] + d[perms[:, -1], 0]
    lengths += d[perms[:, :-1], perms[:, 1:]].sum(axis=1)
    return float(lengths.min())


def length_of(d: np.ndarray, tour) -> float:
    tour = np.asarray(tour)
    return float(d[tour, np.roll(tour, -1)].sum())


@pytest.mark.parametrize("name", ["burma14", "ulysses16", "gr17", "fri26", "bayg29"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_settings_reach_published_optimum(name, seed):
    problem = TravelingSalesman.from_tsplib(DATA / "tsplib" / f"{name}.tsp")
    result = TourAnnealer().solve(problem, seed=seed)
    assert sorted(result.tour) == list(range(problem.num_cities)) and result.tour[0] == 0
    assert result.length == problem.tour_length(result.tour) == published_optimum(name)
    assert isinstance(result.length, int)


@pytest.mark.parametrize("instance", range(4))
def test_default_settings_reach_brute_force_optimum_on_random_10_cities(instance):
    problem = TravelingSalesman(coordinates=np.random.default_rng(100 + instance).random((10, 2)))
    optimum = brute_force_length(problem.distance_matrix)
    for seed in range(3):
        result = TourAnnealer().solve(problem.distance_matrix, seed=seed)
        assert result.length == pytest.approx(optimum, rel=1e-12)
        assert result.length == pytest.approx(problem.tour_length(result.tour), rel=1e-12)


def test_same_seed_same_tours_whatever_the_thread_count():
    d = TravelingSalesman(coordinates=np.random.default_rng(5).random((60, 2))).distance_matrix
    params = dict(seed=42, num_restarts=3, num_sweeps=200)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = TourAnnealer().solve(d, **params)
    finally:
        numba.set_num_threads(threads)
    two = TourAnnealer().solve(d, **params)
    assert one.tour == two.tour and one.restart_lengths == two.restart_lengths
    other = TourAnnealer().solve(d, **dict(params, seed=43))
    assert other.restart_lengths != one.restart_lengths


def _improving_move_exists(d: np.ndarray, tour: list[int]) -> str | None:
    """Naive search of the full 2-opt and or-opt (1-3 cities) neighbourhoods."""
    n = len(tour)
    base = length_of(d, tour)
    for i in range(n - 1):
        for j in range(i + 2, n):
            candidate = tour[:i + 1] + tour[i + 1:j + 1][::-1] + tour[j + 1:]
            if length_of(d, candidate) < base - 1e-9:
                return f"2-opt {i} {j}"
    for start in range(n):
        rotated = tour[start:] + tour[:start]
        for seg_len in (1, 2, 3):
            segment, rest = rotated[:seg_len], rotated[seg_len:]
            for k in range(len(rest) + 1):
                for piece in (segment, segment[::-1]):
                    if length_of(d, rest[:k] + piece + rest[k:]) < base - 1e-9:
                        return f"or-opt {start} {seg_len} {k}"
    return None


@pytest.mark.parametrize("seed", [0, 1])
def test_result_is_a_local_optimum_even_after_a_short_anneal(seed):
    d = TravelingSalesman(coordinates=np.random.default_rng(seed).random((40, 2))).distance_matrix
    result = TourAnnealer().solve(d, seed=seed, num_sweeps=1, num_restarts=1, neighbors=3)
    assert _improving_move_exists(d, result.tour) is None


def best_move_delta(d: np.ndarray, tour) -> float:
    """Most negative length change over the full 2-opt and or-opt (1-3 cities, either orientation)
    neighbourhoods, vectorised over all positions (checked against the list surgery above)."""
    t = np.asarray(tour)
    n = len(t)
    k = np.arange(n)
    nxt = t[(k + 1) % n]
    edge = d[t, nxt]  # edge k joins positions k and k+1
    offset = (k[None, :] - k[:, None]) % n  # position j - position i
    # 2-opt: drop edges i and j (not adjacent), join t[i]-t[j] and t[i+1]-t[j+1]
    two_opt = d[t[:, None], t[None, :]] + d[nxt[:, None], nxt[None, :]] - edge[:, None] - edge[None, :]
    best = two_opt[(offset >= 2) & (offset <= n - 2)].min(initial=np.inf)
    for seg in range(1, min(3, n - 3) + 1):
        first, last = t, t[(k + seg - 1) % n]  # the segment at positions i..i+seg-1
        removed = d[t[(k - 1) % n], first] + d[last, t[(k + seg) % n]] - d[t[(k - 1) % n], t[(k + seg) % n]]
        # reinsert it into edge j, outside the segment and its two edges, either way round
        forward = d[t[None, :], first[:, None]] + d[last[:, None], nxt[None, :]] - edge[None, :]
        backward = d[t[None, :], last[:, None]] + d[first[:, None], nxt[None, :]] - edge[None, :]
        moves = np.minimum(forward, backward) - removed[:, None]
        best = min(best, moves[(offset >= seg) & (offset <= n - 2)].min(initial=np.inf))
    return float(best)


def test_vectorised_move_search_agrees_with_list_surgery():
    rng = np.random.default_rng(7)
    found = 0
    for trial in range(60):
        n = int(rng.integers(5, 12))
        d = rng.random((n, n))
        d = d + d.T
        np.fill_diagonal(d, 0)
        tour = [int(c) for c in rng.permutation(n)]
        if trial % 2:  # a local optimum, so both answers occur
            tour = TourAnnealer().solve(d, seed=trial, num_sweeps=1, num_restarts=1).tour
        exists = _improving_move_exists(d, tour) is not None
        assert exists == (best_move_delta(d, tour) < -1e-9)
        found += exists
    assert 10 < found < 50


def test_time_limit_covers_the_whole_solve_and_ends_with_the_final_descent():
    d = TravelingSalesman(coordinates=np.random.default_rng(9).random((300, 2))).distance_matrix
    TourAnnealer().solve(d[:10, :10], seed=0, time_limit=0.05)  # load the kernels outside the clock
    for limit in (0.3, 0.8):
        result, elapsed = timed(lambda: TourAnnealer().solve(d, seed=0, num_sweeps=10_000_000, time_limit=limit))
        assert elapsed <= honoured(limit)
        assert 1 < result.info["num_sweeps"] < 10_000_000  # compressed, not cut
        assert sorted(result.tour) == list(range(300))
        assert result.length == pytest.approx(length_of(d, result.tour))
        assert best_move_delta(d, result.tour) >= -1e-9  # descended to a local optimum


def test_schedule_fitted_to_a_deadline_runs_from_hot_to_cold():
    positions = []

    def run(chunk):  # 2 ms per sweep
        positions.extend(chunk.tolist())
        time.sleep(0.002 * len(chunk))

    deadline = time.perf_counter() + 0.3
    done = _run_by(run, 100_000, deadline)
    assert time.perf_counter() <= deadline + 0.05
    assert done == len(positions) and 10 < done <= 150
    assert positions[0] == 0.0 and positions[-1] == 1.0 and np.all(np.diff(positions) > 0)
    positions.clear()
    assert _run_by(positions.extend, 50, time.perf_counter() + 60.0) == 50  # fits: the requested grid
    assert np.array_equal(positions, np.arange(50) / 49)


def test_a_time_limit_that_is_not_reached_changes_nothing():
    d = TravelingSalesman(coordinates=np.random.default_rng(4).random((60, 2))).distance_matrix
    free = TourAnnealer().solve(d, seed=4, num_sweeps=300)
    limited = TourAnnealer().solve(d, seed=4, num_sweeps=300, time_limit=60.0)
    assert limited.tour == free.tour and limited.restart_lengths == free.restart_lengths
    assert limited.info["num_sweeps"] == free.info["num_sweeps"] == 300


def test_result_shape_and_reported_parameters():
    problem = TravelingSalesman.from_tsplib(DATA / "tsplib" / "gr17.tsp")
    result = TourAnnealer().solve(problem, seed=3, num_restarts=5, neighbors=40)
    assert isinstance(result, TourResult) and result.feasible
    assert len(result.restart_lengths) == 5 and min(result.restart_lengths) == result.length
    assert result.params["neighbors"] == 16  # clipped to n - 1
    assert result.params["num_sweeps"] > 0 and result.params["seed"] == 3
    hot, cold = result.params["t_range"]
    assert hot > cold > 0
    assert set(result.info["timing"]) == {"preprocessing_ns", "sampling_ns", "postprocessing_ns"}
    answer = problem.decode(result)
    assert answer.feasible and answer.length == result.length and answer.tour == result.tour


def test_tiny_and_degenerate_instances():
    assert TourAnnealer().solve([[0, 3], [3, 0]]).length == 6
    assert TourAnnealer().solve([[0, 1, 2], [1, 0, 3], [2, 3, 0]]).length == 6
    zeros = TourAnnealer().solve(np.zeros((6, 6)), seed=0)
    assert zeros.length == 0 and sorted(zeros.tour) == list(range(6))


@pytest.mark.parametrize("params, error, words", [
    (dict(num_restarts=0), ValueError, "'num_restarts' parameter must be an int in [1, 4096]. Got 0"),
    (dict(neighbors=2.5), TypeError, "'neighbors'"),
    (dict(time_limit=-1.0), ValueError, "'time_limit'"),
    (dict(t_range=(1.0, 2.0)), ValueError, "'t_range'"),
    (dict(t_range="hot"), TypeError, "'t_range'"),
    (dict(num_reads=3), ValueError, "Unknown parameter(s) 'num_reads'"),
])
def test_bad_parameters_are_named(params, error, words):
    with pytest.raises(error) as err:
        TourAnnealer().solve([[0, 1, 2, 3], [1, 0, 1, 2], [2, 1, 0, 1], [3, 2, 1, 0]], **params)
    assert words in str(err.value)


@pytest.mark.parametrize("matrix, words", [
    ([[0, 1, 2], [1, 0, 3], [2, 4, 0]], "symmetric"),
    ([[0, 1, 2], [1, 0, 3]], "square"),
    ([[0, -1], [-1, 0]], "non-negative"),
    ([[0]], "at least 2"),
])
def test_bad_matrices_are_rejected(matrix, words):
    with pytest.raises(ValueError, match=words):
        TourAnnealer().solve(matrix)


# ---------------------------------------------------------------- kernel moves vs list surgery

def _state(tour):
    tour = np.array(tour, dtype=np.int32)
    pos = np.empty_like(tour)
    pos[tour] = np.arange(len(tour), dtype=np.int32)
    return tour, pos


def _cycle_edges(tour) -> set:
    n = len(tour)
    return {frozenset((int(tour[i]), int(tour[(i + 1) % n]))) for i in range(n)}


def test_two_opt_and_or_opt_kernels_match_their_deltas_and_list_surgery():
    rng = np.random.default_rng(0)
    n = 11
    d = rng.random((n, n))
    d = d + d.T
    np.fill_diagonal(d, 0)
    checked = {"2opt": 0, "oropt": 0}
    for _ in range(3000):
        order = list(rng.permutation(n))
        tour, pos = _state(order)
        a, c = (int(x) for x in rng.choice(n, 2, replace=False))
        before = length_of(d, tour)
        if rng.random() < 0.5:
            backward = bool(rng.integers(2))
            delta = kernels._two_opt_delta(d, tour, pos, a, c, backward, n)
            if delta == np.inf:
                continue
            kernels._two_opt_apply(tour, pos, a, c, backward, n)
            i, j = order.index(a), order.index(c)
            step = -1 if backward else 1
            b, e = order[(i + step) % n], order[(j + step) % n]
            expected = (_cycle_edges(order) - {frozenset((a, b)), frozenset((c, e))}) | {
                frozenset((a, c)), frozenset((b, e))}
            checked["2opt"] += 1
        else:
            seg_len, reverse = int(rng.integers(1, 4)), bool(rng.integers(2))
            delta = kernels._or_opt_delta(d, tour, pos, a, seg_len, c, reverse, n)
            if delta == np.inf:
                continue
            kernels._or_opt_apply(tour, pos, a, seg_len, c, reverse, n)
            i = order.index(a)
            rotated = order[i:] + order[:i]
            segment, rest = rotated[:seg_len], rotated[seg_len:]
            k = rest.index(c)
            surgery = rest[:k] + segment[::-1] + [c] + rest[k + 1:] if reverse else \
                rest[:k + 1] + segment + rest[k + 1:]
            expected = _cycle_edges(surgery)
            checked["oropt"] += 1
        assert sorted(tour.tolist()) == list(range(n))
        assert np.array_equal(pos[tour], np.arange(n))
        assert _cycle_edges(tour) == expected
        assert length_of(d, tour) == pytest.approx(before + delta)
    assert min(checked.values()) > 500
