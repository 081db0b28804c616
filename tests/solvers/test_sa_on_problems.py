"""Simulated annealing on compiled problems, checked against brute force over the problem itself."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from naive import all_states

from problems import MaxCut, NumberPartitioning
from solvers import SimulatedAnnealingSampler

SA = SimulatedAnnealingSampler()


def random_weighted_graph(seed):
    """G(n, 1/2) with n in 8..14 and weights in [-2, 5] (about a quarter negative), isolated vertices kept."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 15))
    edges = [(u, v, float(rng.uniform(-2.0, 5.0))) for u, v in nx.gnp_random_graph(n, 0.5, seed=seed).edges]
    return n, edges


def brute_force_max_cut(n, edges):
    """Largest total weight of the edges across any of the 2**n two-sidings."""
    sides = all_states(n, "BINARY")
    heads, tails, weights = (np.array(column) for column in zip(*edges))
    crossing = sides[:, heads.astype(int)] != sides[:, tails.astype(int)]
    return float((crossing * weights).sum(axis=1).max())


@pytest.mark.parametrize("seed", range(6))
def test_best_cut_equals_the_brute_force_max_cut(seed):
    n, edges = random_weighted_graph(seed)
    assert any(w < 0 for _, _, w in edges)
    problem = MaxCut(edges, nodes=range(n))
    sampleset = SA.sample(problem.to_bqm(), num_reads=10, seed=seed)
    answer = problem.decode(sampleset)
    assert answer.cut == pytest.approx(brute_force_max_cut(n, edges))
    assert problem.cut_value(answer.sides) == pytest.approx(answer.cut)


def perfect_partition_instance(seed):
    """20-28 random integers in [1, 1000] with a perfect split: the last number evens two random halves."""
    rng = np.random.default_rng(seed)
    size = int(rng.integers(20, 29))
    values = rng.integers(1, 1001, size - 1)
    halves = rng.permutation(size - 1)
    gap = int(values[halves[::2]].sum() - values[halves[1::2]].sum())
    return [int(v) for v in values] + [abs(gap)]


@pytest.mark.parametrize("seed", range(6))
def test_best_partition_of_a_perfect_instance_is_perfect(seed):
    numbers = perfect_partition_instance(seed)
    problem = NumberPartitioning(numbers)
    sampleset = SA.sample(problem.to_bqm(), num_reads=20, seed=seed)
    differences = [problem.decode(dict(zip(sampleset.variables, row))).difference for row in sampleset.record.sample]
    best = problem.decode(sampleset)
    assert min(differences) <= 1 and best.difference <= 1
    assert abs(sum(best.subsets[0]) - sum(best.subsets[1])) == best.difference
    assert sorted(best.subsets[0] + best.subsets[1]) == sorted(numbers)
