"""Simulated annealing against exhaustive enumeration, seeds, limits and parameters."""

from __future__ import annotations

import itertools
import time
import unittest

import dimod
import dimod.testing
import networkx as nx
import numba
import numpy as np
import pytest
from timing import honoured, timed

from energy.model import IsingModel
from solvers import ExactSolver, SimulatedAnnealingSampler, simulated_annealing
from solvers import _base as solvers_base
from solvers.schedules import SchedulePositions

SA = SimulatedAnnealingSampler()


@dimod.testing.load_sampler_bqm_tests(SimulatedAnnealingSampler)
class TestDimodContract(unittest.TestCase):
    pass


def spin_glass(n, seed):
    rng = np.random.default_rng(seed)
    J = {(i, j): rng.choice([-1.0, 1.0]) * rng.random() for i in range(n) for j in range(i + 1, n)}
    h = {i: rng.normal(scale=0.3) for i in range(n)}
    return dimod.BQM(h, J, 0.0, "SPIN")


def test_finds_exact_ground_state_of_random_spin_glasses_in_nearly_every_read():
    """Default settings, 12 instances (n = 14..18) x 20 reads: at least 90% of all 240 reads are ground states."""
    hits = []
    for seed in range(12):
        bqm = spin_glass(14 + seed % 5, seed)
        ground = ExactSolver().sample(bqm).first.energy
        ss = SA.sample(bqm, num_reads=20, seed=seed)
        assert ss.first.energy == pytest.approx(ground)
        hits.extend(np.isclose(ss.record.energy, ground))
    assert len(hits) == 240 and np.mean(hits) >= 0.9


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


def test_time_limit_compresses_the_schedule_and_is_honoured():
    bqm = dimod.generators.gnp_random_bqm(2000, 0.01, "SPIN", random_state=0)
    limit = 0.5
    ss, elapsed = timed(lambda: SA.sample(bqm, num_reads=4, num_sweeps=10_000_000, time_limit=limit, seed=0))
    assert elapsed <= honoured(limit)
    # the schedule is compressed to fit, so the anneal runs to its end and ends cold
    assert 0 < ss.info["num_sweeps"] < 10_000_000 and ss.info["num_sweeps_requested"] == 10_000_000
    assert ss.info["num_sweeps_completed"] == ss.info["num_sweeps"] and not ss.info["stopped_early"]
    assert ss.info["final_beta"] == pytest.approx(ss.info["beta_range"][1])
    dimod.testing.assert_sampleset_energies(ss, bqm)


def test_time_limit_is_honoured_on_a_dense_model():
    """Few spins but many couplings: the clock is watched by work, not by spin count; conversion counts."""
    bqm = dimod.generators.gnp_random_bqm(800, 1.0, "SPIN", random_state=0)
    limit = 0.1
    ss, elapsed = timed(lambda: SA.sample(bqm, num_reads=1, num_sweeps=1000, time_limit=limit, seed=0))
    assert elapsed <= honoured(limit)
    assert ss.info["num_sweeps_completed"] == ss.info["num_sweeps"] < 1000
    assert ss.info["final_beta"] == pytest.approx(ss.info["beta_range"][1])


def test_no_time_left_runs_one_sweep_at_the_cold_end():
    bqm = dimod.generators.gnp_random_bqm(800, 1.0, "SPIN", random_state=0)
    ss = SA.sample(bqm, num_reads=2, num_sweeps=1000, time_limit=0.0, seed=0)
    assert ss.info["num_sweeps"] == ss.info["num_sweeps_completed"] == 1
    assert ss.info["final_beta"] == pytest.approx(ss.info["beta_range"][1])


@pytest.mark.parametrize("schedule_type", ["geometric", "linear"])
def test_a_single_sweep_runs_at_the_cold_end(schedule_type):
    ss = SA.sample(spin_glass(10, 1), num_sweeps=1, beta_range=[0.1, 7.0], beta_schedule_type=schedule_type, seed=0)
    assert ss.info["final_beta"] == pytest.approx(7.0)


def test_an_ample_time_limit_changes_nothing(monkeypatch):
    """With time to spare the clock-watched chunks run the same schedule as one block."""
    monkeypatch.setattr(solvers_base, "MIN_PARALLEL_WORK", 0)  # watch the clock even on this small model
    monkeypatch.setattr(simulated_annealing, "MIN_PARALLEL_WORK", 0)
    bqm = spin_glass(40, 2)
    plain = SA.sample(bqm, num_reads=3, num_sweeps=500, seed=4)
    limited = SA.sample(bqm, num_reads=3, num_sweeps=500, seed=4, time_limit=600.0)
    assert limited.info["num_sweeps"] == 500 and not limited.info["stopped_early"]
    assert np.array_equal(plain.record.sample, limited.record.sample)


def test_compressed_schedule_ends_at_its_end_when_the_machine_slows_down():
    """run_compressed re-plans after every chunk: sweeps turning 4x slower halfway still end at position 1, in time."""
    positions, seen = SchedulePositions(10**6), []
    started = time.perf_counter()

    def run(start, stop):
        seen.extend(positions.between(start, stop))
        per_sweep = 0.0005 if time.perf_counter() - started < 0.1 else 0.002
        time.sleep(per_sweep * (stop - start))

    done = solvers_base.run_compressed(run, positions, time_left=0.2)
    elapsed = time.perf_counter() - started
    assert elapsed <= honoured(0.2)
    assert done == positions.total == len(seen) and 20 < done < 10**6
    assert seen[0] == 0.0 and seen[-1] == 1.0 and np.all(np.diff(seen) > 0)


def test_custom_schedule_stops_early_at_time_limit():
    bqm = dimod.generators.gnp_random_bqm(1000, 0.01, "SPIN", random_state=0)
    ss, elapsed = timed(lambda: SA.sample(bqm, num_reads=2, beta_schedule_type="custom",
                                          beta_schedule=np.full(10**6, 1.0), time_limit=0.3, seed=0))
    assert elapsed <= honoured(0.3)
    assert ss.info["stopped_early"] and 0 < ss.info["num_sweeps_completed"] < 10**6
    assert ss.info["num_sweeps"] == 10**6


def smallest_bias_per_variable(bqm):
    """Naively, per variable: the smallest non-zero |h_v| or |J_uv|."""
    smallest = {}
    for v in bqm.variables:
        biases = [bqm.linear[v]] + [bias for _, bias in bqm.iter_neighborhood(v)]
        nonzero = [abs(b) for b in biases if b]
        if nonzero:
            smallest[v] = min(nonzero)
    return smallest


def largest_and_smallest_flip_costs(bqm):
    """Over all 2**n states: the largest flip cost and the smallest non-zero one."""
    states = np.array(list(itertools.product([-1, 1], repeat=bqm.num_variables)), dtype=np.int8)
    model = IsingModel.from_bqm(bqm)
    costs = -2 * states * np.array([model.local_fields(s) for s in states])
    return float(costs.max()), float(np.abs(costs[costs != 0]).min())


def test_default_beta_range_follows_its_acceptance_rule():
    """Hot: the largest flip cost over all states is accepted with probability 1/2; cold: twice the median
    over variables of the smallest bias with 1%."""
    bqm = spin_glass(10, 0)
    ss = SA.sample(bqm, num_sweeps=10, seed=0)
    hot, cold = ss.info["beta_range"]
    largest_cost, _ = largest_and_smallest_flip_costs(bqm)
    typical_smallest = np.median(list(smallest_bias_per_variable(bqm).values()))
    assert np.exp(-hot * largest_cost) == pytest.approx(0.5)
    assert np.exp(-cold * 2 * typical_smallest) == pytest.approx(0.01)
    assert set(ss.info["timing"]) == {"preprocessing_ns", "sampling_ns", "postprocessing_ns"}


def test_default_cold_end_freezes_the_smallest_flip_when_biases_share_one_magnitude():
    """+-1 couplings on the (3-regular) Petersen graph: the smallest non-zero flip cost over all states,
    found by enumeration, is accepted with probability 1% at the cold end."""
    rng = np.random.default_rng(3)
    bqm = dimod.BQM.from_ising({}, {edge: float(rng.choice([-1, 1])) for edge in nx.petersen_graph().edges})
    hot, cold = SA.sample(bqm, num_sweeps=1, seed=0).info["beta_range"]
    largest_cost, smallest_cost = largest_and_smallest_flip_costs(bqm)
    assert np.exp(-cold * smallest_cost) == pytest.approx(0.01)
    assert np.exp(-hot * largest_cost) == pytest.approx(0.5)


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
