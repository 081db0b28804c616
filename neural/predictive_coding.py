"""Predictive-coding networks: fast inference on value nodes, slow local learning of weights.

Two models, both minimising the Gaussian free energy of :mod:`energy.gaussian`:

* :class:`TwoLevelPC` -- the seed's model ``x = W r + noise`` with prior ``r ~ N(r_prior, 1/lambda)``:
  ``F = 1/2 ||x - W r||^2 + lambda/2 ||r - r_prior||^2``, inference ``dr/dt = W^T e - lambda (r - r_prior)``,
  learning ``dW ~ e r^T``, and the closed-form fixed point ``(W^T W + lambda I)^{-1} (W^T x + lambda r_prior)``.
* :class:`PredictiveCodingNetwork` -- the hierarchical form. ``layers`` are sizes **from input to
  output**, e.g. ``[64, 64, 10]``: digits in, one hidden layer, ten classes out.

  - ``mode="supervised"`` (discriminative, Whittington & Bogacz 2017): predictions run upwards,
    ``mu_l = W_l f(r_{l-1}) + b_l`` with ``f`` the identity on the input layer. Training clamps
    the input at the bottom and the target at the top; test time frees the top, where the
    equilibrium is exactly the feedforward pass (all errors zero), so :meth:`predict` is one pass.
  - ``mode="generative"`` (Rao & Ballard 1999): predictions run downwards from latent causes to
    the data, ``layers[0]`` is the data and ``layers[-1]`` the top cause, which has a Gaussian
    prior of mean 0 and precision ``prior_precision``. Training and inference clamp only the data.

  Time scales: inference is gradient descent on the free value nodes (``inference_steps`` at
  ``inference_rate``, stopping early once F stops falling: a relative fall of at most
  ``inference_tol``, or a rise, whose step is not taken); learning then takes one
  optimiser step (Adam or SGD) on the local gradients ``dW_l ~ e_l f(r_{l-1})^T`` averaged over
  the mini-batch.

  Precision: by default every error has precision 1 except the output layer of a supervised
  network, 0.01. The weighted output error is then small, the limit in which the equilibrium
  PC updates equal 0.01 times the backprop gradient of ``1/2 ||t - y||^2`` (Adam is blind to that
  scale; with SGD raise ``learning_rate`` accordingly). ``precision=1.0`` gives plain clamping.

Internally the arrays form a chain in the direction of prediction (supervised: input -> output;
generative: top cause -> data): ``weights[k]`` maps chain layer ``k`` to ``k + 1``. Results handed
back to users (:class:`Inference`) are always in ``layers`` order.

>>> import numpy as np
>>> net = PredictiveCodingNetwork([4, 8, 2], "tanh", seed=1, learning_rate=0.01)
>>> x = np.random.default_rng(0).random((32, 4)); y = (x[:, 0] > x[:, 1]).astype(int)
>>> history = net.train(x, labels=y, epochs=40)
>>> history[-1]["accuracy"] > 0.8
True
>>> net.infer(x[:2]).prediction.shape
(2, 2)
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from os import PathLike
from typing import Any, BinaryIO

import numpy as np

from energy import gaussian
from solvers.params import Param, validate

FORMAT_VERSION = 1
MAX_LAYER_SIZE = 65_536
MAX_PARAMETERS = 10_000_000
SUPERVISED_OUTPUT_PRECISION = 0.01  # small weighted output error: PC's updates approach backprop's

CONFIG_SPEC: dict[str, Param] = {
    "layers": Param(object, description="layer sizes from input to output, e.g. [64, 64, 10]"),
    "activation": Param(str, choices=gaussian.ACTIVATIONS, default="tanh", description="f of the hidden layers"),
    "mode": Param(str, choices=("supervised", "generative"), default="supervised"),
    "precision": Param(object, description="error precision: a scalar, or one scalar/vector per predicted layer; "
                       "default: 1, except 0.01 on a supervised output layer"),
    "prior_precision": Param(float, low=0.0, high=1e6, default=1.0,
                             description="generative mode: precision of the prior on the top cause"),
    "inference_steps": Param(int, low=0, high=100_000, default=20),
    "inference_rate": Param(float, low=1e-9, high=10.0, default=0.2),
    "inference_tol": Param(float, low=0.0, high=1.0, default=0.0,
                           description="stop inference when F falls by no more than this fraction"),
    "learning_rate": Param(float, low=1e-9, high=10.0, default=1e-3),
    "optimizer": Param(str, choices=("adam", "sgd"), default="adam"),
    "batch_size": Param(int, low=1, high=1_000_000, default=32),
    "seed": Param(int, low=0, high=2**63 - 1, default=0),
}


@dataclasses.dataclass
class Inference:
    """Outcome of inference on a batch, in ``layers`` order.

    ``values[i]``: equilibrium value nodes of ``layers[i]`` (clamped layers included);
    ``prediction``: supervised -- the output layer (its feedforward value when free, the
    network's prediction ``mu_L`` when a target is clamped); generative -- the reconstruction of
    the data. ``errors``: one ``(n, size)`` array per predicted layer (supervised ``layers[1:]``,
    generative ``layers[:-1]``). ``free_energy``: the F trajectory of the accepted states,
    **averaged over the inputs**: ``steps + 1`` entries, entry 0 the initial state, the last the
    returned one (a step that would raise F is not taken and not recorded). ``free_energy_per_input``:
    final F of each input. ``latents``: the hidden value nodes (and the top cause in generative mode).
    """

    values: list[np.ndarray]
    latents: list[np.ndarray]
    prediction: np.ndarray
    errors: list[np.ndarray]
    free_energy: np.ndarray
    free_energy_per_input: np.ndarray
    steps: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the wire names ``predictions``, ``latents``, ``errors``, ``free_energy``."""
        return {
            "predictions": self.prediction.tolist(),
            "latents": [v.tolist() for v in self.latents],
            "errors": [e.tolist() for e in self.errors],
            "free_energy": self.free_energy.tolist(),
            "free_energy_per_input": self.free_energy_per_input.tolist(),
            "inference_steps": self.steps,
        }


class TwoLevelPC:
    """The two-level model ``x = W r + noise`` with a Gaussian prior on the causes ``r``.

    ``weights`` is ``W`` with shape ``(d, k)`` (``d`` data, ``k`` causes); rows of ``x`` and ``r``
    are samples.

    >>> m = TwoLevelPC(np.array([[1.0], [1.0]]), lam=1.0)
    >>> m.fixed_point(np.array([[2.0, 4.0]]))          # (1 + 1 + 1)^{-1} (2 + 4)
    array([[2.]])
    >>> r, trajectory = m.infer(np.array([[2.0, 4.0]]), steps=200, rate=0.1)
    >>> round(float(r[0, 0]), 6)
    2.0
    """

    def __init__(self, weights: np.ndarray, lam: float = 1.0, r_prior: np.ndarray | float = 0.0):
        self.weights = _finite_matrix("weights", weights)
        if not (math.isfinite(lam) and lam >= 0.0):
            raise ValueError(f"lam: must be a finite number >= 0, got {lam!r}")
        self.lam = float(lam)
        self.r_prior = np.broadcast_to(np.asarray(r_prior, dtype=float), (self.weights.shape[1],)).copy()

    def free_energy(self, x: np.ndarray, r: np.ndarray) -> float:
        return gaussian.two_level_free_energy(x, self.weights, r, self.lam, self.r_prior)

    def fixed_point(self, x: np.ndarray) -> np.ndarray:
        """The inference equilibrium ``(W^T W + lambda I)^{-1} (W^T x + lambda r_prior)``, row-wise."""
        x = self._data(x)
        k = self.weights.shape[1]
        lhs = self.weights.T @ self.weights + self.lam * np.eye(k)
        rhs = x @ self.weights + self.lam * self.r_prior
        return np.linalg.solve(lhs, rhs.T).T

    def infer(
        self, x: np.ndarray, steps: int = 100, rate: float = 0.1, r0: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Euler steps of ``dr/dt = W^T e - lambda (r - r_prior)``; returns ``r`` and the F trajectory."""
        x = self._data(x)
        r = np.tile(self.r_prior, (x.shape[0], 1)) if r0 is None else np.array(r0, dtype=float)
        trajectory = [self.free_energy(x, r)]
        for _ in range(steps):
            r = r - rate * gaussian.two_level_gradient(x, self.weights, r, self.lam, self.r_prior)
            trajectory.append(self.free_energy(x, r))
        return r, np.array(trajectory)

    def learn(self, x: np.ndarray, learning_rate: float = 0.01, steps: int = 100, rate: float = 0.1) -> float:
        """Infer ``r`` for a batch, then ``W += learning_rate * e r^T / n``; returns F after inference."""
        x = self._data(x)
        r, trajectory = self.infer(x, steps, rate)
        self.weights -= learning_rate * gaussian.two_level_weight_gradient(x, self.weights, r) / x.shape[0]
        return float(trajectory[-1])

    def _data(self, x: np.ndarray) -> np.ndarray:
        return _finite_matrix("x", x, columns=self.weights.shape[0])


class PredictiveCodingNetwork:
    """Hierarchical predictive-coding network (see the module docstring for conventions).

    Create from a JSON config with :meth:`from_config`, :meth:`train` with progress and
    cancellation hooks, :meth:`infer` / :meth:`predict` / :meth:`classify`, :meth:`save` /
    :meth:`load` (``.npz`` with the JSON config inside, no pickle).
    """

    def __init__(self, layers: Sequence[int], activation: str = "tanh", **options: Any):
        self.config = _check_config({"layers": layers, "activation": activation, **options})
        sizes = self._chain_sizes()
        rng = np.random.default_rng(self.config["seed"])
        gain = 6.0 if activation == "relu" else 3.0
        self.weights = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = math.sqrt(gain / fan_in) if activation == "relu" else math.sqrt(2 * gain / (fan_in + fan_out))
            self.weights.append(rng.uniform(-bound, bound, size=(fan_out, fan_in)))
        self.biases = [np.zeros(fan_out) for fan_out in sizes[1:]]
        self._moments = [np.zeros_like(p) for p in self._parameters() for _ in range(2)]
        self.optimizer_steps = 0
        self.history: list[dict[str, Any]] = []

    # ----- construction and persistence ---------------------------------------------------

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PredictiveCodingNetwork:
        """Build from a JSON-style mapping, e.g. ``{"layers": [64, 64, 10], "activation": "tanh"}``."""
        if not isinstance(config, Mapping) or "layers" not in config:
            raise ValueError("layers: required (sizes from input to output, e.g. [64, 64, 10])")
        options = dict(config)
        return cls(options.pop("layers"), options.pop("activation", "tanh"), **options)

    @property
    def layers(self) -> list[int]:
        return list(self.config["layers"])

    @property
    def mode(self) -> str:
        return self.config["mode"]

    @property
    def epochs_trained(self) -> int:
        return len(self.history)

    def save(self, file: str | PathLike | BinaryIO) -> None:
        """Write one ``.npz``: arrays ``W{k}``, ``b{k}``, optimiser moments ``m{j}``, and JSON text
        ``config`` and ``state`` (``optimizer_steps``, ``history``, ``format_version``)."""
        arrays = {f"W{k}": w for k, w in enumerate(self.weights)}
        arrays |= {f"b{k}": b for k, b in enumerate(self.biases)}
        arrays |= {f"m{j}": m for j, m in enumerate(self._moments)}
        state = {"format_version": FORMAT_VERSION, "optimizer_steps": self.optimizer_steps, "history": self.history}
        arrays["config"] = np.array(json.dumps(self.config))
        arrays["state"] = np.array(json.dumps(state))
        if isinstance(file, (str, PathLike)):
            with open(file, "wb") as handle:
                np.savez(handle, **arrays)
        else:
            np.savez(file, **arrays)

    @classmethod
    def load(cls, file: str | PathLike | BinaryIO) -> PredictiveCodingNetwork:
        """Read a file written by :meth:`save` (``allow_pickle=False``)."""
        with np.load(file, allow_pickle=False) as data:
            state = json.loads(str(data["state"]))
            if state.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"format_version: expected {FORMAT_VERSION}, got {state.get('format_version')!r}")
            net = cls.from_config(json.loads(str(data["config"])))
            for k in range(len(net.weights)):
                net.weights[k] = _loaded(data, f"W{k}", net.weights[k].shape)
                net.biases[k] = _loaded(data, f"b{k}", net.biases[k].shape)
            net._moments = [_loaded(data, f"m{j}", m.shape) for j, m in enumerate(net._moments)]
        net.optimizer_steps = int(state["optimizer_steps"])
        net.history = list(state["history"])
        return net

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> PredictiveCodingNetwork:
        return cls.load(io.BytesIO(blob))

    # ----- inference ----------------------------------------------------------------------

    def infer(
        self,
        inputs: Any,
        targets: Any = None,
        *,
        steps: int | None = None,
        rate: float | None = None,
        init: str = "forward",
    ) -> Inference:
        """Relax the free value nodes with ``inputs`` (and, supervised, optional ``targets``) clamped.

        ``init="forward"`` starts from one pass along the prediction direction (supervised: the
        feedforward pass, already the equilibrium when no target is clamped; generative: the
        top-down prediction from the prior mean); ``init="zeros"`` starts the free nodes at 0.
        ``steps``/``rate`` default to the config's ``inference_steps``/``inference_rate``.
        """
        x = self._inputs(inputs)
        t = None if targets is None else self._targets(targets, None, x.shape[0])
        if steps is None:
            steps = self.config["inference_steps"]
        steps = CONFIG_SPEC["inference_steps"].check("steps", steps)
        rate = self.config["inference_rate"] if rate is None else CONFIG_SPEC["inference_rate"].check("rate", rate)
        if init not in ("forward", "zeros"):
            raise ValueError(f"init: must be 'forward' or 'zeros', got {init!r}")
        return self._relax(x, t, steps, rate, init)

    def predict(self, inputs: Any) -> np.ndarray:
        """Supervised: the output layer (feedforward pass). Generative: the data reconstruction."""
        if self.mode == "generative":
            return self.infer(inputs).prediction
        values = self._forward(self._inputs(inputs))
        return values[-1]

    def classify(self, inputs: Any) -> np.ndarray:
        """Class index (argmax of the output layer); supervised mode only."""
        if self.mode != "supervised":
            raise ValueError("mode: classify needs a supervised network")
        return np.argmax(self.predict(inputs), axis=1)

    def local_gradients(
        self, inputs: Any, targets: Any = None, *, steps: int | None = None, rate: float | None = None
    ) -> tuple[list[np.ndarray], list[np.ndarray], Inference]:
        """PC learning signal for one batch: ``(dF/dW, dF/db)`` per chain layer, averaged over rows,
        at the inference equilibrium with inputs (and targets) clamped; plus the inference."""
        x = self._inputs(inputs)
        t = None
        if self.mode == "supervised":
            if targets is None:
                raise ValueError("targets: required to compute supervised learning gradients")
            t = self._targets(targets, None, x.shape[0])
        result = self.infer(x, t, steps=steps, rate=rate)
        chain = self._to_chain(result.values)
        weight_grads, bias_grads = gaussian.parameter_gradients(
            chain, self.weights, self.biases, self._activations(), self._precisions()
        )
        n = x.shape[0]
        return [g / n for g in weight_grads], [g / n for g in bias_grads], result

    # ----- learning -----------------------------------------------------------------------

    def train(
        self,
        inputs: Any,
        targets: Any = None,
        *,
        labels: Any = None,
        epochs: int = 1,
        on_epoch: Callable[[int, dict[str, Any]], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> list[dict[str, Any]]:
        """Mini-batch PC learning for ``epochs`` passes over the data; returns this call's metrics.

        Supervised mode needs ``targets`` (``(n, layers[-1])``, one-hot or real-valued) or
        ``labels`` (class indices); generative mode takes ``inputs`` only. After every epoch
        ``on_epoch(epoch, metrics)`` is called with ``metrics`` = ``{"epoch", "free_energy"`` (mean
        per-input F at the inference equilibria), ``"loss"`` (supervised: mean ``1/2 ||t - y||^2`` of
        the feedforward outputs after the epoch; generative: mean squared reconstruction error at
        equilibrium), ``"accuracy"`` (when labels or one-hot targets are given), ``"seconds"}``.
        ``should_stop()`` is polled before every mini-batch; when it returns true, training stops
        (updates already made are kept; a partial epoch is not reported).
        """
        x = self._inputs(inputs)
        n = x.shape[0]
        if self.mode == "generative":
            if targets is not None or labels is not None:
                raise ValueError("targets: a generative network learns from inputs only")
            t, classes = None, None
        else:
            t = self._targets(targets, labels, n)
            classes = _class_indices(t, labels)
        epochs = Param(int, low=0, high=1_000_000).check("epochs", epochs)
        rng = np.random.default_rng([self.config["seed"], self.epochs_trained])
        batch = self.config["batch_size"]
        run: list[dict[str, Any]] = []
        for _ in range(epochs):
            start = time.perf_counter()
            order = rng.permutation(n)
            energy = squared = 0.0
            for first in range(0, n, batch):
                if should_stop is not None and should_stop():
                    return run
                rows = order[first : first + batch]
                weight_grads, bias_grads, result = self.local_gradients(x[rows], None if t is None else t[rows])
                self._step(weight_grads + bias_grads)
                energy += float(result.free_energy_per_input.sum())
                if t is None:
                    squared += float(np.sum((result.prediction - x[rows]) ** 2))
            metrics: dict[str, Any] = {"epoch": self.epochs_trained + 1, "free_energy": energy / n}
            if t is None:
                metrics["loss"] = squared / (n * x.shape[1])
            else:
                output = self._forward(x)[-1]
                metrics["loss"] = float(0.5 * np.sum((t - output) ** 2) / n)
                if classes is not None:
                    metrics["accuracy"] = float(np.mean(np.argmax(output, axis=1) == classes))
            metrics["seconds"] = time.perf_counter() - start
            self.history.append(metrics)
            run.append(metrics)
            if on_epoch is not None:
                on_epoch(metrics["epoch"], metrics)
        return run

    # ----- internals ----------------------------------------------------------------------

    def _chain_sizes(self) -> list[int]:
        layers = self.layers
        return layers if self.mode == "supervised" else layers[::-1]

    def _to_chain(self, per_layer: list) -> list:
        return list(per_layer) if self.mode == "supervised" else list(per_layer)[::-1]

    def _activations(self) -> list[str]:
        depth = len(self.weights)
        act = self.config["activation"]
        return ["linear"] + [act] * (depth - 1) if self.mode == "supervised" else [act] * depth

    def _precisions(self) -> list[float | np.ndarray]:
        precision = self.config["precision"]
        if not isinstance(precision, list):
            return [float(precision)] * len(self.weights)
        per_layer = [p if np.isscalar(p) else np.asarray(p, dtype=float) for p in precision]
        return self._to_chain(per_layer)

    def _prior(self) -> tuple[float, float] | None:
        return (0.0, self.config["prior_precision"]) if self.mode == "generative" else None

    def _forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Supervised feedforward pass, chain order (= layers order)."""
        values = [x]
        for w, b, a in zip(self.weights, self.biases, self._activations()):
            values.append(gaussian.activate(a, values[-1]) @ w.T + b)
        return values

    def _relax(self, x: np.ndarray, t: np.ndarray | None, steps: int, rate: float, init: str) -> Inference:
        n = x.shape[0]
        sizes = self._chain_sizes()
        activations, precisions, prior = self._activations(), self._precisions(), self._prior()
        if self.mode == "supervised":
            values = self._forward(x) if init == "forward" else [x] + [np.zeros((n, d)) for d in sizes[1:]]
            free = [False] + [True] * (len(sizes) - 2) + [t is None]
            if t is not None:
                values[-1] = t
        else:
            values = [np.zeros((n, sizes[0]))]
            for w, b, a in zip(self.weights[:-1], self.biases[:-1], activations[:-1]):
                top_down = gaussian.activate(a, values[-1]) @ w.T + b
                values.append(top_down if init == "forward" else np.zeros_like(top_down))
            values.append(x)
            free = [True] * (len(sizes) - 1) + [False]
        known = None  # the prediction made by a clamped bottom layer never changes: compute it once
        if not free[0]:
            known = {1: gaussian.predictions(values[:2], self.weights[:1], self.biases[:1], activations[:1])[0]}
        energy = functools.partial(
            gaussian.free_energy_and_value_gradients, weights=self.weights, biases=self.biases,
            activations=activations, precisions=precisions, prior=prior, free=free, known_predictions=known,
        )
        rows, grads, errors = energy(values)
        trajectory = [rows.mean()]
        taken = 0
        tol = self.config["inference_tol"]
        for _ in range(steps):
            if not any(free) or rows.sum() == 0.0:
                break
            trial = [r - rate * g if f else r for r, g, f in zip(values, grads, free)]
            trial_rows, trial_grads, trial_errors = energy(trial)
            before, after = rows.sum(), trial_rows.sum()
            if after > before:  # F rose: the rate is too large here; keep the better state
                break
            values, rows, grads, errors, taken = trial, trial_rows, trial_grads, trial_errors, taken + 1
            trajectory.append(rows.mean())
            if before - after <= tol * before:
                break
        layer_values = self._to_chain(values)
        if self.mode == "supervised":
            prediction = values[-1] if t is None else values[-1] - errors[-1]
            latents = layer_values[1:-1]
        else:
            prediction = values[-1] - errors[-1]
            latents = layer_values[1:]
        return Inference(
            values=layer_values,
            latents=latents,
            prediction=prediction,
            errors=self._to_chain(errors),
            free_energy=np.array(trajectory),
            free_energy_per_input=rows,
            steps=taken,
        )

    def _parameters(self) -> list[np.ndarray]:
        return self.weights + self.biases

    def _step(self, grads: list[np.ndarray]) -> None:
        lr = self.config["learning_rate"]
        params = self._parameters()
        self.optimizer_steps += 1
        if self.config["optimizer"] == "sgd":
            for p, g in zip(params, grads):
                p -= lr * g
            return
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        t = self.optimizer_steps
        scale = lr * math.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
        for j, (p, g) in enumerate(zip(params, grads)):
            m, v = self._moments[2 * j], self._moments[2 * j + 1]
            m *= beta1
            m += (1.0 - beta1) * g
            v *= beta2
            v += (1.0 - beta2) * g * g
            p -= scale * m / (np.sqrt(v) + eps)

    def _inputs(self, inputs: Any) -> np.ndarray:
        return _finite_matrix("inputs", inputs, columns=self.layers[0])

    def _targets(self, targets: Any, labels: Any, n: int) -> np.ndarray:
        classes = self.layers[-1]
        if (targets is None) == (labels is None):
            raise ValueError("targets: give exactly one of targets (one-hot or real-valued) or labels (class indices)")
        if targets is not None:
            t = _finite_matrix("targets", targets, columns=classes)
            if t.shape[0] != n:
                raise ValueError(f"targets: {t.shape[0]} rows for {n} inputs")
            return t
        idx = _labels(labels, n, classes)
        return np.eye(classes)[idx]


def _class_indices(t: np.ndarray, labels: Any) -> np.ndarray | None:
    """Class of every row if the targets are one-hot (or came from labels), else None."""
    one_hot = np.all((t == 0.0) | (t == 1.0)) and np.all(t.sum(axis=1) == 1.0)
    return np.argmax(t, axis=1) if labels is not None or one_hot else None


def _labels(labels: Any, n: int, classes: int) -> np.ndarray:
    try:
        raw = np.asarray(labels, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("labels: must be a list of class indices") from None
    if raw.ndim != 1 or raw.shape[0] != n:
        raise ValueError(f"labels: need one class index per input ({n}), got shape {raw.shape}")
    if not np.all(np.isfinite(raw)) or np.any(raw != np.round(raw)) or np.any((raw < 0) | (raw >= classes)):
        raise ValueError(f"labels: must be integers in [0, {classes - 1}] (layers[-1] = {classes} classes)")
    return raw.astype(np.int64)


def _finite_matrix(field: str, data: Any, columns: int | None = None) -> np.ndarray:
    """``data`` as a float 2-D array (a 1-D vector is one row), finite, with ``columns`` columns."""
    try:
        array = np.array(data, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{field}: must be a rectangular array of numbers") from None
    if array.ndim == 1 and columns is not None:
        array = array[None, :]
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(f"{field}: must be a non-empty 2-D array (rows are samples), got shape {array.shape}")
    if columns is not None and array.shape[1] != columns:
        raise ValueError(f"{field}: each row must have {columns} values, got {array.shape[1]}")
    bad = ~np.isfinite(array)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise ValueError(f"{field}: contains NaN or infinity (row {row})")
    return array


def _check_config(config: Mapping[str, Any]) -> dict[str, Any]:
    checked = validate(CONFIG_SPEC, config)
    layers = checked["layers"]
    if not isinstance(layers, (list, tuple)) or len(layers) < 2 or len(layers) > 64:
        raise ValueError("layers: must be a list of 2 to 64 layer sizes, from input to output")
    sizes = []
    for i, size in enumerate(layers):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= MAX_LAYER_SIZE:
            raise ValueError(f"layers[{i}]: must be an int in [1, {MAX_LAYER_SIZE}], got {size!r}")
        sizes.append(int(size))
    if sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) > MAX_PARAMETERS:
        raise ValueError(f"layers: more than {MAX_PARAMETERS} weights")
    checked["layers"] = sizes
    checked["precision"] = _check_precision(checked["precision"], sizes, checked["mode"])
    return checked


def _check_precision(precision: Any, sizes: list[int], mode: str) -> float | list:
    def positive(value: Any, field: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (0 < value < math.inf):
            raise ValueError(f"{field}: must be a finite number > 0, got {value!r}")
        return float(value)

    predicted = sizes[1:] if mode == "supervised" else sizes[:-1]
    if precision is None:
        return [1.0] * (len(predicted) - 1) + [SUPERVISED_OUTPUT_PRECISION if mode == "supervised" else 1.0]
    if not isinstance(precision, (list, tuple)):
        return positive(precision, "precision")
    if len(precision) != len(predicted):
        raise ValueError(f"precision: need one entry per predicted layer ({len(predicted)}), got {len(precision)}")
    out: list = []
    for i, (entry, size) in enumerate(zip(precision, predicted)):
        if isinstance(entry, (list, tuple)):
            if len(entry) != size:
                raise ValueError(f"precision[{i}]: need {size} values, got {len(entry)}")
            out.append([positive(v, f"precision[{i}]") for v in entry])
        else:
            out.append(positive(entry, f"precision[{i}]"))
    return out


def _loaded(data: Any, key: str, shape: tuple[int, ...]) -> np.ndarray:
    if key not in data:
        raise ValueError(f"{key}: missing from the saved model")
    array = np.array(data[key], dtype=float)
    if array.shape != shape:
        raise ValueError(f"{key}: saved shape {array.shape} does not match the config's {shape}")
    return array
