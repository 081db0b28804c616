from __future__ import annotations

import math
import json
import time

import dimod
import networkx as nx
import numpy as np
import pytest
from naive import all_states, brute_force_ground

from problems import MaxCut, ProblemError


def random_graph(rng, n, density=0.5, negative=True):
    edges = [
        (u, v, int(rng.integers(-3 if negative else 1, 6)))
        for u in range(n)
        for v in range(u + 1, n)
        if rng.random() < density
    ]
    return edges or [(0, 1, 1)]


def brute_force_max_cut(n, edges):
    """Largest cut over all 2^n spin assignments, from the edge list alone."""
    spins = all_states(n)
    u, v, w = (np.array(column) for column in zip(*edges))
    return float(((spins[:, u] != spins[:, v]) * w).sum(axis=1).max())


@pytest.mark.parametrize("seed", range(6))
def test_bqm_ground_state_is_a_maximum_cut(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 13))
    edges = random_graph(rng, n)
    problem = MaxCut(edges, nodes=range(n))
    bqm = problem.to_bqm()
    assert bqm.vartype is dimod.SPIN and bqm.offset == 0 and bqm.num_variables == n

    energy, ground = brute_force_ground(bqm)
    answer = problem.decode(ground)

    assert answer.cut == brute_force_max_cut(n, edges)
    assert answer.energy == energy
    assert answer.feasible and answer.objective == answer.cut
    assert problem.cut_value(answer.sides) == answer.cut


@pytest.mark.parametrize("seed", range(4))
def test_cut_equals_half_of_total_weight_minus_energy(seed):
    rng = np.random.default_rng(100 + seed)
    edges = [(f"v{u}", f"v{v}", float(rng.normal())) for u, v in rng.integers(0, 30, (120, 2)) if u != v]
    problem = MaxCut(edges)
    bqm = problem.to_bqm()
    for _ in range(10):
        sample = {node: int(rng.choice([-1, 1])) for node in problem.nodes}
        answer = problem.decode(sample)
        assert answer.cut == pytest.approx((problem.total_weight - answer.energy) / 2, abs=1e-9)
        assert answer.energy == pytest.approx(bqm.energy(sample), abs=1e-9)
        assert problem.cut_value(sample) == pytest.approx(answer.cut, abs=1e-9)


def test_decode_sampleset_takes_lowest_energy_and_reads_binary_samples():
    problem = MaxCut([(0, 1), (1, 2), (0, 2, 3)])
    sampleset = dimod.ExactSolver().sample(problem.to_bqm())
    answer = problem.decode(sampleset)
    assert answer.cut == brute_force_max_cut(3, [(0, 1, 1), (1, 2, 1), (0, 2, 3)]) == 4
    assert problem.decode({0: 0, 1: 1, 2: 1}).cut == problem.decode({0: -1, 1: 1, 2: 1}).cut == 4
    assert {frozenset(side) for side in answer.sides} in ({frozenset({0, 1}), frozenset({2})},
                                                          {frozenset({0}), frozenset({1, 2})})
    json.dumps(answer.to_dict())


def test_duplicate_edges_are_merged_by_summing():
    problem = MaxCut([(0, 1, 2), (1, 0, 3), (1, 2), [2, 1, -1]])
    assert problem.edges == [(0, 1, 5.0), (1, 2, 0.0)]
    assert problem.to_bqm().quadratic[0, 1] == 5.0
    assert problem.total_weight == 5.0


def test_from_networkx_keeps_isolated_nodes_and_sums_multiedges():
    graph = nx.MultiGraph()
    graph.add_nodes_from(["a", "b", "c", "lonely"])
    graph.add_edge("a", "b", weight=2)
    graph.add_edge("a", "b", weight=-0.5)
    graph.add_edge("b", "c")
    problem = MaxCut.from_networkx(graph)
    assert problem.nodes == ["a", "b", "c", "lonely"]
    assert problem.edges == [("a", "b", 1.5), ("b", "c", 1.0)]
    assert MaxCut.from_networkx(graph, weight=None).total_weight == 3.0
    grid = MaxCut.from_networkx(nx.grid_2d_graph(3, 3))
    assert grid.num_edges == 12 and grid.to_bqm().num_variables == 9


def test_gset_g1_loads_with_declared_size(data_dir):
    problem = MaxCut.from_gset(data_dir / "G1.txt")
    assert (problem.num_nodes, problem.num_edges) == (800, 19176)
    assert problem.nodes[0] == 1 and problem.nodes[-1] == 800
    bqm = problem.to_bqm()
    assert (bqm.num_variables, bqm.num_interactions) == (800, 19176)
    assert problem.total_weight == 19176


def test_gset_g11_negative_weights_match_a_plain_reading(data_dir):
    text = (data_dir / "G11.txt").read_text()
    rows = [tuple(int(t) for t in line.split()) for line in text.splitlines()[1:] if line.strip()]
    problem = MaxCut.from_gset(text)
    assert problem.total_weight == sum(w for _, _, w in rows)
    assert sum(1 for *_, w in problem.edges if w < 0) == sum(1 for *_, w in rows if w < 0) > 0
    rng = np.random.default_rng(7)
    spins = {node: int(rng.choice([-1, 1])) for node in problem.nodes}
    direct = sum(w for i, j, w in rows if spins[i] != spins[j])
    assert problem.decode(spins).cut == direct


def test_gset_keeps_isolated_vertices():
    problem = MaxCut.from_gset("5 1\n1 2 1\n")
    assert problem.nodes == [1, 2, 3, 4, 5]
    assert problem.to_bqm().num_variables == 5


def test_large_graphs_compile_fast(data_dir):
    # CPU time, so that other work on the machine does not count against us.
    rng = np.random.default_rng(0)
    heads, tails = rng.integers(0, 20000, (2, 100_000))
    keep = heads != tails
    edges = list(zip(heads[keep].tolist(), tails[keep].tolist(), rng.normal(size=keep.sum()).tolist()))
    start = time.process_time()
    bqm = MaxCut(edges).to_bqm()
    big = time.process_time() - start
    start = time.process_time()
    MaxCut.from_gset(data_dir / "G1.txt").to_bqm()
    gset = time.process_time() - start
    assert bqm.num_interactions > 99_000
    assert big < 1.0 and gset < 0.5, (big, gset)


BAD_INPUTS = [
    ([(0, 1, float("nan"))], "edges[0]"),
    ([(0, 1), (1, 2, float("inf"))], "edges[1]"),
    ([(0, 1), (2, 2)], "edges[1]"),
    ([(0, 1), (1, 2, True)], "edges[1]"),
    ([(0, 1), (1, 2, "3")], "edges[1]"),
    ([(0, 1), (1, 2, None)], "edges[1]"),
    ([(0, 1), (1,)], "edges[1]"),
    ([(0, 1), (1, 2, 3, 4)], "edges[1]"),
    ([(0, 1), "ab"], "edges[1]"),
    ([(0, 1), (1.5, 2)], "edges[1]"),
    ([(0, 1), (True, 2)], "edges[1]"),
    ([(0, 1), (1, 2, 2**60)], "edges[1]"),
    ([(0, 1), (1, 2, 1e300)], "edges[1]"),  # over the 1e150 bound that keeps energies finite
    ([(0, 1, 1e150), (1, 2, 1e150)], "edges"),  # each within it, their sum not
    ([(0, 1), (1, 2, -1e308)], "edges[1]"),
    ([], "edges"),
    ("0 1", "edges"),
    (5, "edges"),
]


@pytest.mark.parametrize(("edges", "field"), BAD_INPUTS)
def test_bad_edges_name_the_field(edges, field):
    with pytest.raises(ProblemError) as info:
        MaxCut(edges)
    assert info.value.field == field


BAD_GSET = [
    ("\n", "header"),
    ("", "file"),
    ("3\n1 2 1\n", "header"),
    ("x 1\n1 2 1\n", "header"),
    ("0 0\n", "header"),
    ("3 2\n1 2 1\n", "header"),
    ("3 1\n1 2 1\n2 3 1\n", "header"),
    ("3 2\n1 2 1\n2 4 1\n", "line 3"),
    ("3 2\n1 2 1\n0 2 1\n", "line 3"),
    ("3 2\n1 2 1\n2 2 1\n", "line 3"),
    ("3 2\n1 2 nan\n2 3 1\n", "line 2"),
    ("3 2\n1 2 1\n2 3 1e300\n", "line 3"),
    ("3 2\n1 2 1\n2 3\n", "line 3"),
    ("3 2\n1 2 1\n2 a 1\n", "line 3"),
    ("3 0\n\n", "edges"),
    ("/no/such/file.txt", "file"),
]


@pytest.mark.parametrize(("text", "field"), BAD_GSET)
def test_bad_gset_names_the_field(text, field):
    with pytest.raises(ProblemError) as info:
        MaxCut.from_gset(text)
    assert info.value.field == field


def test_bad_samples_and_sides_name_the_field():
    problem = MaxCut([(0, 1), (1, 2)])
    bad_samples = [
        ({0: 1, 1: -1}, "sample[2]"),
        ({0: 1, 1: 2, 2: 1}, "sample[1]"),
        ({0: 1, 1: [1], 2: 1}, "sample[1]"),
        ([1, 1, 1], "sample"),
    ]
    for sample, field in bad_samples:
        with pytest.raises(ProblemError) as info:
            problem.decode(sample)
        assert info.value.field == field
    bad_sides = [
        ([[0, 1]], "sides"),
        ([[0, 1], [1, 2]], "sides[1]"),
        ([[0], [1]], "sides"),
        ([[0], [1, 9]], "sides[1]"),
    ]
    for sides, field in bad_sides:
        with pytest.raises(ProblemError) as info:
            problem.cut_value(sides)
        assert info.value.field == field
    with pytest.raises(ProblemError) as info:
        MaxCut.from_networkx([(0, 1)])
    assert info.value.field == "graph"


def test_numpy_edge_arrays_match_the_list_form():
    rng = np.random.default_rng(5)
    array = np.column_stack([rng.integers(0, 40, (300, 2)), rng.normal(size=300)])
    array = array[array[:, 0] != array[:, 1]]
    as_list = [(int(u), int(v), w) for u, v, w in array.tolist()]
    assert MaxCut(array).to_bqm() == MaxCut(as_list).to_bqm()
    assert MaxCut(array[:, :2].astype(np.int32)).total_weight == len(array)
    assert MaxCut(array, nodes=[99]).nodes[0] == 99


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        (np.array([[0, 1, 1], [1, 2, np.nan]]), "edges[1]"),
        (np.array([[0, 1, 1], [1, 2.5, 1]]), "edges[1]"),
        (np.array([[0, 1, 1], [3, 3, 1]]), "edges[1]"),
        (np.array([[0, 1, 1], [1, 2, 2**60]]), "edges[1]"),
        (np.array([[0, 1, 1, 1]]), "edges"),
    ],
)
def test_bad_numpy_edge_arrays_name_the_row(rows, field):
    with pytest.raises(ProblemError) as info:
        MaxCut(rows)
    assert info.value.field == field


@pytest.mark.parametrize("unit", [5e-324, 1e-300, 1.0, 1e140])
def test_subnormal_and_huge_weights_keep_the_maximum_cut(unit):
    # weights from the smallest subnormal to near the 1e150 bound: the ground state is still the max cut
    rng = np.random.default_rng(3)
    n = 9
    edges = [(u, v, unit * w) for u, v, w in random_graph(rng, n)]
    problem = MaxCut(edges, nodes=range(n))
    energy, ground = brute_force_ground(problem.to_bqm())
    answer = problem.decode(ground)
    assert math.isfinite(energy) and answer.cut == brute_force_max_cut(n, edges)
    assert answer.cut > 0


def test_mixed_int_and_float_weights_and_a_million_edges():
    assert MaxCut([(0, 1, 2), (1, 2, 0.5), (2, 0, -1)]).decode({0: 1, 1: -1, 2: -1}).cut == 1.0
    rng = np.random.default_rng(1)
    edges = rng.integers(0, 200_000, (1_000_000, 2))
    edges = edges[edges[:, 0] != edges[:, 1]]
    problem = MaxCut(np.column_stack([edges, rng.choice([-1.0, 1.0], len(edges))]))
    bqm = problem.to_bqm()
    assert bqm.num_interactions > 990_000 and problem.num_edges == bqm.num_interactions
