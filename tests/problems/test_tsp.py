"""TravelingSalesman: TSPLIB parsing, one-hot QUBO, decoding and repair, the service's QUBO route.

Oracles: published optima (tests/data/manifest.csv) and published optimal
tours, a Held-Karp dynamic programme, brute force over all tours, exhaustive
enumeration of the BQM, and scalar re-implementations of TSPLIB's distance
formulas and matrix formats.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from pathlib import Path

import dimod
import numpy as np
import pytest

from app.pipeline import solve
from problems.errors import ProblemError
from problems.tsp import TourAnswer, TravelingSalesman
from problems.tsplib import MAX_CITIES, coordinate_distances, parse_tsplib, read_tsplib
from solvers.exact import ExactSolver

DATA = Path(__file__).resolve().parent.parent / "data"
TSPLIB = DATA / "tsplib"


def published_optimum(name: str) -> int:
    with open(DATA / "manifest.csv") as fh:
        for row in csv.DictReader(fh):
            if row["problem"] == "tsp" and row["instance"] == name:
                return int(row["best_known"])
    raise KeyError(name)


def held_karp(d: np.ndarray) -> float:
    """Optimal tour length by the Held-Karp DP, vectorised over subsets of each size."""
    n = len(d)
    m = n - 1  # cities 1..n-1 are bits 0..m-1
    full = 1 << m
    dp = np.full((full, m), np.inf)
    for j in range(m):
        dp[1 << j, j] = d[0, j + 1]
    masks = np.arange(full)
    popcount = np.array([bin(x).count("1") for x in range(full)])
    sub = d[1:, 1:]
    for size in range(2, m + 1):
        layer = masks[popcount == size]
        for j in range(m):
            with_j = layer[(layer >> j) & 1 == 1]
            prev = with_j ^ (1 << j)
            dp[with_j, j] = (dp[prev] + sub[:, j]).min(axis=1)
    return float((dp[full - 1] + d[1:, 0]).min())


def brute_force_length(d: np.ndarray) -> float:
    n = len(d)
    return min(sum(d[a, b] for a, b in zip((0, *p), (*p, 0))) for p in itertools.permutations(range(1, n)))


def all_energies(bqm: dimod.BinaryQuadraticModel, order: list) -> np.ndarray:
    """Energy of every binary state (rows of itertools.product order)."""
    states = np.array(list(itertools.product((0, 1), repeat=len(order))), dtype=float)
    h, (rows, cols, vals), offset = bqm.to_numpy_vectors(variable_order=order)
    return states, states @ h + (states[:, rows] * states[:, cols]) @ vals + offset


def tour_sample(tour: list[int]) -> dict:
    n = len(tour)
    return {(c, p): int(tour[p] == c) for c in range(1, n) for p in range(1, n)}


# ---------------------------------------------------------------- TSPLIB parsing

EXPECTED_TYPES = {
    "burma14": "GEO", "ulysses16": "GEO", "gr17": "EXPLICIT", "fri26": "EXPLICIT", "bayg29": "EXPLICIT",
    "dantzig42": "EXPLICIT", "att48": "ATT", "eil51": "EUC_2D", "berlin52": "EUC_2D",
}


@pytest.mark.parametrize("name", sorted(EXPECTED_TYPES))
def test_shipped_files_parse_to_symmetric_integer_matrices(name):
    instance = read_tsplib(TSPLIB / f"{name}.tsp")
    d = instance.distances
    assert instance.edge_weight_type == EXPECTED_TYPES[name]
    assert d.shape == (int(name.strip("abcdefghijklmnopqrstuvwxyz")),) * 2
    assert d.dtype == np.int64
    assert np.array_equal(d, d.T) and not np.diag(d).any()
    assert (d[~np.eye(len(d), dtype=bool)] > 0).all()


# Published optimal tours (TSPLIB .opt.tour files), 1-based.
OPTIMAL_TOURS = {
    "burma14": "1 2 14 3 4 5 6 12 7 13 8 11 9 10",
    "ulysses16": "1 14 13 12 7 6 15 5 11 9 10 16 3 2 4 8",
    "gr17": "1 4 13 7 8 6 17 14 15 3 11 10 2 5 9 12 16",
    "att48": "1 8 38 31 44 18 7 28 6 37 19 27 17 43 30 36 46 33 20 47 21 32 39 48 5 42 24 10 45 35 4 26 2 29 "
             "34 41 16 22 3 23 14 25 13 11 12 15 40 9",
    "eil51": "1 22 8 26 31 28 3 36 35 20 2 29 21 16 50 34 30 9 49 10 39 33 45 15 44 42 40 19 41 13 25 14 24 "
             "43 7 23 48 6 27 51 46 12 47 18 4 17 37 5 38 11 32",
    "berlin52": "1 49 32 45 19 41 8 9 10 43 33 51 11 52 14 13 47 26 27 28 12 25 4 6 15 5 24 48 38 37 40 39 36 "
                "35 34 44 46 16 29 50 20 23 30 2 7 42 21 17 3 18 31 22",
}


@pytest.mark.parametrize("name", sorted(OPTIMAL_TOURS))
def test_published_optimal_tour_has_published_length(name):
    problem = TravelingSalesman.from_tsplib(TSPLIB / f"{name}.tsp")
    tour = [int(city) - 1 for city in OPTIMAL_TOURS[name].split()]
    assert sorted(tour) == list(range(problem.num_cities))
    assert problem.tour_length(tour) == published_optimum(name)
    answer = problem.decode(tour)
    assert answer.feasible and answer.length == published_optimum(name) and answer.tour[0] == 0


@pytest.mark.parametrize("name", ["burma14", "ulysses16", "gr17"])
def test_held_karp_optimum_of_parsed_matrix_is_published(name):
    problem = TravelingSalesman.from_tsplib(TSPLIB / f"{name}.tsp")
    assert held_karp(problem.distance_matrix.astype(float)) == published_optimum(name)


def test_held_karp_oracle_agrees_with_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(3):
        d = rng.integers(1, 100, size=(8, 8))
        d = np.triu(d, 1) + np.triu(d, 1).T
        assert held_karp(d.astype(float)) == brute_force_length(d)


def test_dantzig42_canonical_tour_is_its_optimum():
    # dantzig42's cities are numbered along an optimal tour.
    problem = TravelingSalesman.from_tsplib(TSPLIB / "dantzig42.tsp")
    assert problem.tour_length(range(42)) == published_optimum("dantzig42") == 699


def _nint(x: float) -> int:
    return int(x + 0.5)


def _geo(x: float, y: float) -> tuple[float, float]:
    def rad(v):
        deg = int(v)
        return 3.141592 * (deg + 5.0 * (v - deg) / 3.0) / 180.0
    return rad(x), rad(y)


def reference_distance(kind: str, a, b) -> int:
    """TSPLIB 95 formulas written out scalar by scalar (Reinelt, section 2)."""
    dx, dy = a[0] - b[0], a[1] - b[1]
    if kind == "EUC_2D":
        return _nint(math.sqrt(dx * dx + dy * dy))
    if kind == "CEIL_2D":
        return math.ceil(math.sqrt(dx * dx + dy * dy))
    if kind == "ATT":
        r = math.sqrt((dx * dx + dy * dy) / 10.0)
        t = _nint(r)
        return t + 1 if t < r else t
    if kind == "GEO":
        (lat_a, lon_a), (lat_b, lon_b) = _geo(*a), _geo(*b)
        q1, q2, q3 = math.cos(lon_a - lon_b), math.cos(lat_a - lat_b), math.cos(lat_a + lat_b)
        return int(6378.388 * math.acos(0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3)) + 1.0)
    raise AssertionError(kind)


@pytest.mark.parametrize("name", ["burma14", "ulysses16", "att48", "eil51", "berlin52"])
def test_coordinate_distances_match_scalar_tsplib_formulas(name):
    instance = read_tsplib(TSPLIB / f"{name}.tsp")
    coords = instance.coordinates
    n = len(coords)
    for i in range(n):
        for j in range(n):
            if i != j:
                assert instance.distances[i, j] == reference_distance(instance.edge_weight_type, coords[i], coords[j])


def _coord_text(kind: str, coords) -> str:
    lines = ["NAME : synthetic", "TYPE : TSP", f"DIMENSION : {len(coords)}", f"EDGE_WEIGHT_TYPE : {kind}",
             "NODE_COORD_SECTION"]
    lines += [f"{i + 1} {x} {y}" for i, (x, y) in enumerate(coords)]
    return "\n".join(lines + ["EOF", ""])


def test_ceil_2d_rounds_up():
    coords = [(0.0, 0.0), (1.0, 1.0), (3.0, 4.0), (10.2, 0.0)]
    d = read_tsplib(_coord_text("CEIL_2D", coords)).distances
    assert d[0, 1] == 2 and d[0, 2] == 5 and d[0, 3] == 11
    for i, j in itertools.permutations(range(4), 2):
        assert d[i, j] == reference_distance("CEIL_2D", coords[i], coords[j])


def test_ceil_2d_on_real_coordinates_matches_the_scalar_formula():
    """No shipped instance is CEIL_2D: berlin52's coordinates stand in, against the scalar formula."""
    coords = read_tsplib(TSPLIB / "berlin52.tsp").coordinates
    d = coordinate_distances(coords, "CEIL_2D")
    for i, j in itertools.combinations(range(len(coords)), 2):
        assert d[i, j] == d[j, i] == reference_distance("CEIL_2D", coords[i], coords[j])


def test_geo_uses_degrees_and_minutes():
    # 0.30 is 0 degrees 30 minutes = half a degree; 1 degree of arc is 111.32 km on RRR = 6378.388.
    d = read_tsplib(_coord_text("GEO", [(0.0, 0.0), (0.30, 0.0), (1.0, 0.0)])).distances
    assert d[0, 1] == int(6378.388 * 3.141592 * 0.5 / 180 + 1.0) == 56
    assert d[0, 2] == 112


FORMATS = ("FULL_MATRIX", "UPPER_ROW", "LOWER_ROW", "UPPER_DIAG_ROW", "LOWER_DIAG_ROW")


def spec_entries(d, fmt: str) -> list[int]:
    """The EDGE_WEIGHT_SECTION of ``d`` in ``fmt``, one scalar at a time from TSPLIB 95's definitions of
    EDGE_WEIGHT_FORMAT: the full matrix or the upper/lower triangle, with or without the diagonal, row by row."""
    keep = {"FULL_MATRIX": lambda i, j: True, "UPPER_ROW": lambda i, j: j > i, "LOWER_ROW": lambda i, j: j < i,
            "UPPER_DIAG_ROW": lambda i, j: j >= i, "LOWER_DIAG_ROW": lambda i, j: j <= i}[fmt]
    n = len(d)
    return [int(d[i][j]) for i in range(n) for j in range(n) if keep(i, j)]


def _explicit_text(d: np.ndarray, fmt: str) -> str:
    numbers = [str(v) for v in spec_entries(d, fmt)]
    body = [" ".join(numbers[k:k + 7]) for k in range(0, len(numbers), 7)]  # rows wrapped arbitrarily
    head = ["NAME: explicit", "TYPE: TSP", f"DIMENSION: {len(d)}", "EDGE_WEIGHT_TYPE: EXPLICIT",
            f"EDGE_WEIGHT_FORMAT: {fmt}", "EDGE_WEIGHT_SECTION"]
    return "\n".join(head + body + ["EOF"])


def _section_numbers(text: str) -> list[int]:
    """The numbers of a file's EDGE_WEIGHT_SECTION, up to the next keyword line."""
    lines = text.splitlines()
    start = next(k for k, line in enumerate(lines) if line.strip().startswith("EDGE_WEIGHT_SECTION")) + 1
    numbers = []
    for line in lines[start:]:
        if line.strip() and not line.split()[0].lstrip("-").replace(".", "").isdigit():
            break
        numbers += [int(tok) for tok in line.split()]
    return numbers


# Shipped EXPLICIT instances and their formats; their optima through the parser are checked
# elsewhere: gr17 by Held-Karp (above), dantzig42 by its canonical tour (above), fri26 and
# bayg29 by the tour annealer reaching the published optimum (tests/solvers/test_tour.py).
SHIPPED_FORMATS = {"gr17": "LOWER_DIAG_ROW", "fri26": "LOWER_DIAG_ROW", "dantzig42": "LOWER_DIAG_ROW",
                   "bayg29": "UPPER_ROW"}


@pytest.mark.parametrize("name", sorted(SHIPPED_FORMATS))
def test_shipped_explicit_files_match_the_scalar_format_definition(name):
    text = (TSPLIB / f"{name}.tsp").read_text()
    assert f"EDGE_WEIGHT_FORMAT: {SHIPPED_FORMATS[name]}" in text.replace(" :", ":")
    d = read_tsplib(TSPLIB / f"{name}.tsp").distances
    assert _section_numbers(text) == spec_entries(d, SHIPPED_FORMATS[name])


@pytest.mark.parametrize("fmt", FORMATS)
def test_explicit_formats_round_trip(fmt):
    """FULL_MATRIX, LOWER_ROW and UPPER_DIAG_ROW have no real instance here: they are checked by writing
    matrices with the scalar definition (:func:`spec_entries`) and parsing them back -- a random one, and
    fri26's real matrix, whose published optimum is checked through its own LOWER_DIAG_ROW file."""
    rng = np.random.default_rng(11)
    upper = np.triu(rng.integers(1, 1000, size=(9, 9)), 1)
    d = upper + upper.T
    assert np.array_equal(read_tsplib(_explicit_text(d, fmt)).distances, d)
    fri26 = read_tsplib(TSPLIB / "fri26.tsp").distances
    assert np.array_equal(read_tsplib(_explicit_text(fri26, fmt)).distances, fri26)


def test_from_tsplib_reads_path_string_path_and_text_alike():
    path = TSPLIB / "gr17.tsp"
    by_path = TravelingSalesman.from_tsplib(path).distance_matrix
    assert np.array_equal(TravelingSalesman.from_tsplib(str(path)).distance_matrix, by_path)
    assert np.array_equal(TravelingSalesman.from_tsplib(path.read_text()).distance_matrix, by_path)
    assert TravelingSalesman.from_tsplib(path).name == "gr17"


@pytest.mark.parametrize("text, field, words", [
    (_coord_text("EUC_3D", [(0, 0), (1, 1), (2, 2)]), "EDGE_WEIGHT_TYPE", "EUC_3D"),
    (_coord_text("EUC_2D", [(0, 0), (1, 1), (2, 2)]).replace("DIMENSION : 3", "DIMENSION : 4"),
     "NODE_COORD_SECTION", "truncated"),
    (_explicit_text(np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]]), "UPPER_ROW").replace("1 2 3", "1 2"),
     "EDGE_WEIGHT_SECTION", "truncated"),
    (_explicit_text(np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]]), "UPPER_ROW").replace("UPPER_ROW", "UPPER_COL"),
     "EDGE_WEIGHT_FORMAT", "UPPER_COL"),
    (_coord_text("EUC_2D", [(0, 0), (1, 1), (2, 2)]).replace("TYPE : TSP", "TYPE : ATSP"), "TYPE", "ATSP"),
    (_coord_text("EUC_2D", [(0, 0), (1, 1), (2, 2)]).replace("DIMENSION : 3\n", ""), "DIMENSION", "missing"),
    (_coord_text("EUC_2D", [(0, 0), (1, "x"), (2, 2)]), "NODE_COORD_SECTION", "non-numeric"),
    (_coord_text("EUC_2D", [(0, 0), (1, "nan"), (2, 2)]), "NODE_COORD_SECTION", "finite"),
    ("NAME: x\nTYPE: TSP\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\nEOF\n", "NODE_COORD_SECTION", "missing"),
    (_coord_text("EUC_2D", [(0, 0), (1, 1), (2, 2)]).replace("DIMENSION : 3", "DIMENSION : 3\nDIMENSION : 3"),
     "DIMENSION", "twice"),
    (_coord_text("EUC_2D", [(0, 0), (1, 1), (2, 2)]).replace("DIMENSION : 3", f"DIMENSION : {MAX_CITIES + 1}"),
     "DIMENSION", str(MAX_CITIES)),
    (_coord_text("EUC_2D", [(0, 0), (1, 1), (2, 2)]).replace("DIMENSION : 3", "DIMENSION : " + "9" * 5000),
     "DIMENSION", "not an integer"),
    (_coord_text("EUC_2D", [(0, 0), (1, 1), (2, 2)]).replace("EOF", "NODE_COORD_SECTION\n1 0 0\nEOF"),
     "NODE_COORD_SECTION", "twice"),
    (_coord_text("EUC_2D", [(0, 0), (1, 1), (2, 2)]).replace("\n2 ", "\n2.5 "), "NODE_COORD_SECTION", "integer"),
    (_coord_text("EUC_2D", [(0, 0), (1, 1), (4e15, 2)]), "NODE_COORD_SECTION", "2**53"),
    (_coord_text("EUC_2D", [(0, 0), (1, 1), (1e300, -1e300)]), "NODE_COORD_SECTION", "finite"),
    (_explicit_text(np.array([[0, 1, 2], [1, 0, 3], [5, 3, 0]]), "FULL_MATRIX"), "EDGE_WEIGHT_SECTION", "symmetric"),
    (_explicit_text(np.array([[0, -1, 2], [-1, 0, 3], [2, 3, 0]]), "UPPER_ROW"), "EDGE_WEIGHT_SECTION", "non-negative"),
    (_explicit_text(np.array([[4, 1, 2], [1, 0, 3], [2, 3, 0]]), "UPPER_DIAG_ROW"), "EDGE_WEIGHT_SECTION", "diagonal"),
    (_explicit_text(np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]]), "UPPER_ROW").replace("1 2 3", "1 2 inf"),
     "EDGE_WEIGHT_SECTION", "integers"),
    (_explicit_text(np.array([[0, 10**16, 2], [10**16, 0, 3], [2, 3, 0]]), "UPPER_ROW"), "EDGE_WEIGHT_SECTION",
     "2**53"),
])
def test_bad_tsplib_names_the_field(text, field, words):
    with pytest.raises(ProblemError) as err:
        parse_tsplib(text)
    assert err.value.field == field
    assert words in str(err.value)


def test_missing_file_is_a_problem_error():
    with pytest.raises(ProblemError, match="no such file"):
        TravelingSalesman.from_tsplib("/nonexistent/file.tsp")


# ---------------------------------------------------------------- construction

def test_coordinates_give_float_euclidean_distances():
    problem = TravelingSalesman(coordinates=[[0, 0], [3, 4], [0, 1]])
    assert problem.distance_matrix.dtype == float
    assert problem.distance_matrix[0, 1] == 5.0 and problem.distance_matrix[1, 2] == pytest.approx(math.sqrt(18))
    assert problem.kind == "tsp"


@pytest.mark.parametrize("kwargs, field, words", [
    (dict(distance_matrix=[[0, 1, 2], [1, 0, 3], [2, 4, 0]]), "distance_matrix", "symmetric"),
    (dict(distance_matrix=[[0, 1, 2], [1, 0, 3]]), "distance_matrix", "square"),
    (dict(distance_matrix=[[0, -1], [-1, 0]]), "distance_matrix[0][1]", "non-negative"),
    (dict(distance_matrix=[[0, 1], [1, 5]]), "distance_matrix[1][1]", "diagonal"),
    (dict(distance_matrix=[[0, np.inf], [np.inf, 0]]), "distance_matrix[0][1]", "finite"),
    (dict(distance_matrix=[[0]]), "distance_matrix", "at least 2"),
    (dict(coordinates=[[0, 0], [1, np.nan], [2, 2]]), "coordinates[1]", "NaN"),
    (dict(coordinates=[[0, 0, 0], [1, 1, 1]]), "coordinates", "shape"),
    (dict(coordinates=[[0, 0]]), "coordinates", "at least 2"),
    (dict(coordinates=[[0, 0], [1e300, 1e300]]), "coordinates", "finite"),
    (dict(coordinates=[[0, 0], [1e150, 0], [0, 1e150]]), "coordinates", "exceed"),
    (dict(distance_matrix=[[0, 2**53], [2**53, 0]]), "distance_matrix", "2**53"),
    (dict(distance_matrix=[[0, 1e300], [1e300, 0]]), "distance_matrix", "exceed"),
    (dict(coordinates=np.zeros((MAX_CITIES + 1, 2))), "coordinates", f"at most {MAX_CITIES}"),
    (dict(), "coordinates", "exactly one"),
    (dict(coordinates=[[0, 0], [1, 1]], distance_matrix=[[0, 1], [1, 0]]), "coordinates", "exactly one"),
])
def test_bad_input_names_the_field(kwargs, field, words):
    with pytest.raises(ProblemError) as err:
        TravelingSalesman(**kwargs)
    assert err.value.field == field
    assert words in str(err.value)


def test_two_and_three_cities_are_trivial_but_valid():
    two = TravelingSalesman(distance_matrix=[[0, 4], [4, 0]])
    assert two.decode(dimod.ExactSolver().sample(two.to_bqm())).tour == [0, 1]
    assert two.decode([1, 0]).length == 8
    three = TravelingSalesman(coordinates=[[0, 0], [3, 0], [0, 4]])
    answer = three.decode(dimod.ExactSolver().sample(three.to_bqm()))
    assert answer.feasible and answer.length == pytest.approx(12.0)


# ---------------------------------------------------------------- QUBO route

def random_problem(n: int, seed: int) -> TravelingSalesman:
    return TravelingSalesman(coordinates=np.random.default_rng(seed).random((n, 2)))


def test_bqm_has_one_variable_per_free_city_and_step():
    bqm = random_problem(6, 0).to_bqm()
    assert set(bqm.variables) == {(c, p) for c in range(1, 6) for p in range(1, 6)}
    assert bqm.vartype is dimod.BINARY


@pytest.mark.parametrize("seed", range(4))
def test_every_valid_tour_energy_is_its_length(seed):
    problem = random_problem(6, seed)
    bqm = problem.to_bqm()
    for perm in itertools.permutations(range(1, 6)):
        tour = [0, *perm]
        assert bqm.energy(tour_sample(tour)) == pytest.approx(problem.tour_length(tour))


@pytest.mark.parametrize("seed", range(5))
def test_exhaustive_ground_states_are_optimal_valid_tours(seed):
    problem = random_problem(5, seed)
    bqm = problem.to_bqm()
    order = sorted(bqm.variables)
    states, energies = all_energies(bqm, order)
    optimum = brute_force_length(problem.distance_matrix)
    assert energies.min() == pytest.approx(optimum)
    ground = np.flatnonzero(energies <= energies.min() + 1e-9)
    for index in ground:
        answer = problem.decode(dict(zip(order, states[index].astype(int))))
        assert answer.feasible and answer.length == pytest.approx(optimum)


@pytest.mark.parametrize("seed", range(2))
def test_six_city_exhaustive_ground_states_are_optimal_valid_tours(seed):
    """All 2**25 states of the n = 6 BQM, enumerated by our numba ExactSolver, against brute force."""
    problem = random_problem(6, seed)
    sampleset = ExactSolver().sample(problem.to_bqm(), num_states=16)
    assert sampleset.info["num_states_enumerated"] == 2**25
    optimum = brute_force_length(problem.distance_matrix)
    energies = sampleset.record.energy
    assert energies.min() == pytest.approx(optimum)
    ground = energies <= energies.min() + 1e-9
    assert 2 <= ground.sum() < len(sampleset)  # a tour and its reverse; every ground state is listed
    for sample in sampleset.record.sample[ground]:
        answer = problem.decode(dict(zip(sampleset.variables, sample)))
        assert answer.feasible and answer.length == pytest.approx(optimum)


def test_exhaustive_broken_states_lie_above_the_optimum():
    problem = random_problem(5, 7)
    bqm = problem.to_bqm()
    order = sorted(bqm.variables)
    states, energies = all_energies(bqm, order)
    grid = states.reshape(len(states), 4, 4)
    valid = (grid.sum(axis=1) == 1).all(axis=1) & (grid.sum(axis=2) == 1).all(axis=1)
    assert valid.sum() == 24
    assert energies[~valid].min() > brute_force_length(problem.distance_matrix) + 1e-9


def test_too_small_penalty_makes_broken_ground_states():
    # the automatic rule is not vacuous: a penalty well below the longest edge fails
    problem = random_problem(5, 1)
    bqm = problem.to_bqm(lagrange=0.1 * problem.distance_matrix.max())
    order = sorted(bqm.variables)
    states, energies = all_energies(bqm, order)
    best = dict(zip(order, states[np.argmin(energies)].astype(int)))
    assert not problem.decode(best).feasible


@pytest.mark.parametrize("seed", range(3))
def test_six_cities_every_single_flip_from_a_tour_costs_at_least_the_margin(seed):
    problem = random_problem(6, seed)
    lagrange = problem.default_lagrange()
    bqm = problem.to_bqm()
    margin = 2 * (lagrange - problem.distance_matrix.max())
    assert margin > 0
    for perm in itertools.permutations(range(1, 6)):
        sample = tour_sample([0, *perm])
        base = bqm.energy(sample)
        for v in sample:
            flipped = dict(sample)
            flipped[v] = 1 - flipped[v]
            assert bqm.energy(flipped) - base >= margin - 1e-9


def test_custom_lagrange_is_used_and_reported():
    problem = random_problem(4, 0)
    bqm = problem.to_bqm(lagrange=10.0)
    empty = {v: 0 for v in bqm.variables}
    assert bqm.energy(empty) == pytest.approx(2 * 3 * 10.0)  # three empty rows and three empty columns
    assert problem.decode(empty, lagrange=10.0).lagrange == 10.0
    assert problem.decode(empty).lagrange == problem.default_lagrange()
    with pytest.raises(ProblemError) as err:
        problem.to_bqm(lagrange=-1)
    assert err.value.field == "lagrange"


def test_default_lagrange_rule():
    problem = TravelingSalesman(distance_matrix=[[0, 2, 9], [2, 0, 6], [9, 6, 0]])
    assert problem.default_lagrange() == 1.5 * 9


# ---------------------------------------------------------------- decoding

def test_decode_sampleset_takes_the_lowest_energy_sample():
    problem = random_problem(5, 2)
    bqm = problem.to_bqm()
    good = tour_sample([0, 1, 2, 3, 4])
    bad = {v: 0 for v in bqm.variables}
    sampleset = dimod.SampleSet.from_samples_bqm([bad, good], bqm)
    answer = problem.decode(sampleset)
    assert answer.feasible and answer.tour == [0, 1, 2, 3, 4]
    assert answer.objective == answer.length == pytest.approx(problem.tour_length([0, 1, 2, 3, 4]))


def test_decode_names_broken_rows_and_columns():
    problem = random_problem(5, 0)
    sample = tour_sample([0, 2, 1, 4, 3])
    sample[(2, 1)] = 0  # city 2 now nowhere, step 1 empty
    sample[(4, 2)] = 1  # city 4 at steps 2 and 3, step 2 holds cities 1 and 4
    answer = problem.decode(sample)
    assert not answer.feasible and answer.tour is None and answer.length is None and answer.objective is None
    assert not answer.repaired
    text = " | ".join(answer.violations)
    assert len(answer.violations) == 4
    assert "city 2 is assigned to 0 steps" in text
    assert "city 4 is assigned to 2 steps [2, 3]" in text
    assert "step 1 holds 0 cities" in text
    assert "step 2 holds 2 cities [1, 4]" in text


@pytest.mark.parametrize("flip", [(3, 2), (1, 1), (2, 4)])
def test_repair_restores_the_tour_one_flip_away(flip):
    problem = random_problem(5, 4)
    tour = [0, 3, 1, 4, 2]
    sample = tour_sample(tour)
    sample[flip] = 1 - sample[flip]
    broken = problem.decode(sample)
    repaired = problem.decode(sample, repair=True)
    assert not broken.feasible
    assert repaired.feasible and repaired.repaired and repaired.tour == tour
    assert repaired.violations == broken.violations
    assert repaired.length == pytest.approx(problem.tour_length(tour))


def test_repair_of_garbage_is_a_valid_tour():
    problem = random_problem(7, 5)
    rng = np.random.default_rng(0)
    for _ in range(20):
        sample = {v: int(rng.integers(2)) for v in problem.to_bqm().variables}
        answer = problem.decode(sample, repair=True)
        assert answer.feasible and sorted(answer.tour) == list(range(7)) and answer.tour[0] == 0
        assert answer.length == pytest.approx(problem.tour_length(answer.tour))
        assert answer.repaired == bool(answer.violations)


def test_decode_rejects_malformed_samples():
    problem = random_problem(4, 0)
    sample = tour_sample([0, 1, 2, 3])
    del sample[(1, 1)]
    with pytest.raises(ProblemError, match="missing") as err:
        problem.decode(sample)
    assert err.value.field == "sample[(1, 1)]"
    sample[(1, 1)] = 2
    with pytest.raises(ProblemError, match=r"not one of \[0, 1\]"):
        problem.decode(sample)


def test_decode_plain_tour_rotates_to_city_zero_and_flags_broken_tours():
    problem = TravelingSalesman(distance_matrix=[[0, 1, 2, 3], [1, 0, 4, 5], [2, 4, 0, 6], [3, 5, 6, 0]])
    answer = problem.decode([2, 3, 0, 1])
    assert answer.tour == [0, 1, 2, 3] and answer.length == 1 + 4 + 6 + 3 and answer.lagrange is None
    broken = problem.decode([0, 1, 1, 3])
    assert not broken.feasible and broken.tour is None
    assert broken.violations == ["city 2 is never visited", "city 1 is visited 2 times"]
    with pytest.raises(ProblemError) as err:
        problem.decode([0, 1, 2, 7])
    assert err.value.field == "tour"


def test_decode_rejects_unlabelled_samples_and_wrong_length_tours():
    problem = random_problem(5, 3)
    sampleset = dimod.SampleSet.from_samples_bqm([tour_sample([0, 2, 4, 1, 3])], problem.to_bqm())
    row = sampleset.record.sample[0]  # 16 bits, no labels: must not be read as a 16-city "tour"
    for unlabelled in (row, row.tolist()):
        with pytest.raises(ProblemError, match="unlabelled QUBO sample") as err:
            problem.decode(unlabelled)
        assert err.value.field == "sample" and "dict(zip(sampleset.variables, row))" in str(err.value)
    assert problem.decode(dict(zip(sampleset.variables, row))).tour == [0, 2, 4, 1, 3]
    for bad, field, words in [
        ([0, 1, 2, 3], "tour", "each of the 5 cities once, got 4"),
        ([0, 1, 2, 3, 4, 0], "tour", "got 6"),
        (list(range(16)), "tour", "got 16"),  # 16 entries but not bits: a (bad) tour
        (np.arange(5).reshape(1, 5), "sample", "flat sequence"),
        ("01234", "sample", "got str"),
        (5, "sample", "got int"),
    ]:
        with pytest.raises(ProblemError, match=words) as err:
            problem.decode(bad)
        assert err.value.field == field


# ---------------------------------------------------------------- through the service pipeline

def _coordinates(n: int, seed: int) -> list[list[float]]:
    return np.random.default_rng(seed).random((n, 2)).tolist()


@pytest.mark.parametrize("solver, params", [
    ("sa", {"num_reads": 20, "seed": 1}),
    ("sqa", {"num_reads": 20, "seed": 1}),
    ("statevector", {"num_reads": 50, "annealing_time": 50.0, "seed": 1}),
    ("exact", {}),
])
def test_qubo_route_through_the_pipeline_finds_the_brute_force_optimum(solver, params):
    coordinates = _coordinates(5, 0)
    problem = TravelingSalesman(coordinates=coordinates)
    result = solve({"type": "tsp", "coordinates": coordinates}, solver=solver, params=params)
    answer = result["answer"]
    assert result["solver"] == solver and result["feasible"] and answer["feasible"] and not answer["repaired"]
    assert sorted(answer["tour"]) == list(range(5)) and answer["tour"][0] == 0
    assert answer["length"] == pytest.approx(problem.tour_length(answer["tour"]), rel=1e-12)
    assert answer["length"] == pytest.approx(brute_force_length(problem.distance_matrix), rel=1e-12)
    assert result["energy"] == pytest.approx(answer["length"], rel=1e-12)
    assert answer["lagrange"] == problem.default_lagrange()
    assert result["info"]["model"]["num_variables"] == 16


def test_pipeline_repairs_the_broken_ground_state_of_a_too_small_penalty():
    coordinates = _coordinates(5, 1)
    problem = TravelingSalesman(coordinates=coordinates)
    spec = {"type": "tsp", "coordinates": coordinates, "lagrange": 0.1 * float(problem.distance_matrix.max())}
    broken = solve(spec, solver="exact")
    assert not broken["feasible"] and broken["answer"]["tour"] is None and broken["answer"]["violations"]
    assert broken["answer"]["lagrange"] == spec["lagrange"]
    repaired = solve({**spec, "repair": True}, solver="exact")
    answer = repaired["answer"]
    assert repaired["feasible"] and answer["feasible"] and answer["repaired"]
    assert answer["violations"] == broken["answer"]["violations"]
    assert sorted(answer["tour"]) == list(range(5)) and answer["tour"][0] == 0
    assert answer["length"] == pytest.approx(problem.tour_length(answer["tour"]), rel=1e-12)


def test_answer_serialises_to_json():
    problem = TravelingSalesman.from_tsplib(TSPLIB / "burma14.tsp")
    answer = problem.decode(list(range(14)))
    assert isinstance(answer, TourAnswer)
    data = json.loads(json.dumps(answer.to_dict()))
    assert data["tour"] == list(range(14)) and data["length"] == problem.tour_length(range(14)) and data["feasible"] is True
