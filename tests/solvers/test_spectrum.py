"""Spectrum of H(s) against closed forms and dense diagonalisation of Kronecker-built matrices."""

from __future__ import annotations

import json
import math

import dimod
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from solvers.spectrum import spectrum


@pytest.fixture(autouse=True)
def single_threaded_blas():
    with threadpool_limits(1):
        yield


def random_bqm(n: int, seed: int, fields: bool = True) -> dimod.BinaryQuadraticModel:
    rng = np.random.default_rng(seed)
    linear = {i: float(rng.normal()) if fields else 0.0 for i in range(n)}
    quadratic = {(i, j): float(rng.normal()) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.6}
    return dimod.BQM(linear, quadratic, 0.0, "SPIN")


def dense_hamiltonian(bqm: dimod.BinaryQuadraticModel, a: float, b: float) -> np.ndarray:
    """``a (-sum X_i) + b diag(E)`` from Kronecker products; bit i = variable i, bit 1 = spin +1."""
    n = bqm.num_variables
    x, eye = np.array([[0.0, 1.0], [1.0, 0.0]]), np.eye(2)
    driver = np.zeros((2**n, 2**n))
    for i in range(n):
        term = np.array([[1.0]])
        for k in reversed(range(n)):
            term = np.kron(term, x if k == i else eye)
        driver -= term
    bits = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    energies = bqm.energies((2 * bits - 1, list(bqm.variables)))
    return a * driver + b * np.diag(energies)


def test_two_spin_gap_matches_closed_form():
    """h = 0, J: flip-even sector {aligned, anti-aligned} gives H = B J sz - 2 A sx,
    so the gap is 2 sqrt(B^2 J^2 + 4 A^2); with A = 1 - s, B = s and J = 1 the minimum
    is 2 sqrt(0.8) at s = 0.8."""
    result = spectrum(dimod.BQM({}, {(0, 1): 1.0}, 0, "SPIN"), num_points=11)
    s = result.s
    assert result.sector == "flip-even" and result.ground_degeneracy == 1
    assert np.allclose(result.gap, 2 * np.sqrt(s**2 + 4 * (1 - s) ** 2), atol=1e-10)
    assert math.isclose(result.min_gap, 2 * math.sqrt(0.8), rel_tol=1e-9)
    assert math.isclose(result.s_min_gap, 0.8, abs_tol=1e-4)
    assert math.isclose(result.adiabatic_time, 1 / (4 * 0.8), rel_tol=1e-8)


def test_single_spin_with_field_gap_matches_closed_form():
    """H = -(1 - s) X + s h Z has gap 2 sqrt((1 - s)^2 + s^2 h^2); minimum at s = 1 / (1 + h^2)."""
    h = 0.5
    result = spectrum(dimod.BQM({0: h}, {}, 0, "SPIN"), num_points=7)
    assert result.sector == "full"
    assert np.allclose(result.gap, 2 * np.sqrt((1 - result.s) ** 2 + (result.s * h) ** 2), atol=1e-10)
    s_star = 1 / (1 + h**2)
    assert math.isclose(result.s_min_gap, s_star, abs_tol=1e-4)
    assert math.isclose(result.min_gap, 2 * math.sqrt((1 - s_star) ** 2 + (s_star * h) ** 2), rel_tol=1e-9)


@pytest.mark.parametrize("n", [4, 10])  # dense path and Lanczos path
def test_levels_match_dense_diagonalisation(n):
    bqm = random_bqm(n, seed=n)
    result = spectrum(bqm, num_points=5, num_levels=4)
    assert result.sector == "full"
    for k in (1, 2, 3):
        reference = np.linalg.eigvalsh(dense_hamiltonian(bqm, result.a[k], result.b[k]))[:4]
        assert np.allclose(result.energies[k], reference, atol=1e-8)
    assert np.allclose(result.energies[-1], np.sort(bqm.energies(dimod.ExactSolver().sample(bqm)))[:4])


@pytest.mark.parametrize("n", [5, 10])
def test_flip_even_sector_matches_projected_dense_spectrum(n):
    bqm = random_bqm(n, seed=20 + n, fields=False)
    result = spectrum(bqm, num_points=5, num_levels=3)
    assert result.sector == "flip-even"
    # orthonormal basis (|b> + |~b>) / sqrt 2 over b with the top bit clear
    half = 2 ** (n - 1)
    basis = np.zeros((2**n, half))
    basis[np.arange(half), np.arange(half)] = basis[(2**n - 1) ^ np.arange(half), np.arange(half)] = 1 / math.sqrt(2)
    for k in (1, 2, 3):
        even = basis.T @ dense_hamiltonian(bqm, result.a[k], result.b[k]) @ basis
        assert np.allclose(result.energies[k], np.linalg.eigvalsh(even)[:3], atol=1e-8)


def test_degenerate_ground_states_and_symmetry_choice():
    ring = dimod.BQM({}, {(i, (i + 1) % 6): -1.0 for i in range(6)}, 0, "SPIN")  # ferromagnetic ring
    even = spectrum(ring, num_points=21)
    full = spectrum(ring, num_points=21, flip_symmetry=False)
    assert even.ground_degeneracy == 1 and full.ground_degeneracy == 2
    naive = full.energies[:, 1] - full.energies[:, 0]
    assert naive[-1] == pytest.approx(0.0, abs=1e-12)  # the odd partner closes the naive gap at s = 1
    assert 0 < full.min_gap <= even.min_gap + 1e-9  # gap past the merging level: conservative
    with pytest.raises(ValueError, match="flip_symmetry"):
        spectrum(dimod.BQM({0: 1.0}, {(0, 1): 1.0}, 0, "SPIN"), flip_symmetry=True)


def test_custom_schedule_and_serialisation():
    bqm = random_bqm(3, seed=5)
    result = spectrum(bqm, num_points=9, schedule=[[0, 2, 0], [1, 0, 2]])  # twice the linear H(s)
    linear = spectrum(bqm, num_points=9)
    assert np.allclose(result.energies, 2 * linear.energies, atol=1e-10)
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["sector"] == "full" and len(payload["gap"]) == 9


def test_input_checks():
    with pytest.raises(ValueError, match="num_points"):
        spectrum(random_bqm(2, seed=1), num_points=1)
    with pytest.raises(ValueError, match="variables"):
        spectrum(random_bqm(5, seed=1), max_qubits=4)
