"""energy.kernels.metropolis_anneal (the simulated-annealing fast path) against a plain reference."""

from __future__ import annotations

import math

import dimod
import numpy as np
import pytest

from energy.kernels import _SKIP_EXPONENT, accepts, metropolis_anneal
from energy.model import IsingModel
from energy.rng import rng_seed, rng_uniform


def reference_anneal(spins, betas, model, rng):
    """Textbook Metropolis in index order, fields recomputed from scratch, same random stream."""
    spins = spins.copy()
    energy = float(model.energies(spins)[0])
    best_energy, best_spins, accepted = np.inf, spins.copy(), 0
    for beta in betas:
        for i in range(spins.size):
            delta = -2.0 * spins[i] * model.local_fields(spins)[i]
            if delta > 0.0:
                if beta * delta >= _SKIP_EXPONENT:
                    continue
                if not rng_uniform(rng) < math.exp(-beta * delta):
                    continue
            spins[i] = -spins[i]
            energy += delta
            accepted += 1
        if energy < best_energy:
            best_energy, best_spins = energy, spins.copy()
    return spins, accepted, energy, best_spins, best_energy


@pytest.mark.parametrize("index_type", [np.int32, np.uint32])
def test_matches_reference_on_a_weighted_model_with_fields(index_type):
    bqm = dimod.generators.gnp_random_bqm(24, 0.4, "SPIN", random_state=7)
    model = IsingModel.from_bqm(bqm)
    start = np.random.default_rng(1).choice(np.array([-1, 1], dtype=np.int8), 24)
    betas = np.geomspace(0.05, 8.0, 40)
    expected = reference_anneal(start, betas, model, rng_seed(3, 0))

    spins, fields, rng = start.copy(), model.local_fields(start), rng_seed(3, 0)
    best_spins = spins.copy()
    accepted, energy, best_energy = metropolis_anneal(
        spins, fields, betas, model.indptr, model.indices.astype(index_type), model.data, rng,
        float(model.energies(start)[0]), best_spins, np.inf)
    assert np.array_equal(spins, expected[0]) and accepted == expected[1]
    assert np.isclose(energy, expected[2]) and np.isclose(energy, model.energies(spins)[0])
    assert np.array_equal(best_spins, expected[3]) and np.isclose(best_energy, model.energies(best_spins)[0])
    assert np.allclose(fields, model.local_fields(spins))
    # the stream advanced exactly as far as the reference's
    after = rng_seed(3, 0)
    reference_anneal(start, betas, model, after)
    assert np.array_equal(rng, after)


def test_acceptance_bounds_agree_with_exp():
    rng = np.random.default_rng(0)
    u = rng.random(20_000)
    x = np.concatenate([rng.random(5000) * 1e-6, rng.random(5000), rng.random(5000) * 10, rng.random(5000) * 37])
    decided = np.array([accepts(a, b) for a, b in zip(u, x)])
    assert np.array_equal(decided, u < np.exp(-x))


def test_zero_beta_accepts_every_flip_and_best_is_kept():
    model = IsingModel.from_arrays(np.array([1.0, -0.5, 0.25]), [0, 1], [1, 2], [1.0, -2.0])
    spins = np.ones(3, dtype=np.int8)
    best = spins.copy()
    accepted, energy, best_energy = metropolis_anneal(
        spins, model.local_fields(spins), np.zeros(4), model.indptr, model.indices, model.data, rng_seed(0, 0),
        float(model.energies(np.ones(3, dtype=np.int8))[0]), best, np.inf)
    assert accepted == 12 and np.array_equal(spins, np.ones(3))  # every spin flipped four times
    states = np.array([[-1, -1, -1], [1, 1, 1]], dtype=np.int8)  # states seen at the ends of sweeps
    assert best_energy == pytest.approx(model.energies(states).min())
    assert np.isclose(energy, model.energies(spins)[0])
