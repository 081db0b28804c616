"""Gaussian prediction-error energy: every gradient against central finite differences of F."""

from __future__ import annotations

import numpy as np
import pytest

from energy import gaussian

STEP = 1e-6


def _chain(rng, sizes, n=3):
    """Random value nodes kept away from 0 so relu's kink is never crossed by a finite difference."""
    values = [rng.choice([-1.0, 1.0], size=(n, d)) * rng.uniform(0.1, 1.5, size=(n, d)) for d in sizes]
    weights = [rng.normal(scale=0.7, size=(b, a)) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(scale=0.3, size=b) for b in sizes[1:]]
    return values, weights, biases


def _numeric_gradient(energy, array):
    grad = np.zeros_like(array)
    for idx in np.ndindex(array.shape):
        keep = array[idx]
        array[idx] = keep + STEP
        up = energy()
        array[idx] = keep - STEP
        down = energy()
        array[idx] = keep
        grad[idx] = (up - down) / (2 * STEP)
    return grad


PRECISIONS = {
    "unit": None,
    "scalar": [0.5, 2.0, 1.5],
    "vector": [np.array([0.5, 1.0, 2.0, 3.0]), 0.7, np.array([1.5, 0.25])],
}


@pytest.mark.parametrize("activation", gaussian.ACTIVATIONS)
@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("with_prior", [False, True])
def test_every_gradient_matches_finite_differences(activation, precision, with_prior):
    rng = np.random.default_rng(7)
    values, weights, biases = _chain(rng, [3, 4, 3, 2])
    activations = ["linear", activation, activation]
    precisions = PRECISIONS[precision]
    prior = (rng.normal(size=3), np.array([0.5, 1.0, 2.0])) if with_prior else None

    def energy():
        return gaussian.free_energy(values, weights, biases, activations, precisions, prior)

    rows, value_grads, _ = gaussian.free_energy_and_value_gradients(
        values, weights, biases, activations, precisions, prior
    )
    assert rows.sum() == pytest.approx(energy(), rel=1e-12)
    for r, g in zip(values, value_grads):
        np.testing.assert_allclose(g, _numeric_gradient(energy, r), rtol=1e-6, atol=1e-7)
    weight_grads, bias_grads = gaussian.parameter_gradients(values, weights, biases, activations, precisions)
    for w, g in zip(weights, weight_grads):
        np.testing.assert_allclose(g, _numeric_gradient(energy, w), rtol=1e-6, atol=1e-7)
    for b, g in zip(biases, bias_grads):
        np.testing.assert_allclose(g, _numeric_gradient(energy, b), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("activation", gaussian.ACTIVATIONS)
def test_activation_derivatives_match_finite_differences(activation):
    x = np.linspace(-3.0, 3.0, 13) + 0.05  # avoids relu's kink at 0
    numeric = (gaussian.activate(activation, x + STEP) - gaussian.activate(activation, x - STEP)) / (2 * STEP)
    np.testing.assert_allclose(gaussian.activation_derivative(activation, x), numeric, rtol=1e-7, atol=1e-9)


def test_energy_is_half_weighted_squared_error_per_row():
    rng = np.random.default_rng(1)
    values, weights, biases = _chain(rng, [2, 3])
    precision = np.array([1.0, 2.0, 4.0])
    e = values[1] - (np.tanh(values[0]) @ weights[0].T + biases[0])
    rows = gaussian.free_energy(values, weights, biases, ["tanh"], [precision], per_sample=True)
    np.testing.assert_allclose(rows, 0.5 * (e * e * precision).sum(axis=1))


def test_two_level_form_is_the_one_layer_linear_chain_with_a_prior():
    rng = np.random.default_rng(2)
    x, r = rng.normal(size=(4, 5)), rng.normal(size=(4, 3))
    w, lam, r_prior = rng.normal(size=(5, 3)), 0.7, rng.normal(size=3)
    chain = ([r, x], [w], [np.zeros(5)], ["linear"])
    hierarchical = gaussian.free_energy(*chain, prior=(r_prior, lam))
    assert gaussian.two_level_free_energy(x, w, r, lam, r_prior) == pytest.approx(hierarchical, rel=1e-12)
    expected_grad = gaussian.value_gradients(*chain, prior=(r_prior, lam))[0]
    np.testing.assert_allclose(gaussian.two_level_gradient(x, w, r, lam, r_prior), expected_grad, rtol=1e-12)


def test_two_level_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    x, r = rng.normal(size=(2, 4)), rng.normal(size=(2, 3))
    w, lam, r_prior = rng.normal(size=(4, 3)), 1.3, rng.normal(size=3)

    def energy():
        return gaussian.two_level_free_energy(x, w, r, lam, r_prior)

    e = x - r @ w.T
    np.testing.assert_allclose(gaussian.two_level_gradient(x, w, r, lam, r_prior), -(e @ w - lam * (r - r_prior)))
    numeric = _numeric_gradient(energy, r)
    np.testing.assert_allclose(gaussian.two_level_gradient(x, w, r, lam, r_prior), numeric, rtol=1e-6)
    np.testing.assert_allclose(gaussian.two_level_weight_gradient(x, w, r), _numeric_gradient(energy, w), rtol=1e-6)


def test_clamped_layer_shortcuts_change_nothing():
    rng = np.random.default_rng(5)
    values, weights, biases = _chain(rng, [4, 3, 2])
    chain = (values, weights, biases, ["linear", "tanh"], [1.0, 0.1])
    rows, grads, errors = gaussian.free_energy_and_value_gradients(*chain)
    known = {1: gaussian.predictions(*chain[:4])[0]}
    fast_rows, fast_grads, fast_errors = gaussian.free_energy_and_value_gradients(
        *chain, free=[False, True, False], known_predictions=known
    )
    np.testing.assert_array_equal(fast_rows, rows)
    assert fast_grads[0] is None and fast_grads[2] is None
    np.testing.assert_array_equal(fast_grads[1], grads[1])
    for a, b in zip(fast_errors, errors):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="known_predictions"):
        gaussian.free_energy_and_value_gradients(*chain, known_predictions=known)


def test_bad_shapes_and_names_are_rejected_by_field():
    rng = np.random.default_rng(4)
    values, weights, biases = _chain(rng, [3, 2])
    with pytest.raises(ValueError, match=r"weights\[0\]"):
        gaussian.free_energy(values, [weights[0].T], biases, ["tanh"])
    with pytest.raises(ValueError, match=r"biases\[0\]"):
        gaussian.free_energy(values, weights, [np.zeros(3)], ["tanh"])
    with pytest.raises(ValueError, match="activation"):
        gaussian.free_energy(values, weights, biases, ["softmax"])
    with pytest.raises(ValueError, match="precisions"):
        gaussian.free_energy(values, weights, biases, ["tanh"], [1.0, 2.0])
