"""energy/: arrays and kernels against dimod and a naive numpy reference."""

from __future__ import annotations

import dimod
import numpy as np
import pytest

from energy.kernels import glauber_sweep, greedy_sweep, metropolis_sweep
from energy.model import IsingModel
from energy.rng import rng_seed, stream_seeds


def naive_energy(h, J, offset, states):
    """E = offset + s.h + sum_{i<j} J_ij s_i s_j with a dense upper-triangular J."""
    return offset + states @ h + np.einsum("ri,ij,rj->r", states, np.triu(J, 1), states)


def random_model(n, density, with_fields, seed):
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(size=(n, n)) * (rng.random((n, n)) < density), 1)
    h = rng.normal(size=n) if with_fields else np.zeros(n)
    offset = float(rng.normal())
    bqm = dimod.BinaryQuadraticModel(h, J, offset, "SPIN")
    return h, J, offset, bqm


CASES = [(n, d, f) for n in (1, 2, 7, 40) for d in (0.1, 1.0) for f in (True, False)]


@pytest.mark.parametrize("n, density, with_fields", CASES)
def test_energies_match_dimod_and_naive(n, density, with_fields):
    h, J, offset, bqm = random_model(n, density, with_fields, seed=n)
    model = IsingModel.from_bqm(bqm)
    states = np.random.default_rng(1).choice([-1, 1], size=(50, n)).astype(np.int8)
    ours = model.energies(states)
    assert np.allclose(ours, bqm.energies((states, model.variables)))
    columns = [model.variables.index(v) for v in range(n)]
    assert np.allclose(ours, naive_energy(h, J, offset, states[:, columns].astype(float)))


def test_empty_model():
    model = IsingModel.from_bqm(dimod.BQM({}, {}, 2.5, "SPIN"))
    assert model.num_variables == 0
    assert model.to_bqm().offset == 2.5
    assert model.energies(np.zeros((3, 0), dtype=np.int8)).tolist() == [2.5, 2.5, 2.5]
    assert model.local_fields(np.zeros(0, dtype=np.int8)).shape == (0,)


def test_binary_roundtrip_through_dimod():
    bqm = dimod.generators.gnp_random_bqm(12, 0.5, "BINARY", random_state=3)
    model = IsingModel.from_bqm(bqm)
    back = model.to_bqm("BINARY")
    samples = np.random.default_rng(0).integers(0, 2, size=(20, 12))
    assert np.allclose(back.energies((samples, model.variables)), bqm.energies((samples, model.variables)))


def test_duplicate_couplings_are_summed_and_self_loops_rejected():
    model = IsingModel.from_arrays(np.zeros(3), [0, 1, 0], [1, 0, 2], [1.0, 2.0, 5.0])
    assert model.num_interactions == 2
    assert model.to_bqm().quadratic[(0, 1)] == 3.0
    with pytest.raises(ValueError, match="self-loops"):
        IsingModel.from_arrays(np.zeros(2), [1], [1], [1.0])


def test_max_abs_field_with_uncoupled_trailing_variables():
    model = IsingModel.from_bqm(dimod.BQM.from_ising({0: 1.0, 1: 0.0, 2: -0.5}, {(0, 1): -2.0}))
    assert model.max_abs_field() == 3.0


def test_local_fields_and_flip_delta():
    _, _, _, bqm = random_model(15, 0.5, True, seed=4)
    model = IsingModel.from_bqm(bqm)
    spins = np.random.default_rng(2).choice([-1, 1], size=15).astype(np.int8)
    fields = model.local_fields(spins)
    base = model.energies(spins)[0]
    for i in range(15):
        flipped = spins.copy()
        flipped[i] *= -1
        assert np.isclose(model.energies(flipped)[0] - base, -2 * spins[i] * fields[i])


@pytest.mark.parametrize("sweep", ["metropolis", "glauber", "greedy"])
def test_sweeps_keep_fields_consistent(sweep):
    _, _, _, bqm = random_model(30, 0.3, True, seed=5)
    model = IsingModel.from_bqm(bqm)
    spins = np.random.default_rng(3).choice([-1, 1], size=30).astype(np.int8)
    fields = model.local_fields(spins)
    rng = rng_seed(9, 0)
    order = np.random.default_rng(0).permutation(30)
    for _ in range(5):
        if sweep == "metropolis":
            metropolis_sweep(spins, fields, 0.7, model.indptr, model.indices, model.data, order, rng)
        elif sweep == "glauber":
            glauber_sweep(spins, fields, 0.7, model.indptr, model.indices, model.data, order, rng)
        else:
            greedy_sweep(spins, fields, model.indptr, model.indices, model.data, order)
        assert np.allclose(fields, model.local_fields(spins))


def test_greedy_sweep_never_raises_energy_and_reaches_local_minimum():
    _, _, _, bqm = random_model(40, 0.5, True, seed=6)
    model = IsingModel.from_bqm(bqm)
    spins = np.random.default_rng(4).choice([-1, 1], size=40).astype(np.int8)
    fields = model.local_fields(spins)
    order = np.arange(40)
    energy = model.energies(spins)[0]
    while greedy_sweep(spins, fields, model.indptr, model.indices, model.data, order):
        new = model.energies(spins)[0]
        assert new < energy
        energy = new
    assert np.all(spins * fields <= 0)  # no single flip lowers the energy


def test_metropolis_two_level_statistics():
    """A single spin in field h at beta: P(up) = e^{-beta h} / (2 cosh beta h), checked within 4 sigma."""
    model = IsingModel.from_arrays(np.array([0.5]), [], [], [])
    spins = np.array([1], dtype=np.int8)
    fields = model.local_fields(spins)
    rng, order, beta, n = rng_seed(11, 0), np.zeros(1, dtype=np.int64), 1.3, 200_000
    ups = 0
    for _ in range(n):
        metropolis_sweep(spins, fields, beta, model.indptr, model.indices, model.data, order, rng)
        ups += spins[0] == 1
    p = np.exp(-beta * 0.5) / (2 * np.cosh(beta * 0.5))
    # Metropolis on two states is a correlated chain; its variance inflation is below 4x here.
    assert abs(ups / n - p) < 4 * 2 * np.sqrt(p * (1 - p) / n)


def test_stream_seeds_are_prefix_stable():
    assert (stream_seeds(5, 4) == stream_seeds(5, 10)[:4]).all()
    assert len(set(stream_seeds(5, 1000).tolist())) == 1000
