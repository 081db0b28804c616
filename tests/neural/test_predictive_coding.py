"""Predictive-coding networks: closed forms, monotone inference, backprop equivalence, persistence."""

from __future__ import annotations

import io
import json
import time

import numpy as np
import pytest

from energy import gaussian
from energy.gaussian import activate, activation_derivative
from neural.predictive_coding import PredictiveCodingNetwork, TwoLevelPC


# ----- the seed's two-level model ----------------------------------------------------------


def test_two_level_inference_reaches_the_closed_form_fixed_point():
    rng = np.random.default_rng(0)
    w, lam, r_prior = rng.normal(size=(6, 3)), 0.5, rng.normal(size=3)
    model = TwoLevelPC(w, lam, r_prior)
    x = rng.normal(size=(4, 6))
    closed = np.linalg.solve(w.T @ w + lam * np.eye(3), (x @ w + lam * r_prior).T).T
    np.testing.assert_allclose(model.fixed_point(x), closed, rtol=1e-12)
    rate = 1.0 / np.linalg.eigvalsh(w.T @ w + lam * np.eye(3)).max()
    r, trajectory = model.infer(x, steps=3000, rate=rate)
    np.testing.assert_allclose(r, closed, atol=1e-9)
    assert np.all(np.diff(trajectory) <= 1e-12)
    assert trajectory[-1] == pytest.approx(model.free_energy(x, closed), rel=1e-12)


def test_two_level_learning_lowers_the_free_energy_of_structured_data():
    rng = np.random.default_rng(1)
    causes = rng.normal(size=(200, 2))
    x = causes @ rng.normal(size=(2, 8))
    model = TwoLevelPC(0.1 * rng.normal(size=(8, 2)), lam=0.1)
    start = model.free_energy(x, model.fixed_point(x))
    for _ in range(200):
        model.learn(x, learning_rate=0.05, steps=50, rate=0.2)
    assert model.free_energy(x, model.fixed_point(x)) < 0.05 * start


def test_linear_generative_network_equals_the_two_level_closed_form():
    net = PredictiveCodingNetwork([6, 3], "linear", mode="generative", prior_precision=0.8, seed=2)
    x = np.random.default_rng(2).normal(size=(5, 6))
    two_level = TwoLevelPC(net.weights[0], lam=0.8)
    result = net.infer(x, steps=5000, rate=0.1)  # stops once F no longer falls in float64
    np.testing.assert_allclose(result.latents[0], two_level.fixed_point(x), atol=1e-6)
    np.testing.assert_allclose(result.prediction, two_level.fixed_point(x) @ net.weights[0].T, atol=1e-6)


# ----- inference ---------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["linear", "tanh", "sigmoid"])
@pytest.mark.parametrize("mode", ["supervised", "generative"])
def test_inference_never_increases_free_energy_at_a_small_rate(activation, mode):
    """F is smooth for these activations, so a small enough gradient step always lowers it."""
    rng = np.random.default_rng(3)
    net = PredictiveCodingNetwork([7, 6, 5, 3], activation, mode=mode, precision=1.0, seed=3)
    x = rng.normal(size=(8, 7))
    targets = rng.normal(size=(8, 3)) if mode == "supervised" else None
    result = net.infer(x, targets, steps=300, rate=0.02, init="zeros")
    trajectory = result.free_energy
    assert result.steps >= 100 and len(trajectory) == result.steps + 1
    assert np.all(np.diff(trajectory) <= 1e-12 * trajectory[0])
    assert trajectory[-1] < 0.9 * trajectory[0]


@pytest.mark.parametrize("mode", ["supervised", "generative"])
def test_relu_inference_stops_before_a_step_that_raises_free_energy(mode):
    """relu makes F piecewise quadratic: a step across a kink can raise it. Inference stops there and
    returns the last accepted state; the trajectory holds accepted states only, ending on its F."""
    rng = np.random.default_rng(3)
    net = PredictiveCodingNetwork([7, 6, 5, 3], "relu", mode=mode, precision=1.0, seed=3)
    targets = rng.normal(size=(8, 3)) if mode == "supervised" else None
    result = net.infer(rng.normal(size=(8, 7)), targets, steps=300, rate=0.02, init="zeros")
    trajectory = result.free_energy
    assert 0 < result.steps < 300 and len(trajectory) == result.steps + 1
    assert np.all(np.diff(trajectory) <= 0.0)
    assert trajectory[-1] == pytest.approx(result.free_energy_per_input.mean(), rel=1e-12)
    assert trajectory[-1] < 0.9 * trajectory[0]
    # the refused step: one more gradient step from the returned state raises F
    if mode == "supervised":  # chain input -> output, input and target clamped
        chain, free, activations, prior = result.values, [False, True, True, False], ["linear", "relu", "relu"], None
    else:  # chain top cause -> data, data clamped, unit prior on the top cause
        chain, free, activations, prior = result.values[::-1], [True, True, True, False], ["relu"] * 3, (0.0, 1.0)

    def energy(values):
        return gaussian.free_energy_and_value_gradients(values, net.weights, net.biases, activations, [1.0] * 3,
                                                        prior, free=free)

    rows, grads, _ = energy(chain)
    assert rows.mean() == pytest.approx(trajectory[-1], rel=1e-12)
    trial_rows, _, _ = energy([v - 0.02 * g if f else v for v, g, f in zip(chain, grads, free)])
    assert trial_rows.sum() > rows.sum()


def test_free_output_relaxes_to_the_feedforward_pass():
    net = PredictiveCodingNetwork([4, 5, 3], "tanh", precision=1.0, seed=4)
    x = np.random.default_rng(4).normal(size=(6, 4))
    result = net.infer(x, steps=4000, rate=0.2, init="zeros")
    np.testing.assert_allclose(result.prediction, net.predict(x), atol=1e-6)
    assert result.free_energy[-1] < 1e-12
    at_rest = net.infer(x)
    assert at_rest.free_energy.tolist() == [0.0]
    assert all(np.all(e == 0.0) for e in at_rest.errors)


# ----- PC approximates backprop ------------------------------------------------------------


def _backprop(net, x, t):
    """Hand-written backprop of mean_rows 1/2 ||t - y||^2 for a supervised network."""
    acts = ["linear"] + [net.config["activation"]] * (len(net.weights) - 1)
    pre = [x]
    for w, b, a in zip(net.weights, net.biases, acts):
        pre.append(activate(a, pre[-1]) @ w.T + b)
    delta = (pre[-1] - t) / x.shape[0]
    weight_grads, bias_grads = [], []
    for k in reversed(range(len(net.weights))):
        weight_grads.insert(0, delta.T @ activate(acts[k], pre[k]))
        bias_grads.insert(0, delta.sum(axis=0))
        delta = (delta @ net.weights[k]) * activation_derivative(acts[k], pre[k])
    return weight_grads, bias_grads


def _loss(net, x, t):
    return 0.5 * np.sum((t - net.predict(x)) ** 2) / x.shape[0]


def _flat(arrays):
    return np.concatenate([a.ravel() for a in arrays])


def _cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def tanh_problem():
    rng = np.random.default_rng(5)
    net = PredictiveCodingNetwork([5, 8, 6, 3], "tanh", precision=[1.0, 1.0, 1e-3], seed=3)
    x = rng.normal(size=(4, 5))
    t = np.eye(3)[[0, 1, 2, 0]]
    return net, x, t


def test_hand_written_backprop_matches_finite_differences(tanh_problem):
    net, x, t = tanh_problem
    weight_grads, bias_grads = _backprop(net, x, t)
    step = 1e-6
    for params, grads in ((net.weights, weight_grads), (net.biases, bias_grads)):
        for p, g in zip(params, grads):
            for idx in np.ndindex(p.shape):
                keep = p[idx]
                p[idx] = keep + step
                up = _loss(net, x, t)
                p[idx] = keep - step
                down = _loss(net, x, t)
                p[idx] = keep
                assert g[idx] == pytest.approx((up - down) / (2 * step), rel=1e-5, abs=1e-9)


def test_pc_weight_updates_approach_backprop_as_inference_runs(tanh_problem):
    """Small precision-weighted output error: cosine >= 0.999 at equilibrium, rising with steps."""
    net, x, t = tanh_problem
    backprop = _flat(sum(_backprop(net, x, t), []))
    cosines = []
    for steps in (0, 1, 2, 5, 10, 20, 50, 100, 200):
        weight_grads, bias_grads, result = net.local_gradients(x, t, steps=steps, rate=0.1)
        assert result.steps == steps
        cosines.append(_cosine(_flat(weight_grads + bias_grads), backprop))
    assert cosines[-1] >= 0.999
    assert np.all(np.diff(cosines) > 0), cosines
    assert cosines[0] < 0.9  # before inference only the top layer carries an error


def test_pc_weight_updates_scale_to_backprop_in_the_small_error_limit(tanh_problem):
    """With Pi_L -> 0 the equilibrium gradient is Pi_L times backprop's, layer by layer."""
    net, x, t = tanh_problem
    weight_grads, bias_grads, _ = net.local_gradients(x, t, steps=400, rate=0.1)
    for pc, bp in zip(weight_grads + bias_grads, sum(_backprop(net, x, t), [])):
        np.testing.assert_allclose(pc, 1e-3 * bp, rtol=0.02, atol=1e-3 * 1e-3 * np.abs(bp).max())


# ----- learning ----------------------------------------------------------------------------


def test_training_on_a_slice_of_digits_reaches_a_sane_accuracy():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    net = PredictiveCodingNetwork([64, 32, 10], "tanh", learning_rate=0.01, inference_steps=10, seed=0)
    start = time.process_time()
    history = net.train(x[:600], labels=y[:600], epochs=12)
    assert time.process_time() - start < 20  # CPU seconds: a few, even on a loaded machine
    assert history[-1]["loss"] < history[0]["loss"]
    assert np.mean(net.classify(x[1000:1400]) == y[1000:1400]) > 0.85


def test_generative_training_learns_to_reconstruct_low_rank_data():
    rng = np.random.default_rng(6)
    x = np.tanh(rng.normal(size=(200, 3))) @ rng.normal(size=(3, 12))
    net = PredictiveCodingNetwork(
        [12, 6, 3], "tanh", mode="generative", learning_rate=0.01, inference_steps=30, inference_rate=0.1, seed=6
    )
    before = net.infer(x)
    net.train(x, epochs=25)
    after = net.infer(x)
    assert [v.shape for v in after.latents] == [(200, 6), (200, 3)]
    assert [e.shape for e in after.errors] == [(200, 12), (200, 6)]
    error_before = np.mean((before.prediction - x) ** 2)
    assert np.mean((after.prediction - x) ** 2) < 0.05 * error_before
    assert net.history[-1]["free_energy"] < net.history[0]["free_energy"]


def test_progress_callback_and_cancellation():
    x = np.random.default_rng(7).random((40, 4))
    labels = (x[:, 0] > 0.5).astype(int)
    net = PredictiveCodingNetwork([4, 5, 2], "relu", batch_size=10, seed=7)
    seen = []
    net.train(x, labels=labels, epochs=3, on_epoch=lambda epoch, metrics: seen.append((epoch, sorted(metrics))))
    assert seen == [(e, ["accuracy", "epoch", "free_energy", "loss", "seconds"]) for e in (1, 2, 3)]
    polls = []
    run = net.train(x, labels=labels, epochs=5, should_stop=lambda: polls.append(1) or len(polls) > 6)
    assert [m["epoch"] for m in run] == [4] and net.epochs_trained == 4  # 4 batches per epoch


# ----- persistence and validation ----------------------------------------------------------


def test_save_load_round_trip_is_exact(tmp_path):
    rng = np.random.default_rng(8)
    x, t = rng.random((30, 5)), rng.random((30, 2))
    net = PredictiveCodingNetwork([5, 4, 3, 2], "sigmoid", precision=[0.5, [1.0, 2.0, 3.0], 0.1], seed=8)
    net.train(x, t, epochs=2)
    net.save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz", allow_pickle=False) as data:
        assert json.loads(str(data["config"])) == net.config
    copies = [PredictiveCodingNetwork.load(tmp_path / "model.npz"), PredictiveCodingNetwork.from_bytes(net.to_bytes())]
    for copy in copies:
        assert copy.config == net.config and copy.history == net.history
        for a, b in zip(copy.weights + copy.biases, net.weights + net.biases):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(copy.predict(x), net.predict(x))
    copy = copies[0]
    copy.train(x, t, epochs=1)
    net.train(x, t, epochs=1)  # the optimiser state travelled too: continued training is identical
    for a, b in zip(copy.weights + copy.biases, net.weights + net.biases):
        np.testing.assert_array_equal(a, b)


def test_config_is_json_and_rebuilds_the_same_network():
    net = PredictiveCodingNetwork.from_config({"layers": [3, 4, 2], "activation": "tanh", "seed": 9})
    again = PredictiveCodingNetwork.from_config(json.loads(json.dumps(net.config)))
    for a, b in zip(again.weights, net.weights):
        np.testing.assert_array_equal(a, b)
    assert net.config["precision"] == [1.0, 0.01]


@pytest.mark.parametrize(
    "config, field",
    [
        ({"layers": [3]}, "layers"),
        ({"layers": [3, 0, 2]}, r"layers\[1\]"),
        ({"layers": [3, 2.5]}, r"layers\[1\]"),
        ({"layers": [3, 2], "activation": "softmax"}, "activation"),
        ({"layers": [3, 2], "inference_rate": -1.0}, "inference_rate"),
        ({"layers": [3, 2], "precision": [1.0, 2.0]}, "precision"),
        ({"layers": [3, 4, 2], "precision": [[1.0, 2.0], 1.0]}, r"precision\[0\]"),
        ({"layers": [3, 2], "precision": -1.0}, "precision"),
        ({"layers": [3, 2], "epochs": 3}, "epochs"),
        ({"activation": "tanh"}, "layers"),
    ],
)
def test_bad_configs_name_the_field(config, field):
    with pytest.raises((ValueError, TypeError), match=field):
        PredictiveCodingNetwork.from_config(config)


def test_bad_data_names_the_field():
    net = PredictiveCodingNetwork([3, 4, 2], "tanh")
    x = np.zeros((5, 3))
    with pytest.raises(ValueError, match="inputs: each row must have 3"):
        net.infer(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"inputs: contains NaN or infinity \(row 2\)"):
        net.infer(np.where(np.arange(15).reshape(5, 3) == 7, np.nan, 0.0))
    with pytest.raises(ValueError, match="inputs: must be a rectangular"):
        net.infer([[1, 2, 3], [1, 2]])
    with pytest.raises(ValueError, match="labels: must be integers"):
        net.train(x, labels=[0, 1, 2, 0, 1])
    with pytest.raises(ValueError, match="labels: need one class index per input"):
        net.train(x, labels=[0, 1])
    with pytest.raises(ValueError, match="targets: 4 rows for 5 inputs"):
        net.train(x, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="targets: give exactly one"):
        net.train(x)
    with pytest.raises(ValueError, match="targets: a generative network"):
        PredictiveCodingNetwork([3, 2], mode="generative").train(x, labels=[0] * 5)
    with pytest.raises(ValueError, match="init"):
        net.infer(x, init="random")
    with pytest.raises(ValueError, match="format_version"):
        buffer = io.BytesIO()
        np.savez(buffer, config=np.array(json.dumps(net.config)), state=np.array(json.dumps({"format_version": 99})))
        PredictiveCodingNetwork.load(io.BytesIO(buffer.getvalue()))
