"""Path-integral SQA against enumeration, transfer matrices, classical Metropolis and itself."""

from __future__ import annotations

import itertools
import unittest

import dimod
import dimod.testing
import numba
import numpy as np
import pytest
from timing import honoured, timed

from energy.model import IsingModel
from energy.rng import stream_seeds
from solvers import ExactSolver, SimulatedAnnealingSampler, _pimc_kernels
from solvers import _base as solvers_base
from solvers.path_integral import (
    MAX_REPLICA_SPINS,
    PathIntegralAnnealingSampler,
    inter_slice_coupling,
)

SQA = PathIntegralAnnealingSampler()


@dimod.testing.load_sampler_bqm_tests(PathIntegralAnnealingSampler)
class TestDimodContract(unittest.TestCase):
    pass


def spin_glass(n, seed):
    rng = np.random.default_rng(seed)
    J = {(i, j): rng.choice([-1.0, 1.0]) * rng.random() for i in range(n) for j in range(i + 1, n)}
    h = {i: rng.normal(scale=0.3) for i in range(n)}
    return dimod.BQM(h, J, 0.0, "SPIN")


def enumerate_states(bqm):
    """All 2**n spin states (rows, in bqm.variables order) with their energies."""
    states = np.array(list(itertools.product([-1, 1], repeat=bqm.num_variables)), dtype=np.int8)
    return states, bqm.energies((states, list(bqm.variables)))


@pytest.mark.parametrize("seed", range(5))
def test_finds_exact_ground_state_of_random_spin_glasses(seed):
    bqm = spin_glass(12 + seed, seed)
    ground = ExactSolver().sample(bqm).first.energy
    ss = SQA.sample(bqm, num_reads=20, num_sweeps=300, seed=seed)
    hits = np.isclose(ss.record.energy, ground).mean()
    assert ss.first.energy == pytest.approx(ground)
    assert hits >= 0.7


def test_vanishing_field_is_classical_metropolis_at_beta():
    """Gamma = 0 locks the slices: only world-line moves act, i.e. Metropolis at beta.

    Starting every read from an exact Boltzmann sample, the chain is stationary
    from the first sweep, so the final states are Boltzmann distributed and the
    acceptance rate of world-line moves equals the equilibrium Metropolis
    acceptance sum_s pi(s) mean_i min(1, exp(-beta dE_i(s))) -- also SA's rate.
    """
    bqm = dimod.BQM({0: 0.4, 1: -0.3, 2: 0.1, 3: 0.0}, {(0, 1): -1.0, (1, 2): 0.7, (2, 3): -0.5, (0, 3): 0.8}, 0.25,
                    "SPIN")
    beta, reads, sweeps = 0.9, 4000, 20
    states, energies = enumerate_states(bqm)
    weights = np.exp(-beta * (energies - energies.min()))
    pi = weights / weights.sum()
    flip_costs = np.stack([bqm.energies((states * np.where(np.arange(4) == i, -1, 1), list(bqm.variables)))
                           - energies for i in range(4)], axis=1)
    exact_acceptance = float(pi @ np.minimum(1.0, np.exp(-beta * flip_costs)).mean(axis=1))
    rng = np.random.default_rng(11)
    start = states[rng.choice(len(states), size=reads, p=pi)]
    ss = SQA.sample(bqm, initial_states=(start, list(bqm.variables)), num_reads=reads, beta=beta, trotter_slices=4,
                    gamma_schedule_type="custom", gamma_schedule=[0.0] * sweeps, return_all_slices=True, seed=3)
    final = ss.record.sample[ss.record.slice == 0]
    assert np.array_equal(ss.record.sample[ss.record.slice == 3], final)  # slices locked together
    assert ss.info["local_acceptance_rate"] == 0.0
    final_energy = bqm.energies((final, ss.variables))
    for observed, exact_values in [(final_energy, energies), (final[:, 0], states[:, 0]), (final[:, 1], states[:, 1])]:
        mean = float(pi @ exact_values)
        std = float(np.sqrt(pi @ (exact_values - mean) ** 2))
        assert abs(observed.mean() - mean) < 4.0 * std / np.sqrt(reads)
    attempts = reads * sweeps * 4
    tolerance = 4.0 * np.sqrt(exact_acceptance * (1 - exact_acceptance) / attempts) * 3  # x3: correlated attempts
    assert ss.info["global_acceptance_rate"] == pytest.approx(exact_acceptance, abs=tolerance)
    sa = SimulatedAnnealingSampler().sample(bqm, initial_states=(start, list(bqm.variables)), num_reads=reads,
                                            beta_schedule_type="custom", beta_schedule=[beta] * sweeps, seed=3)
    assert sa.info["acceptance_rate"] == pytest.approx(exact_acceptance, abs=tolerance)


@pytest.mark.parametrize("num_slices", [2, 5, 16])
def test_single_spin_in_transverse_field_matches_trotter_transfer_matrix(num_slices):
    """<Z> of H = -Gamma X + h Z from the P-slice transfer matrix: Tr(Z T^P) / Tr(T^P),
    T = e^{-beta h Z/P} e^{beta Gamma X/P}.

    This checks J_perp and the local (in-slice) moves; for P = 16 it is also within 1% of the exact quantum value.
    """
    h, gamma, beta, reads = 0.5, 0.8, 2.0, 3000
    a = beta * gamma / num_slices
    rotation = np.array([[np.cosh(a), np.sinh(a)], [np.sinh(a), np.cosh(a)]])
    transfer = np.diag(np.exp(-beta * h / num_slices * np.array([1.0, -1.0]))) @ rotation
    power = np.linalg.matrix_power(transfer, num_slices)
    expected = float(np.trace(np.diag([1.0, -1.0]) @ power) / np.trace(power))
    ss = SQA.sample(dimod.BQM({0: h}, {}, 0.0, "SPIN"), num_reads=reads, num_sweeps=60, beta=beta,
                    trotter=num_slices, gamma_schedule_type="custom", gamma_schedule=[gamma] * 60,
                    return_all_slices=True, seed=num_slices)
    per_read = ss.record.sample[:, 0].reshape(reads, num_slices).mean(axis=1)
    assert abs(per_read.mean() - expected) < 4.0 * per_read.std() / np.sqrt(reads)
    assert ss.info["local_acceptance_rate"] > 0.05
    if num_slices == 16:
        omega = np.hypot(h, gamma)
        assert expected == pytest.approx(-h / omega * np.tanh(beta * omega), rel=0.01)


def test_inter_slice_coupling_formula_and_limits():
    gamma = np.array([2.0, 0.3, 0.0])
    jperp = inter_slice_coupling(gamma, beta=1.5, num_slices=6)
    assert jperp[:2] == pytest.approx(-np.log(np.tanh(1.5 * gamma[:2] / 6)) / 3.0)
    assert np.isfinite(jperp[2]) and 1.5 * jperp[2] > 300  # Gamma = 0: finite but never broken
    assert np.all(inter_slice_coupling(gamma, beta=1.5, num_slices=1) == 0.0)


def test_best_slice_is_no_worse_than_any_final_slice():
    bqm = spin_glass(20, 2)
    params = dict(num_reads=4, num_sweeps=50, trotter_slices=3, seed=8)
    best = SQA.sample(bqm, **params)
    every = SQA.sample(bqm, return_all_slices=True, **params)
    assert len(every) == 12 and list(every.record.slice[:4]) == [0, 1, 2, 0]
    dimod.testing.assert_sampleset_energies(every, bqm)
    final_min = np.array([every.record.energy[every.record.read == r].min() for r in range(4)])
    assert np.all(best.record.energy <= final_min + 1e-9)


def test_energies_are_exact_for_binary_models():
    bqm = dimod.generators.gnp_random_bqm(25, 0.3, "BINARY", random_state=2)
    ss = SQA.sample(bqm, num_reads=5, num_sweeps=50, seed=3)
    dimod.testing.assert_sampleset_energies(ss, bqm)
    assert set(np.unique(ss.record.sample)) <= {0, 1}


@pytest.mark.parametrize("num_slices, num_reads", [(1, 5), (4, 5), (7, 3), (4, 1)])
def test_seed_reproduces_and_thread_count_does_not_matter(num_slices, num_reads, monkeypatch):
    monkeypatch.setattr(solvers_base, "MIN_PARALLEL_WORK", 0)  # small as it is, run it on all threads
    bqm = spin_glass(30, 9)
    params = dict(num_reads=num_reads, num_sweeps=100, trotter_slices=num_slices, return_all_slices=True)
    a = SQA.sample(bqm, seed=123, **params)
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        b = SQA.sample(bqm, seed=123, **params)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(a.record.sample, b.record.sample)
    assert a.info["local_acceptance_rate"] == b.info["local_acceptance_rate"]
    c = SQA.sample(bqm, seed=124, **params)
    assert not np.array_equal(a.record.sample, c.record.sample)


@pytest.mark.parametrize("num_slices, num_reads", [(4, 1), (7, 2), (1, 1)])
def test_slice_parallel_kernel_matches_read_parallel_kernel(num_slices, num_reads):
    """Slices of one colour never neighbour each other, so updating them in parallel changes nothing."""
    model = IsingModel.from_bqm(spin_glass(25, 4))
    args = (model.h, model.indptr, model.indices.astype(np.uint32), model.data)
    shape = (num_reads, num_slices, model.num_variables)
    spins, fields = np.empty(shape, dtype=np.int8), np.empty(shape)
    rng_states = np.empty((num_reads, num_slices + 1, 4), dtype=np.uint64)
    empty = np.zeros((0, model.num_variables), dtype=np.int8)
    _pimc_kernels.init_reads(stream_seeds(6, num_reads), empty, *args, spins, fields, rng_states)
    gammas = np.linspace(2.0, 0.01, 30)
    schedule = (np.linspace(0.1, 1.0, 30) / num_slices, inter_slice_coupling(gammas, 1.5, num_slices), 1.5)
    outputs = []
    for kernel in (_pimc_kernels.anneal_chunk, _pimc_kernels.anneal_chunk_by_slice):
        state = [spins.copy(), fields.copy(), rng_states.copy()]
        best = [spins[:, 0].copy(), np.full(num_reads, np.inf),
                np.zeros((num_reads, num_slices), dtype=np.int64), np.zeros(num_reads, dtype=np.int64)]
        kernel(*schedule, *state, *args, model.offset, *best)
        outputs.append(state + best)
    for ours, theirs in zip(*outputs):
        assert np.array_equal(ours, theirs)
    assert outputs[0][5].sum() > 0  # some local moves were accepted


def test_reads_split_across_calls_match_one_call():
    bqm = spin_glass(20, 1)
    whole = SQA.sample(bqm, num_reads=6, num_sweeps=60, seed=5)
    first = SQA.sample(bqm, num_reads=3, num_sweeps=60, seed=5)
    assert np.array_equal(whole.record.sample[:3], first.record.sample)


def test_ab_schedule_with_constant_b_equals_the_gamma_schedule():
    bqm = spin_glass(15, 3)
    common = dict(num_reads=3, num_sweeps=40, beta=2.0, trotter_slices=6, seed=1, return_all_slices=True)
    by_gamma = SQA.sample(bqm, gamma_range=[3.0, 0.1], **common)
    by_points = SQA.sample(bqm, schedule=[[0.0, 3.0, 1.0], [1.0, 0.1, 1.0]], **common)
    assert np.array_equal(by_gamma.record.sample, by_points.record.sample)
    assert by_points.info["schedule"] == [[0.0, 3.0, 1.0], [1.0, 0.1, 1.0]]
    doubled = SQA.sample(bqm, schedule=[[0.0, 3.0, 2.0], [1.0, 0.1, 2.0]], **common)
    assert not np.array_equal(by_gamma.record.sample, doubled.record.sample)


def test_openjij_style_schedule_finds_ground_state():
    bqm = spin_glass(12, 7)
    ground = ExactSolver().sample(bqm).first.energy
    ss = SQA.sample(bqm, schedule=[[0.0, 3.0, 0.0], [1.0, 0.0, 1.0]], beta=10.0, num_reads=10, num_sweeps=300, seed=2)
    assert ss.first.energy == pytest.approx(ground)


def test_initial_states_in_every_slice_at_zero_field_and_zero_temperature_only_descend():
    bqm = spin_glass(12, 4)
    start = dimod.SampleSet.from_samples_bqm(np.random.default_rng(0).choice([-1, 1], size=(3, 12)), bqm)
    ss = SQA.sample(bqm, initial_states=start, beta=1e9, gamma_schedule_type="custom", gamma_schedule=[0.0] * 5,
                    seed=0)
    assert len(ss) == 3
    assert np.all(ss.record.energy <= start.record.energy + 1e-9)


@pytest.mark.parametrize("schedule", [
    {},  # default gamma_range, linear
    {"gamma_range": [3.0, 0.0]},
    {"schedule": [[0.0, 3.0, 0.2], [0.5, 1.0, 0.6], [1.0, 0.0, 1.0]]},
])
def test_time_limit_compresses_the_schedule_to_its_end(schedule):
    """A tight limit with a long schedule still runs it to its last point (Gamma ~ 0), within 10% + 50 ms."""
    bqm = dimod.generators.gnp_random_bqm(1000, 0.01, "SPIN", random_state=0)
    limit = 0.4
    ss, elapsed = timed(lambda: SQA.sample(bqm, num_reads=4, num_sweeps=10_000_000, time_limit=limit, seed=0,
                                           **schedule))
    assert elapsed <= honoured(limit)
    info = ss.info
    assert 0 < info["num_sweeps_completed"] == info["num_sweeps"] < info["num_sweeps_requested"] == 10_000_000
    assert not info["stopped_early"]
    assert info["final_gamma"] == pytest.approx(info["gamma_range"][1]) and info["final_gamma"] < 0.01
    assert info["final_b"] == 1.0
    dimod.testing.assert_sampleset_energies(ss, bqm)


def test_custom_gamma_schedule_stops_early_at_time_limit():
    bqm = dimod.generators.gnp_random_bqm(1000, 0.01, "SPIN", random_state=0)
    gammas = np.linspace(3.0, 0.0, 10**6)
    ss, elapsed = timed(lambda: SQA.sample(bqm, num_reads=4, gamma_schedule_type="custom", gamma_schedule=gammas,
                                           time_limit=0.4, seed=0))
    assert elapsed <= honoured(0.4)
    done = ss.info["num_sweeps_completed"]
    assert ss.info["stopped_early"] and 0 < done < 10**6 == ss.info["num_sweeps"]
    assert ss.info["final_gamma"] == gammas[done - 1] > 2.0


@pytest.mark.parametrize("schedule", [{"gamma_range": [2.0, 0.1]}, {"schedule": [[0.0, 2.0, 0.5], [1.0, 0.1, 1.5]]}])
def test_a_single_sweep_runs_at_the_end_of_the_schedule(schedule):
    ss = SQA.sample(spin_glass(8, 1), num_sweeps=1, seed=0, **schedule)
    assert ss.info["final_gamma"] == pytest.approx(0.1)
    assert ss.info["final_b"] == pytest.approx(1.5 if "schedule" in schedule else 1.0)


def test_info_reports_schedule_acceptance_and_timing():
    ss = SQA.sample(spin_glass(10, 0), num_sweeps=10, trotter=3, seed=0)
    info = ss.info
    assert info["trotter_slices"] == 3 and info["beta"] > 0 and info["num_sweeps_completed"] == 10
    start, end = info["gamma_range"]
    assert start > end > 0 and info["gamma_schedule_type"] == "linear"
    assert 0 <= info["local_acceptance_rate"] <= 1 and 0 <= info["global_acceptance_rate"] <= 1
    assert set(info["timing"]) == {"preprocessing_ns", "sampling_ns", "postprocessing_ns"}


@pytest.mark.parametrize("params, error, name", [
    ({"num_reads": 0}, ValueError, "num_reads"),
    ({"num_sweeps": -1}, ValueError, "num_sweeps"),
    ({"trotter_slices": 0}, ValueError, "trotter_slices"),
    ({"trotter": 2.5}, TypeError, "trotter"),
    ({"trotter": 4, "trotter_slices": 8}, ValueError, "trotter"),
    ({"beta": 0.0}, ValueError, "beta"),
    ({"gamma_range": [0.1, 1.0]}, ValueError, "gamma_range"),
    ({"gamma_range": [1.0, 0.0], "gamma_schedule_type": "geometric"}, ValueError, "gamma_range"),
    ({"gamma_schedule_type": "cubic"}, ValueError, "gamma_schedule_type"),
    ({"gamma_schedule_type": "custom"}, ValueError, "gamma_schedule"),
    ({"gamma_schedule": [1.0, 0.5]}, ValueError, "gamma_schedule"),
    ({"gamma_schedule_type": "custom", "gamma_schedule": [1.0, -0.5]}, ValueError, "gamma_schedule"),
    ({"schedule": [[0.0, 1.0, 0.0], [0.9, 0.0, 1.0]]}, ValueError, "schedule"),
    ({"schedule": [[0.0, 1.0], [1.0, 0.0]]}, ValueError, "schedule"),
    ({"schedule": [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]], "gamma_range": [1.0, 0.0]}, ValueError, "gamma_range"),
    ({"return_all_slices": "yes"}, TypeError, "return_all_slices"),
    ({"seed": -3}, ValueError, "seed"),
    ({"time_limit": -1.0}, ValueError, "time_limit"),
    ({"gamma": 1.0}, ValueError, "Unknown parameter\\(s\\) 'gamma'"),
])
def test_bad_parameters_name_the_parameter(params, error, name):
    with pytest.raises(error, match=name):
        SQA.sample(spin_glass(4, 0), **params)


def test_replica_memory_is_capped_with_a_clear_error():
    bqm = dimod.BQM.from_ising({}, {(i, i + 1): 1.0 for i in range(999)})
    with pytest.raises(ValueError, match="replica spins exceeds the limit"):
        SQA.sample(bqm, num_reads=MAX_REPLICA_SPINS // (1000 * 64) + 1, trotter_slices=64)
