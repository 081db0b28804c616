"""Gaussian prediction-error energy (the free energy of predictive coding) and its gradients.

A hierarchical Gaussian model is a chain of value-node layers ``r_0 .. r_L`` running in the
direction of prediction. Layer ``l`` predicts the next one::

    mu_l = W_l f_{l-1}(r_{l-1}) + b_l          e_l = r_l - mu_l              (l = 1 .. L)
    F    = sum_l 1/2 e_l^T Pi_l e_l  [+ 1/2 (r_0 - m)^T P (r_0 - m)]

``Pi_l`` is a diagonal precision (a scalar or a vector per layer, default 1) and the optional
Gaussian prior ``(m, P)`` on the first layer. Every array is batched: rows are samples, and ``F``
is summed over the rows (``per_sample=True`` gives one value per row).

Indexing: ``values[l]`` is ``r_l`` with shape ``(n, d_l)`` for ``l = 0 .. L``;
``weights[k]`` and ``biases[k]`` are ``W_{k+1}`` (shape ``(d_{k+1}, d_k)``) and ``b_{k+1}``
(shape ``(d_{k+1},)``); ``activations[k]`` names ``f_k``, applied to ``r_k`` (``k = 0 .. L-1``);
``precisions[k]`` is ``Pi_{k+1}``. The last layer ``r_L`` is never passed through an activation.

The seed's two-level model ``x = W r + noise`` with the prior ``r ~ N(r_prior, 1/lambda)`` is the
case ``L = 1``, linear ``f``, ``P = lambda``; :func:`two_level_free_energy` and
:func:`two_level_gradient` state it directly.

>>> import numpy as np
>>> values = [np.array([[1.0, 2.0]]), np.array([[0.5]])]
>>> weights, biases = [np.array([[0.25, 0.0]])], [np.zeros(1)]
>>> free_energy(values, weights, biases, ["linear"])   # e = 0.5 - 0.25
0.03125
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

ACTIVATIONS = ("linear", "tanh", "relu", "sigmoid")

Precision = float | np.ndarray | None


def activate(name: str, x: np.ndarray) -> np.ndarray:
    """``f(x)`` for one of :data:`ACTIVATIONS`.

    >>> activate("relu", np.array([-1.0, 2.0]))
    array([0., 2.])
    """
    if name == "linear":
        return x
    if name == "tanh":
        return np.tanh(x)
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic
    raise ValueError(f"activation: must be one of {', '.join(ACTIVATIONS)}; got {name!r}")


def activation_derivative(name: str, x: np.ndarray) -> np.ndarray:
    """``f'(x)`` for one of :data:`ACTIVATIONS`; relu takes the subgradient 1 at 0 so that
    value nodes started at 0 can move.

    >>> activation_derivative("tanh", np.zeros(1))
    array([1.])
    """
    if name == "linear":
        return np.ones_like(x)
    if name == "tanh":
        return 1.0 - np.tanh(x) ** 2
    if name == "relu":
        return (x >= 0.0).astype(x.dtype)
    if name == "sigmoid":
        s = activate("sigmoid", x)
        return s * (1.0 - s)
    raise ValueError(f"activation: must be one of {', '.join(ACTIVATIONS)}; got {name!r}")


def predictions(
    values: Sequence[np.ndarray],
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activations: Sequence[str],
) -> list[np.ndarray]:
    """``[mu_1, .., mu_L]``, each layer predicted from the layer below it."""
    _check_chain(values, weights, biases, activations)
    return [activate(a, r) @ w.T + b for r, w, b, a in zip(values[:-1], weights, biases, activations)]


def prediction_errors(
    values: Sequence[np.ndarray],
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activations: Sequence[str],
) -> list[np.ndarray]:
    """``[e_1, .., e_L]`` with ``e_l = r_l - mu_l`` (unweighted)."""
    mus = predictions(values, weights, biases, activations)
    return [r - mu for r, mu in zip(values[1:], mus)]


def free_energy(
    values: Sequence[np.ndarray],
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activations: Sequence[str],
    precisions: Sequence[Precision] | None = None,
    prior: tuple[np.ndarray | float, Precision] | None = None,
    per_sample: bool = False,
) -> float | np.ndarray:
    """``F`` summed over the batch, or one value per row with ``per_sample=True``."""
    errors = prediction_errors(values, weights, biases, activations)
    per_row = _energy_rows(values, errors, precisions, prior)
    return per_row if per_sample else float(per_row.sum())


def free_energy_and_value_gradients(
    values: Sequence[np.ndarray],
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activations: Sequence[str],
    precisions: Sequence[Precision] | None = None,
    prior: tuple[np.ndarray | float, Precision] | None = None,
    *,
    free: Sequence[bool] | None = None,
    known_predictions: Mapping[int, np.ndarray] | None = None,
) -> tuple[np.ndarray, list[np.ndarray | None], list[np.ndarray]]:
    """One pass giving the per-row ``F``, ``[dF/dr_0, .., dF/dr_L]`` and the errors ``[e_1, .., e_L]``.

    ``dF/dr_l = Pi_l e_l - f_l'(r_l) * (Pi_{l+1} e_{l+1} W_{l+1})`` with the missing term dropped
    at either end, plus ``P (r_0 - m)`` from the prior.

    For inference loops: ``free[l] = False`` skips the gradient of a clamped layer (returned as
    None), and ``known_predictions[l] = mu_l`` reuses a prediction that cannot change (its
    source layer ``l - 1`` is clamped), saving the two largest products when the input is clamped.
    """
    _check_chain(values, weights, biases, activations)
    known = known_predictions or {}
    errors, slopes = [], []
    for k, (r, w, b, a, below) in enumerate(zip(values[:-1], weights, biases, activations, values[1:])):
        if k + 1 in known:
            errors.append(below - known[k + 1])
            slopes.append(None)
            continue
        fr, slope = _activate_with_slope(a, r)
        errors.append(below - (fr @ w.T + b))
        slopes.append(slope)
    weighted = _weighted(errors, precisions)
    grads: list[np.ndarray | None] = []
    for layer, r in enumerate(values):
        if free is not None and not free[layer]:
            grads.append(None)
            continue
        grad = weighted[layer - 1].copy() if layer > 0 else np.zeros_like(r)
        if layer < len(weights):
            if layer + 1 in known:
                raise ValueError(f"known_predictions: mu_{layer + 1} depends on the free layer {layer}")
            drive = weighted[layer] @ weights[layer]
            grad -= drive if slopes[layer] is None else slopes[layer] * drive
        if layer == 0 and prior is not None:
            mean, precision = prior
            grad += _precision(precision) * (r - mean)
        grads.append(grad)
    return _energy_rows(values, errors, precisions, prior), grads, errors


def value_gradients(
    values: Sequence[np.ndarray],
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activations: Sequence[str],
    precisions: Sequence[Precision] | None = None,
    prior: tuple[np.ndarray | float, Precision] | None = None,
) -> list[np.ndarray]:
    """``[dF/dr_0, .., dF/dr_L]`` (the negative is the inference drive of every value node)."""
    return free_energy_and_value_gradients(values, weights, biases, activations, precisions, prior)[1]


def parameter_gradients(
    values: Sequence[np.ndarray],
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activations: Sequence[str],
    precisions: Sequence[Precision] | None = None,
    errors: Sequence[np.ndarray] | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``([dF/dW_1, ..], [dF/db_1, ..])``, summed over the batch.

    ``dF/dW_l = -(Pi_l e_l)^T f(r_{l-1})`` and ``dF/db_l = -sum_rows Pi_l e_l``: each update is
    local (the error below times the presynaptic activity), the Hebbian-like rule of PC learning.
    Pass ``errors`` from :func:`free_energy_and_value_gradients` to skip recomputing them.
    """
    if errors is None:
        errors = prediction_errors(values, weights, biases, activations)
    weighted = _weighted(errors, precisions)
    weight_grads = [-(eps.T @ activate(a, r)) for eps, r, a in zip(weighted, values[:-1], activations)]
    bias_grads = [-eps.sum(axis=0) for eps in weighted]
    return weight_grads, bias_grads


def two_level_free_energy(
    x: np.ndarray, weights: np.ndarray, r: np.ndarray, lam: float, r_prior: np.ndarray | float = 0.0
) -> float:
    """``F = 1/2 ||x - W r||^2 + lambda/2 ||r - r_prior||^2``, summed over rows.

    ``x`` is ``(n, d)``, ``r`` is ``(n, k)`` and ``weights`` (``W``) is ``(d, k)``.

    >>> two_level_free_energy(np.ones((1, 1)), np.ones((1, 1)), np.zeros((1, 1)), 2.0, 1.0)
    1.5
    """
    e = x - r @ weights.T
    return float(0.5 * np.sum(e * e) + 0.5 * lam * np.sum((r - r_prior) ** 2))


def two_level_gradient(
    x: np.ndarray, weights: np.ndarray, r: np.ndarray, lam: float, r_prior: np.ndarray | float = 0.0
) -> np.ndarray:
    """``dF/dr = -(W^T e - lambda (r - r_prior))`` with ``e = x - W r`` (row-wise)."""
    e = x - r @ weights.T
    return -(e @ weights - lam * (r - r_prior))


def two_level_weight_gradient(x: np.ndarray, weights: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``dF/dW = -e^T r`` summed over rows: learning follows ``dW ~ e r^T``."""
    return -((x - r @ weights.T).T @ r)


def _activate_with_slope(name: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(f(x), f'(x))`` sharing the work; ``f'`` is None for the identity."""
    if name == "linear":
        return x, None
    if name == "tanh":
        fx = np.tanh(x)
        return fx, 1.0 - fx * fx
    if name == "sigmoid":
        fx = activate(name, x)
        return fx, fx * (1.0 - fx)
    return activate(name, x), activation_derivative(name, x)


def _precision(precision: Precision) -> float | np.ndarray:
    return 1.0 if precision is None else precision


def _weighted(errors: Sequence[np.ndarray], precisions: Sequence[Precision] | None) -> list[np.ndarray]:
    if precisions is None:
        return list(errors)
    if len(precisions) != len(errors):
        raise ValueError(f"precisions: need {len(errors)} entries (one per predicted layer), got {len(precisions)}")
    return [e if p is None else _precision(p) * e for e, p in zip(errors, precisions)]


def _energy_rows(values, errors, precisions, prior) -> np.ndarray:
    weighted = _weighted(errors, precisions)
    rows = np.zeros(values[0].shape[0])
    for e, eps in zip(errors, weighted):
        rows += 0.5 * np.einsum("ij,ij->i", e, eps)
    if prior is not None:
        mean, precision = prior
        d = values[0] - mean
        rows += 0.5 * np.einsum("ij,ij->i", d, _precision(precision) * d)
    return rows


def _check_chain(values, weights, biases, activations) -> None:
    depth = len(weights)
    if not (len(values) == depth + 1 and len(biases) == depth and len(activations) == depth):
        raise ValueError(
            f"values/weights/biases/activations: need L+1/L/L/L entries, got "
            f"{len(values)}/{len(weights)}/{len(biases)}/{len(activations)}"
        )
    for k, w in enumerate(weights):
        expected = (values[k + 1].shape[1], values[k].shape[1])
        if w.shape != expected:
            raise ValueError(f"weights[{k}]: shape must be {expected} to map layer {k} to {k + 1}, got {w.shape}")
        if biases[k].shape != (expected[0],):
            raise ValueError(f"biases[{k}]: shape must be ({expected[0]},), got {biases[k].shape}")
