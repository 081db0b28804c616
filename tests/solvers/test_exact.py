"""ExactSolver against dimod's ExactSolver and a naive enumeration."""

from __future__ import annotations

import unittest

import dimod
import dimod.testing
import numpy as np
import pytest

from solvers import ExactSolver


@dimod.testing.load_sampler_bqm_tests(ExactSolver)
class TestDimodContract(unittest.TestCase):
    pass


@pytest.mark.parametrize("n, vartype", [(1, "SPIN"), (5, "BINARY"), (11, "SPIN"), (16, "BINARY")])
def test_lowest_states_match_dimod(n, vartype):
    bqm = dimod.generators.gnp_random_bqm(n, 0.6, vartype, random_state=n)
    ours = ExactSolver().sample(bqm, num_states=5)
    reference = np.sort(dimod.ExactSolver().sample(bqm).record.energy)[: len(ours)]
    assert np.allclose(np.sort(ours.record.energy), reference)
    dimod.testing.assert_sampleset_energies(ours, bqm)


def test_parallel_blocks_agree_with_dimod_at_n_18():
    bqm = dimod.generators.gnp_random_bqm(18, 0.5, "SPIN", random_state=7)
    ours = ExactSolver().sample(bqm, num_states=3)
    reference = np.sort(dimod.ExactSolver().sample(bqm).record.energy)[:3]
    assert np.allclose(np.sort(ours.record.energy), reference)


def test_size_limit_is_clear():
    bqm = dimod.BQM({i: 1.0 for i in range(12)}, {}, 0, "SPIN")
    with pytest.raises(ValueError, match="limited to 10 variables"):
        ExactSolver(max_variables=10).sample(bqm)


@pytest.mark.parametrize("params, error", [
    ({"num_states": 0}, ValueError),
    ({"num_states": 10_001}, ValueError),
    ({"num_states": 1.5}, TypeError),
    ({"num_reads": 3}, ValueError),
])
def test_bad_parameters_name_the_parameter(params, error):
    bqm = dimod.BQM({0: 1.0}, {(0, 1): -1.0}, 0, "SPIN")
    with pytest.raises(error, match=next(iter(params))):
        ExactSolver().sample(bqm, **params)


def test_returns_the_lowest_states_in_order_with_ties_kept():
    bqm = dimod.BQM({}, {(0, 1): 1.0, (1, 2): 1.0, (2, 0): 1.0}, 0, "SPIN")  # frustrated: 6 ground states
    ss = ExactSolver().sample(bqm, num_states=7)
    assert np.sort(ss.record.energy).tolist() == [-1.0] * 6 + [3.0]
    assert len({tuple(row) for row in ss.record.sample}) == 7
