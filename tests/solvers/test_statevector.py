"""Statevector annealing against dense expm and diagonalisation references, closed forms (Landau-Zener) and dimod."""

from __future__ import annotations

import math
import unittest

import dimod
import dimod.testing
import numpy as np
import pytest
import scipy.linalg
import scipy.stats
from threadpoolctl import threadpool_limits

from energy.model import IsingModel
from solvers.spectrum import spectrum
from solvers.statevector import (
    BLOCK_BITS,
    IMAG_SKEW,
    StatevectorAnnealingSampler,
    check_memory,
    check_schedule,
    diagonal,
    evolve,
    qubits_that_fit,
    statevector_bytes,
)


@pytest.fixture(autouse=True)
def single_threaded_blas():
    """Dense references are tiny; BLAS threads only contend with numba's on 2 cores."""
    with threadpool_limits(1):
        yield


@dimod.testing.load_sampler_bqm_tests(StatevectorAnnealingSampler)
class TestDimodContract(unittest.TestCase):
    pass


def random_bqm(n: int, seed: int, vartype="SPIN", fields: bool = True) -> dimod.BinaryQuadraticModel:
    rng = np.random.default_rng(seed)
    linear = {i: float(rng.normal()) if fields else 0.0 for i in range(n)}
    quadratic = {(i, j): float(rng.normal()) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.6}
    bqm = dimod.BQM(linear, quadratic, float(rng.normal()), "SPIN")
    return bqm.change_vartype(vartype, inplace=True)


def basis_energies(bqm: dimod.BinaryQuadraticModel) -> np.ndarray:
    """dimod's energies of every basis state (bit i = variable i; bit 1 = spin +1 / binary 1)."""
    n = bqm.num_variables
    bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    values = 2 * bits - 1 if bqm.vartype is dimod.SPIN else bits
    return bqm.energies((values, list(bqm.variables)))


def dense_driver(n: int) -> np.ndarray:
    """``-sum_i X_i`` from Kronecker products; qubit i is bit i of the index."""
    x, eye = np.array([[0.0, 1.0], [1.0, 0.0]]), np.eye(2)
    total = np.zeros((2**n, 2**n))
    for i in range(n):
        term = np.array([[1.0]])
        for k in reversed(range(n)):
            term = np.kron(term, x if k == i else eye)
        total -= term
    return total


def fidelity(a: np.ndarray, b: np.ndarray) -> float:
    return abs(np.vdot(a, b)) ** 2 / (np.vdot(a, a).real * np.vdot(b, b).real)


def strang_reference(bqm, annealing_time, num_steps) -> np.ndarray:
    """The same Strang splitting with dense ``expm`` of each factor (linear schedule)."""
    n = bqm.num_variables
    driver, problem = dense_driver(n), np.diag(basis_energies(bqm))
    psi = np.full(2**n, 2 ** (-n / 2), dtype=complex)
    dt = annealing_time / num_steps
    for k in range(num_steps):
        s = (k + 0.5) / num_steps
        half = scipy.linalg.expm(-0.5j * dt * s * problem)
        psi = half @ (scipy.linalg.expm(-1j * dt * (1 - s) * driver) @ (half @ psi))
    return psi


def unsplit_reference(bqm, annealing_time, num_steps) -> np.ndarray:
    """Piecewise-constant ``H`` at each step's midpoint, exponentiated exactly by dense
    diagonalisation (no splitting; ``eigh`` is several times faster than ``expm`` at n = 8)."""
    n = bqm.num_variables
    driver, problem = dense_driver(n), np.diag(basis_energies(bqm))
    psi = np.full(2**n, 2 ** (-n / 2), dtype=complex)
    dt = annealing_time / num_steps
    for k in range(num_steps):
        s = (k + 0.5) / num_steps
        levels, vectors = scipy.linalg.eigh((1 - s) * driver + s * problem)
        psi = vectors @ (np.exp(-1j * dt * levels) * (vectors.T @ psi))
    return psi


def numpy_strang(energies: np.ndarray, annealing_time: float, num_steps: int) -> np.ndarray:
    """Plain numpy Strang steps, one pass per qubit (reference for the cache-blocked kernels)."""
    n = int(np.log2(energies.size))
    psi = np.full(energies.size, 2 ** (-n / 2), dtype=complex)
    dt = annealing_time / num_steps
    for k in range(num_steps):
        s = (k + 0.5) / num_steps
        psi *= np.exp(-0.5j * dt * s * energies)
        c, si = math.cos(dt * (1 - s)), math.sin(dt * (1 - s))
        for q in range(n):
            view = psi.reshape(-1, 2, 2**q)
            a, b = view[:, 0, :].copy(), view[:, 1, :].copy()
            view[:, 0, :] = c * a + 1j * si * b
            view[:, 1, :] = 1j * si * a + c * b
        psi *= np.exp(-0.5j * dt * s * energies)
    return psi


@pytest.mark.parametrize("n, vartype", [(3, "SPIN"), (7, "BINARY"), (BLOCK_BITS + 3, "SPIN")])
def test_diagonal_is_dimod_energy_of_each_basis_state(n, vartype):
    bqm = random_bqm(n, seed=n, vartype=vartype)
    assert np.allclose(diagonal(IsingModel.from_bqm(bqm)), basis_energies(bqm), atol=1e-10)


def test_same_splitting_with_dense_expm_is_exact():
    bqm = random_bqm(5, seed=1)
    ours = evolve(IsingModel.from_bqm(bqm), 4.0, 40).state
    assert fidelity(ours, strang_reference(bqm, 4.0, 40)) > 1 - 1e-12


@pytest.mark.parametrize("n, seed", [(6, 2), (7, 13), (8, 14)])
def test_final_state_matches_unsplit_reference(n, seed):
    """Both integrators are second order; at 200 steps they differ by <= 1e-7 in fidelity."""
    bqm = random_bqm(n, seed=seed)
    reference = unsplit_reference(bqm, 5.0, 200)
    ours = evolve(IsingModel.from_bqm(bqm), 5.0, 200).state
    assert fidelity(ours, reference) >= 1 - 1e-6


def test_trotter_error_is_second_order():
    model = IsingModel.from_bqm(random_bqm(6, seed=3))
    states = [evolve(model, 5.0, steps).state for steps in (50, 100, 200)]
    coarse, fine = np.linalg.norm(states[0] - states[1]), np.linalg.norm(states[1] - states[2])
    assert 3.6 < coarse / fine < 4.4  # halving dt divides the error by 4


def test_cache_blocked_kernels_match_plain_numpy_beyond_one_block():
    bqm = random_bqm(BLOCK_BITS + 3, seed=4)  # three high qubits: exercises the grouped pass
    model = IsingModel.from_bqm(bqm)
    ours = evolve(model, 2.0, 6).state
    reference = numpy_strang(basis_energies(bqm), 2.0, 6)
    assert np.max(np.abs(ours - reference)) < 1e-12


def test_norm_is_preserved():
    result = evolve(IsingModel.from_bqm(random_bqm(10, seed=5)), 50.0, 3000)
    assert abs(np.linalg.norm(result.state) - 1.0) < 1e-10


def test_zero_time_keeps_the_uniform_superposition():
    bqm = random_bqm(4, seed=6)
    result = evolve(IsingModel.from_bqm(bqm), 0.0, 10)
    assert np.allclose(np.abs(result.state) ** 2, 1 / 16, atol=1e-14, rtol=0)
    sampleset = StatevectorAnnealingSampler().sample(bqm, annealing_time=0.0, num_reads=16_000, seed=6)
    bits = (sampleset.record.sample[:, [sampleset.variables.index(v) for v in bqm.variables]] + 1) // 2
    counts = np.bincount(bits @ (1 << np.arange(4)), minlength=16)
    assert scipy.stats.chisquare(counts).pvalue > 1e-3


@pytest.mark.parametrize("seed", [7, 17, 27])  # minimum gaps 0.55, 0.66 and 0.056 (T = 16190)
def test_slow_anneal_ends_in_the_ground_state(seed):
    bqm = random_bqm(6, seed=seed)
    time_scale = spectrum(bqm, num_points=41).adiabatic_time
    sampler = StatevectorAnnealingSampler()
    fast = sampler.sample(bqm, annealing_time=0.5, num_reads=1).info["ground_state_probability"]
    slow = sampler.sample(bqm, annealing_time=max(100.0, 50 * time_scale), num_reads=10, seed=1)  # dt = 0.1
    assert fast < 0.5
    assert slow.info["ground_state_probability"] > 0.99
    ground = basis_energies(bqm).min()
    assert math.isclose(slow.info["ground_energy"], ground, abs_tol=1e-9)
    assert np.allclose(slow.record.energy, ground)


@pytest.mark.parametrize("sweep_time", [20.0, 55.0])
def test_two_spin_avoided_crossing_follows_landau_zener(sweep_time):
    """Two spins, J = 1, h = 0: in the flip-even sector {|a> = aligned, |b> = anti-aligned}
    ``H = B J sigma_z - 2 A sigma_x``. Holding ``A = g`` while ``B`` runs linearly from ``-b``
    to ``+b`` in time ``tau`` is a Landau-Zener sweep: diabatic energies ``+-B J`` cross with
    relative speed ``v = 4 b J / tau`` and the gap at the crossing is ``Delta = 4 g``, so
    ``P(stay aligned) = exp(-pi Delta^2 / (2 v)) = exp(-2 pi g^2 tau / (b J))`` (hbar = 1).
    Slow ramps before (from |+>^2) and after (to the problem at A = 0, B = 1) are adiabatic.
    """
    coupling, g, b, prep, post = 1.0, 0.1, 5.0, 60.0, 30.0
    total = prep + sweep_time + post
    schedule = [[0, 1, 0], [prep / total, g, -b], [(prep + sweep_time) / total, g, b], [1, 0, 1]]
    bqm = dimod.BQM({}, {(0, 1): coupling}, 0, "SPIN")
    psi = evolve(IsingModel.from_bqm(bqm), total, 3000, schedule).state
    aligned = abs(psi[0b00]) ** 2 + abs(psi[0b11]) ** 2
    predicted = math.exp(-2 * math.pi * g**2 * sweep_time / (b * coupling))
    assert abs(aligned - predicted) < 0.01  # finite sweep range |b J| / g = 50 leaves ~0.003


def test_samples_follow_the_final_distribution_and_info_is_consistent():
    bqm = random_bqm(3, seed=8, vartype="BINARY")
    sampler = StatevectorAnnealingSampler()
    sampleset = sampler.sample(bqm, annealing_time=2.0, num_steps=200, num_reads=20_000, seed=8, num_top_states=8)
    probs = np.abs(evolve(IsingModel.from_bqm(bqm), 2.0, 200).state) ** 2
    columns = [sampleset.variables.index(v) for v in bqm.variables]
    counts = np.bincount(sampleset.record.sample[:, columns] @ (1 << np.arange(3)), minlength=8)
    sigma = np.sqrt(20_000 * probs * (1 - probs))
    assert np.all(np.abs(counts - 20_000 * probs) < 5 * sigma + 1)
    dimod.testing.assert_sampleset_energies(sampleset, bqm)
    assert sampleset.vartype is dimod.BINARY
    energies = basis_energies(bqm)
    info = sampleset.info
    assert math.isclose(info["expected_energy"], probs @ energies, rel_tol=1e-9)
    assert math.isclose(info["ground_state_probability"], probs[np.argmin(energies)], rel_tol=1e-9)
    top = info["top_states"]
    assert [t["probability"] for t in top] == pytest.approx(np.sort(probs)[::-1].tolist(), rel=1e-9)
    for state in top:
        assert math.isclose(state["energy"], bqm.energy(dict(zip(sampleset.variables, state["sample"]))), abs_tol=1e-9)
    assert set(info["timing"]) == {"preprocessing_ns", "sampling_ns", "postprocessing_ns"}
    assert abs(info["norm"] - 1) < 1e-12


def test_ground_probability_counts_every_degenerate_ground_state():
    bqm = dimod.BQM({}, {(0, 1): -1.0, (1, 2): -1.0}, 0, "SPIN")  # two ground states
    info = StatevectorAnnealingSampler().sample(bqm, annealing_time=3.0).info
    psi = evolve(IsingModel.from_bqm(bqm), 3.0, 100).state
    assert math.isclose(info["ground_state_probability"], abs(psi[0]) ** 2 + abs(psi[7]) ** 2, rel_tol=1e-9)


def test_spin_and_binary_views_of_one_model_agree():
    spin = random_bqm(4, seed=9)
    binary = spin.change_vartype("BINARY", inplace=False)
    sampler = StatevectorAnnealingSampler()
    a = sampler.sample(spin, annealing_time=3.0, num_reads=50, seed=2)
    b = sampler.sample(binary, annealing_time=3.0, num_reads=50, seed=2)
    assert math.isclose(a.info["ground_state_probability"], b.info["ground_state_probability"], rel_tol=1e-9)
    assert np.array_equal(a.record.sample, 2 * b.record.sample - 1)
    assert np.allclose(a.record.energy, b.record.energy)


def test_seed_reproduces_samples_and_custom_linear_schedule_equals_default():
    bqm = random_bqm(5, seed=10)
    sampler = StatevectorAnnealingSampler()
    first = sampler.sample(bqm, num_reads=30, seed=5)
    again = sampler.sample(bqm, num_reads=30, seed=5, schedule=[[0, 1, 0], [0.5, 0.5, 0.5], [1, 0, 1]])
    assert np.array_equal(first.record.sample, again.record.sample)
    assert first.info["schedule"] == [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]


@pytest.mark.parametrize("schedule", [
    [[0, 1, 0]],
    [[0.1, 1, 0], [1, 0, 1]],
    [[0, 1, 0], [0.9, 0, 1]],
    [[0, 1, 0], [0.5, 1, 1], [0.5, 0, 1], [1, 0, 1]],
    [[0, 1, 0], [1, float("nan"), 1]],
    [[0, 1], [1, 0]],
    "linear",
])
def test_bad_schedules_are_rejected(schedule):
    with pytest.raises(ValueError, match="schedule"):
        check_schedule(schedule)


def test_bad_parameters_are_rejected():
    bqm = random_bqm(2, seed=11)
    sampler = StatevectorAnnealingSampler()
    with pytest.raises(ValueError, match="num_reads"):
        sampler.sample(bqm, num_reads=0)
    with pytest.raises(ValueError, match="annealing_time"):
        sampler.sample(bqm, annealing_time=-1.0)
    with pytest.raises(ValueError, match="Unknown parameter"):
        sampler.sample(bqm, num_sweeps=10)
    with pytest.raises(ValueError, match="num_steps"):
        sampler.sample(bqm, num_steps=0)
    with pytest.raises(TypeError, match="num_steps"):
        sampler.sample(bqm, num_steps=2.5)
    with pytest.raises(ValueError, match="seed"):
        sampler.sample(bqm, seed=-1)


@pytest.mark.parametrize("n", [0, 3, BLOCK_BITS + 2])
def test_memory_accounting_is_what_evolve_allocates(n):
    result = evolve(IsingModel.from_bqm(random_bqm(n, seed=13)), 1.0, 2)
    buffer = result.re.base
    assert result.im.base is buffer
    factors = result.factors
    allocated = buffer.nbytes + factors.low.nbytes + factors.high_energy.nbytes + factors.field.nbytes
    assert statevector_bytes(n) == allocated
    assert 0 <= buffer.nbytes - 16 * 2**n <= 3 * 4096  # page alignment and the skew of the imaginary part


def test_real_and_imaginary_parts_are_aligned_but_not_a_power_of_two_apart():
    result = evolve(IsingModel.from_bqm(random_bqm(BLOCK_BITS + 2, seed=14)), 1.0, 2)
    re, im = result.re.ctypes.data, result.im.ctypes.data
    assert re % 4096 == 0 and im % 64 == 0
    assert im >= re + result.re.nbytes  # disjoint
    assert (im - re) % 4096 == IMAG_SKEW % 4096 != 0


def test_memory_limit_and_qubit_cap_give_clear_errors():
    limit = statevector_bytes(16)
    assert qubits_that_fit(limit) == 16 and qubits_that_fit(limit - 1) == 15
    with pytest.raises(ValueError, match="at most 16 qubits fit"):
        check_memory(20, memory_limit=limit)
    sampler = StatevectorAnnealingSampler(memory_limit=limit)
    assert sampler.max_qubits == 16 and sampler.properties["max_qubits"] == 16
    with pytest.raises(ValueError, match="limited to 16 qubits"):
        sampler.sample(random_bqm(17, seed=12))
    loose = StatevectorAnnealingSampler(max_qubits=40, memory_limit=limit)
    with pytest.raises(ValueError, match="at most 16 qubits fit"):
        loose.sample(random_bqm(17, seed=12))
    assert StatevectorAnnealingSampler().max_qubits >= 24  # half of this machine's memory
