"""Simulated annealing against exhaustive enumeration, seeds, limits and parameters."""

from __future__ import annotations

import itertools
import time
import unittest

import dimod
import dimod.testing
import numba
import numpy as np
import pytest

from energy.model import IsingModel
from solvers import ExactSolver, SimulatedAnnealingSampler
from solvers import _base as solvers_base

SA = SimulatedAnnealingSampler()


@dimod.testing.load_sampler_bqm_tests(SimulatedAnnealingSampler)
class TestDimodContract(unittest.TestCase):
    pass


def spin_glass(n, seed):
    rng = np.random.default_rng(seed)
    J = {(i, j): rng.choice([-1.0, 1.0]) * rng.random() for i in range(n) for j in range(i + 1, n)}
    h = {i: rng.normal(scale=0.3) for i in range(n)}
    return dimod.BQM(h, J, 0.0, "SPIN")


@pytest.mark.parametrize("seed", range(6))
def test_finds_exact_ground_state_of_random_spin_glasses(seed):
    bqm = spin_glass(14 + seed % 5, seed)
    ground = ExactSolver().sample(bqm).first.energy
    ss = SA.sample(bqm, num_reads=20, seed=seed)
    hits = np.isclose(ss.record.energy, ground).mean()
    assert ss.first.energy == pytest.approx(ground)
    assert hits >= 0.8


def test_energies_are_exact_for_binary_models():
    bqm = dimod.generators.gnp_random_bqm(25, 0.3, "BINARY", random_state=2)
    ss = SA.sample(bqm, num_reads=5, num_sweeps=50, seed=3)
    dimod.testing.assert_sampleset_energies(ss, bqm)
    assert set(np.unique(ss.record.sample)) <= {0, 1}


def test_seed_reproduces_and_thread_count_does_not_matter(monkeypatch):
    monkeypatch.setattr(solvers_base, "MIN_PARALLEL_WORK", 0)  # small as it is, run it on all threads
    bqm = spin_glass(30, 9)
    a = SA.sample(bqm, num_reads=7, num_sweeps=200, seed=123)
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        b = SA.sample(bqm, num_reads=7, num_sweeps=200, seed=123)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(a.record.sample, b.record.sample)
    c = SA.sample(bqm, num_reads=7, num_sweeps=200, seed=124)
    assert not np.array_equal(a.record.sample, c.record.sample)


def test_reads_split_across_calls_match_one_call():
    """Read k depends only on (seed, k): the basis for splitting jobs across workers."""
    bqm = spin_glass(20, 1)
    whole = SA.sample(bqm, num_reads=6, num_sweeps=100, seed=5)
    first = SA.sample(bqm, num_reads=3, num_sweeps=100, seed=5)
    assert np.array_equal(whole.record.sample[:3], first.record.sample)


def test_initial_states_at_zero_temperature_only_descend():
    bqm = spin_glass(12, 4)
    start = dimod.SampleSet.from_samples_bqm(
        np.random.default_rng(0).choice([-1, 1], size=(3, 12)), bqm)
    ss = SA.sample(bqm, initial_states=start, beta_schedule_type="custom", beta_schedule=[1e9] * 5, seed=0)
    assert len(ss) == 3
    assert np.all(ss.record.energy <= start.record.energy + 1e-9)


def test_time_limit_is_honoured():
    bqm = dimod.generators.gnp_random_bqm(2000, 0.01, "SPIN", random_state=0)
    SA.sample(bqm, num_reads=2, num_sweeps=2, seed=0)  # warm the kernels
    limit = 0.5
    start = time.perf_counter()
    ss = SA.sample(bqm, num_reads=4, num_sweeps=10_000_000, time_limit=limit, seed=0)
    elapsed = time.perf_counter() - start
    assert elapsed <= limit * 1.1 + 0.05
    # the schedule is compressed to fit, so the anneal still ends cold
    assert 0 < ss.info["num_sweeps"] < 10_000_000
    assert ss.info["num_sweeps_completed"] == ss.info["num_sweeps"] or ss.info["stopped_early"]
    dimod.testing.assert_sampleset_energies(ss, bqm)


def test_time_limit_is_honoured_on_a_dense_model():
    """Few spins but many couplings: the clock is watched by work, not by spin count."""
    bqm = dimod.generators.gnp_random_bqm(800, 1.0, "SPIN", random_state=0)
    limit = 0.1
    start = time.perf_counter()
    ss = SA.sample(bqm, num_reads=1, num_sweeps=1000, time_limit=limit, seed=0)
    assert time.perf_counter() - start <= limit * 1.1 + 0.05
    assert ss.info["num_sweeps"] < 1000


def test_custom_schedule_stops_early_at_time_limit():
    bqm = dimod.generators.gnp_random_bqm(1000, 0.01, "SPIN", random_state=0)
    start = time.perf_counter()
    ss = SA.sample(bqm, num_reads=2, beta_schedule_type="custom", beta_schedule=np.full(10**6, 1.0),
                   time_limit=0.3, seed=0)
    assert time.perf_counter() - start <= 0.3 * 1.1 + 0.05
    assert ss.info["stopped_early"] and 0 < ss.info["num_sweeps_completed"] < 10**6


def test_default_beta_range_follows_its_acceptance_rule():
    """Hot: the largest flip cost over all states is accepted with probability 1/2; cold: 2 min|bias| with 1%."""
    bqm = spin_glass(10, 0)
    ss = SA.sample(bqm, num_sweeps=10, seed=0)
    hot, cold = ss.info["beta_range"]
    states = np.array(list(itertools.product([-1, 1], repeat=10)), dtype=np.int8)
    model = IsingModel.from_bqm(bqm)
    fields = np.array([model.local_fields(s) for s in states])
    largest_flip_cost = float((-2 * states * fields).max())
    smallest_bias = min(abs(b) for b in [*bqm.linear.values(), *bqm.quadratic.values()] if b)
    assert np.exp(-hot * largest_flip_cost) == pytest.approx(0.5)
    assert np.exp(-cold * 2 * smallest_bias) == pytest.approx(0.01)
    assert set(ss.info["timing"]) == {"preprocessing_ns", "sampling_ns", "postprocessing_ns"}


@pytest.mark.parametrize("params, error, name", [
    ({"num_reads": 0}, ValueError, "num_reads"),
    ({"num_reads": 2.5}, TypeError, "num_reads"),
    ({"num_sweeps": -1}, ValueError, "num_sweeps"),
    ({"time_limit": -1.0}, ValueError, "time_limit"),
    ({"beta_range": [1.0, float("nan")]}, ValueError, "beta_range"),
    ({"beta_schedule_type": "cubic"}, ValueError, "beta_schedule_type"),
    ({"beta_schedule_type": "custom"}, ValueError, "beta_schedule"),
    ({"seed": -3}, ValueError, "seed"),
    ({"initial_states": [[1, 1, 1]]}, ValueError, "initial_states"),
    ({"sweeps": 10}, ValueError, "sweeps"),
])
def test_bad_parameters_name_the_parameter(params, error, name):
    with pytest.raises(error, match=name):
        SA.sample(spin_glass(4, 0), **params)
