"""Hopfield associative memory: an Ising model whose valleys are stored patterns.

With weights ``W`` (zero diagonal) and thresholds ``theta`` the network energy
``E(s) = -1/2 s^T W s - theta . s`` is the Ising energy of :mod:`energy.model`
with ``J_ij = -W_ij`` and ``h = -theta``. Storing patterns carves the
couplings (``hebbian``, ``storkey``, ``pseudoinverse`` rules); recall rolls
downhill with the shared sweep kernels of :mod:`energy.kernels` on the same
arrays the annealers use: ``greedy_sweep`` at zero temperature (the T -> 0
limit of annealing), the heat bath ``glauber_sweep`` above it (simulated
annealing's ``metropolis_anneal`` is built from the same flip update). The ``modern`` rule is the continuous
Hopfield network of Ramsauer et al. (2020), ``xi <- X^T softmax(beta X xi)``.

>>> import numpy as np
>>> patterns = np.random.default_rng(0).choice([-1, 1], size=(5, 100))
>>> net = HopfieldNetwork.from_patterns(patterns, rule="hebbian")
>>> result = net.recall(pattern_index=2, corruption=0.1, seed=1)
>>> result.matched_pattern, result.kind, result.converged
(2, 'stored', True)
>>> bool((result.state == patterns[2]).all())
True
"""

from __future__ import annotations

import dataclasses
import json
import math
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from energy.model import IsingModel
from energy.rng import stream_seed, stream_seeds
from neural import _hopfield_kernels as kernels
from solvers.params import Param

RULES = ("hebbian", "storkey", "pseudoinverse", "modern")
MODES = ("async", "sync")
ENCODINGS = ("spin", "binary")

#: Largest network: dense weights plus their CSR take about 20 N^2 bytes (335 MB at 4096).
MAX_NEURONS = 4096
#: Most patterns a classical (weight-matrix) network may hold.
MAX_CLASSICAL_PATTERNS = 4096
#: Most patterns a modern network may hold; also bounded by ``MAX_PATTERN_ENTRIES``.
MAX_MODERN_PATTERNS = 100_000
#: Upper bound on ``num_patterns * num_neurons`` (stored as int8).
MAX_PATTERN_ENTRIES = 2**25
#: A state "is" pattern mu when its overlap m_mu = xi^mu . s / N exceeds this.
MATCH_OVERLAP = 0.95
#: A state with two or more overlaps at least this large (in absolute value) is a mixture.
MIXTURE_OVERLAP = 0.3
#: Update size (max abs change per component) below which modern recall has converged.
MODERN_TOLERANCE = 1e-9
#: Known storage limits in load alpha = P / N past which ``capacity_warning`` speaks up.
#: Hebbian: Amit-Gutfreund-Sompolinsky alpha_c; Storkey: measured at N = 1000 from 10% cues
#: (docs/hopfield.md); pseudo-inverse: patterns stay fixed points while P < N.
CAPACITY = {"hebbian": 0.138, "storkey": 0.35, "pseudoinverse": 1.0, "modern": None, "weights": None}

#: a batch of one cue: ``recall_batch`` hands out per-cue seeds below 2**53 (exact in JSON doubles)
SEED_BITS = 53

RECALL_PARAMS = {
    "mode": Param(str, choices=MODES, default=None,
                  description="async (one spin at a time) or sync (all at once); default async, modern: sync"),
    "temperature": Param(float, low=0.0, high=1e6, default=0.0, description="0: deterministic; >0: Glauber"),
    "max_sweeps": Param(int, low=1, high=1000, default=100, description="sweeps (async) or steps (sync)"),
    "seed": Param(int, low=0, high=2**64 - 1, default=None, description="seed for orders, noise, corruption"),
    "corruption": Param(float, low=0.0, high=1.0, default=0.0, description="fraction of flipped bits"),
    "beta": Param(float, low=1e-6, high=1e6, default=1.0, description="inverse temperature of the modern rule"),
}


def pattern_limit(rule: str) -> int:
    """Most patterns a network with ``rule`` may hold (``MAX_MODERN_PATTERNS`` or ``MAX_CLASSICAL_PATTERNS``)."""
    return MAX_MODERN_PATTERNS if rule == "modern" else MAX_CLASSICAL_PATTERNS


def _checked(name: str, value: Any) -> Any:
    """``RECALL_PARAMS[name].check(name, value)``, with a fast path for a plain, in-range value.

    The fast path returns exactly what ``check`` would; anything else (other types, NaN, out of
    range) goes through ``check`` for its coercion or its error message.
    """
    spec = RECALL_PARAMS[name]
    if value is None:
        return None
    if type(value) is spec.kind:
        if spec.choices is not None:
            if value in spec.choices:
                return value
        elif spec.low <= value <= spec.high:
            return value
    return spec.check(name, value)


def cue_seeds(seed: int, start: int, stop: int) -> np.ndarray:
    """Seeds of cues ``start..stop-1`` of a batch recalled with ``seed``: ``stream_seeds(seed, stop)[k] >> 11``.

    They are below 2**53, so they survive JSON; cue ``k``'s result is exactly
    ``recall(<its cue>, seed=cue_seeds(seed, k, k + 1)[0])``. Computed for the
    requested range only, so any slice of a batch is cheap.

    >>> bool((cue_seeds(7, 3, 5) == stream_seeds(7, 5)[3:] >> np.uint64(11)).all())
    True
    """
    return stream_seed(int(seed), np.arange(start, stop, dtype=np.uint64)) >> np.uint64(64 - SEED_BITS)


class HopfieldError(ValueError):
    """Invalid network input; ``field`` names where the fault is (like ``problems.errors.ProblemError``)."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclasses.dataclass(frozen=True, eq=False)
class RecallResult:
    """Outcome of one recall; ``to_dict()`` gives the wire form.

    ``state`` is in the network's encoding and pattern shape (floats for the
    modern rule). ``energy_trajectory[t]`` is the energy after ``t`` sweeps
    (async) or steps (sync); it is a Lyapunov function only when
    ``energy_is_lyapunov`` (symmetric weights, async, zero temperature, or
    the modern rule). ``kind`` is ``stored``, ``negation``, ``mixture``,
    ``spurious`` (or None when the network holds no patterns).
    """

    state: np.ndarray
    energy_trajectory: np.ndarray
    converged: bool
    num_sweeps: int
    overlaps: np.ndarray
    matched_pattern: int | None
    nearest_pattern: int | None
    kind: str | None
    cycle_length: int | None
    mode: str
    temperature: float
    energy_is_lyapunov: bool
    #: the seed that reproduces this result with ``recall`` (batch results; None for a single recall)
    seed: int | None = None

    @property
    def energy(self) -> float:
        return float(self.energy_trajectory[-1])

    def to_dict(self) -> dict[str, Any]:
        body = {
            "state": self.state.tolist(),
            "energy": self.energy,
            "energy_trajectory": self.energy_trajectory.tolist(),
            "energy_is_lyapunov": self.energy_is_lyapunov,
            "converged": self.converged,
            "num_sweeps": self.num_sweeps,
            "cycle_length": self.cycle_length,
            "overlaps": self.overlaps.tolist(),
            "matched_pattern": self.matched_pattern,
            "nearest_pattern": self.nearest_pattern,
            "kind": self.kind,
            "mode": self.mode,
            "temperature": self.temperature,
        }
        if self.seed is not None:
            body["seed"] = self.seed
        return body


def classify(overlaps: np.ndarray) -> tuple[int | None, int | None, str | None]:
    """``(matched_pattern, nearest_pattern, kind)`` from the overlaps of one state.

    >>> classify(np.array([0.02, 0.97]))
    (1, 1, 'stored')
    >>> classify(np.array([-1.0, 0.0]))
    (None, 0, 'negation')
    >>> classify(np.array([0.5, 0.5, 0.5]))
    (None, 0, 'mixture')
    """
    if overlaps.size == 0:
        return None, None, None
    nearest = int(np.argmax(np.abs(overlaps)))
    if overlaps[nearest] > MATCH_OVERLAP:
        return nearest, nearest, "stored"
    if overlaps[nearest] < -MATCH_OVERLAP:
        return None, nearest, "negation"
    if np.count_nonzero(np.abs(overlaps) >= MIXTURE_OVERLAP) >= 2:
        return None, nearest, "mixture"
    return None, nearest, "spurious"


def _csr(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR (indptr, indices, data) of the off-diagonal non-zeros of a dense square matrix."""
    mask = matrix != 0
    np.fill_diagonal(mask, False)
    indptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)
    np.cumsum(mask.sum(axis=1), out=indptr[1:])
    indices = np.nonzero(mask)[1].astype(np.int32)
    return indptr, indices, np.ascontiguousarray(matrix[mask], dtype=np.float64)


class HopfieldNetwork:
    """A Hopfield memory of ``num_neurons`` binary neurons learning with ``rule``.

    ``store(patterns)`` may be called repeatedly; patterns are +-1 or 0/1
    vectors or 2-D arrays (images), remembered with their encoding and shape
    so recalled states come back in the same form. ``beta`` is the inverse
    temperature of the ``modern`` rule.
    """

    def __init__(self, num_neurons: int | None = None, rule: str = "hebbian", *, beta: float = 1.0,
                 encoding: str | None = None, shape: Sequence[int] | None = None):
        if rule not in RULES:
            raise HopfieldError("rule", f"must be one of {', '.join(RULES)}; got {rule!r}")
        if encoding is not None and encoding not in ENCODINGS:
            raise HopfieldError("encoding", f"must be 'spin' or 'binary'; got {encoding!r}")
        self.rule = rule
        self.beta = _checked("beta", beta)
        self.encoding = encoding
        self.shape: tuple[int, ...] | None = None
        self.num_neurons = 0
        self._patterns = np.zeros((0, 0), dtype=np.int8)
        self._weights: np.ndarray | None = None
        self._thresholds: np.ndarray | None = None
        self.symmetric = True
        self._dynamics: tuple | None = None
        self._pattern_floats: np.ndarray | None = None
        if shape is not None:
            self._set_shape(tuple(int(d) for d in shape), "shape")
        if num_neurons is not None:
            if self.shape is not None and math.prod(self.shape) != num_neurons:
                raise HopfieldError("num_neurons", f"{num_neurons} does not match shape {self.shape}")
            self._set_shape(self.shape or (int(num_neurons),), "num_neurons")

    # ---- construction -------------------------------------------------------------------

    @classmethod
    def from_patterns(cls, patterns, rule: str = "hebbian", *, beta: float = 1.0,
                      encoding: str | None = None) -> "HopfieldNetwork":
        """A network that has stored ``patterns`` (a list of vectors or 2-D arrays)."""
        return cls(rule=rule, beta=beta, encoding=encoding).store(patterns)

    @classmethod
    def from_weights(cls, weights, thresholds=None, *, patterns=None, encoding: str | None = None,
                     shape: Sequence[int] | None = None) -> "HopfieldNetwork":
        """A network with user-supplied weights (zero diagonal, any symmetry).

        Asymmetric weights are accepted and flagged (``symmetric`` is False):
        they have no energy function, and recall says so. ``patterns``, if
        given, are only used for overlaps and classification.

        >>> net = HopfieldNetwork.from_weights([[0, 1], [-1, 0]])
        >>> net.symmetric
        False
        """
        try:
            w = np.array(weights, dtype=np.float64)
        except (TypeError, ValueError):
            raise HopfieldError("weights", "must be a square matrix of real numbers") from None
        if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] == 0:
            raise HopfieldError("weights", f"must be a non-empty square matrix; got shape {w.shape}")
        if not np.isfinite(w).all():
            raise HopfieldError("weights", "must be finite")
        if np.any(np.diag(w) != 0):
            raise HopfieldError("weights", "the diagonal must be zero (a self-coupling is no Ising interaction)")
        net = cls(w.shape[0], rule="hebbian", encoding=encoding, shape=shape)
        net.rule = "weights"
        if thresholds is not None:
            theta = np.array(thresholds, dtype=np.float64)
            if theta.shape != (w.shape[0],) or not np.isfinite(theta).all():
                raise HopfieldError("thresholds", f"must be {w.shape[0]} finite numbers")
            net._thresholds = theta
        net._weights = w
        net.symmetric = bool(np.array_equal(w, w.T))
        if patterns is not None:
            spins = net._parse_patterns(patterns)
            net._append_patterns(spins)
        return net

    # ---- properties -----------------------------------------------------------------------

    @property
    def num_patterns(self) -> int:
        return int(self._patterns.shape[0])

    @property
    def alpha(self) -> float:
        """alpha = P / N."""
        return self.num_patterns / self.num_neurons if self.num_neurons else 0.0

    @property
    def patterns(self) -> np.ndarray:
        """Stored patterns as +-1 spins, one flattened row each (a read-only view)."""
        view = self._patterns.view()
        view.flags.writeable = False
        return view

    @property
    def weights(self) -> np.ndarray:
        """``W`` (N x N, zero diagonal); the modern rule has none."""
        if self.rule == "modern":
            raise HopfieldError("rule", "the modern rule has no weight matrix")
        view = self._matrix().view()
        view.flags.writeable = False
        return view

    @property
    def thresholds(self) -> np.ndarray:
        return np.zeros(self.num_neurons) if self._thresholds is None else self._thresholds.copy()

    @property
    def capacity_warning(self) -> str | None:
        """A sentence when the load is past the rule's known limit (see ``CAPACITY``)."""
        limit = CAPACITY[self.rule]
        if limit is None or self.alpha <= limit:
            return None
        return (f"load alpha = P/N = {self.alpha:.3g} exceeds the {self.rule} rule's limit {limit:g}: "
                "stored patterns may not be recalled")

    def pattern(self, index: int) -> np.ndarray:
        """Stored pattern ``index`` in the network's encoding and shape."""
        return self._output(self._patterns[self._pattern_index(index, "pattern_index")])

    # ---- learning ---------------------------------------------------------------------------

    def store(self, patterns) -> "HopfieldNetwork":
        """Learn more patterns with the network's rule; returns ``self``.

        Hebbian adds ``X^T X / N`` (kept as exact integer counts); Storkey applies
        its rule pattern by pattern in order; the pseudo-inverse (projection)
        rule recomputes the projector onto all stored patterns; modern just keeps
        the patterns. Storing a pattern again counts it twice (except for the
        pseudo-inverse rule, whose projector does not change).
        """
        if self.rule == "weights":
            raise HopfieldError("rule", "a network built from weights does not learn; build one with a rule")
        spins = self._parse_patterns(patterns)
        self._append_patterns(spins)
        x = spins.astype(np.float64)
        n = self.num_neurons
        if self.rule == "modern":
            return self
        if self._weights is None:
            self._weights = np.zeros((n, n))
        if self.rule == "hebbian":
            counts = np.rint(self._weights * n) + x.T @ x
            np.fill_diagonal(counts, 0.0)
            self._weights = counts / n
        elif self.rule == "storkey":
            w = self._weights
            for xi in x:
                w += storkey_increment(w, xi)
                np.fill_diagonal(w, 0.0)
        else:
            self._weights = projection_weights(self._patterns)
        self._dynamics = None
        return self

    # ---- energies ---------------------------------------------------------------------------

    def energies(self, states) -> np.ndarray:
        """Energy of each state (rows or images in the network's encoding).

        Classical: ``-1/2 s^T W s - theta . s``. Modern (Ramsauer et al. eq. 2):
        ``-lse(beta, X xi) + xi . xi / 2 + log(P) / beta + M^2 / 2`` with ``M`` the
        largest pattern norm.
        """
        spins = self._parse_states(states, "states")
        if self.rule == "modern":
            return self._modern_energy(spins)
        w = self._matrix()
        return -0.5 * np.einsum("bi,ij,bj->b", spins, w, spins) - spins @ self.thresholds

    def energy(self, state) -> float:
        """Energy of one state."""
        return float(self.energies(np.asarray(state)[None])[0])

    def ising_model(self) -> IsingModel:
        """The equivalent :class:`energy.model.IsingModel` (``J = -sym(W)``, ``h = -theta``)."""
        if self.rule == "modern":
            raise HopfieldError("rule", "the modern rule is continuous and has no Ising model")
        w = self._matrix()
        if not self.symmetric:
            w = 0.5 * (w + w.T)
        indptr, indices, data = _csr(-w)
        return IsingModel(-self.thresholds, indptr, indices, data, 0.0, list(range(self.num_neurons)))

    # ---- recall -----------------------------------------------------------------------------

    def corrupt(self, pattern_index: int, corruption: float, seed: int | None = None) -> np.ndarray:
        """Stored pattern ``pattern_index`` with ``round(corruption * N)`` distinct bits flipped."""
        index = self._pattern_index(pattern_index, "pattern_index")
        fraction = _checked("corruption", corruption)
        seed = _checked("seed", seed)
        return self._output(self._corrupt_spins(index, fraction, seed, 1)[0])

    def recall(self, cue=None, *, pattern_index: int | None = None, corruption: float = 0.0,
               mode: str | None = None, temperature: float = 0.0, max_sweeps: int = 100,
               seed: int | None = None) -> RecallResult:
        """Recall from ``cue``, or from stored pattern ``pattern_index`` with ``corruption`` flipped bits.

        ``mode``: ``async`` (random order, one neuron at a time: the annealers'
        sweep kernel; default) or ``sync`` (all neurons at once, the only mode of
        the modern rule). ``temperature`` > 0 gives Glauber dynamics.
        """
        if (cue is None) == (pattern_index is None):
            raise HopfieldError("cue", "give exactly one of 'cue' and 'pattern_index'")
        seed = _checked("seed", seed)
        if seed is None:
            seed = secrets.randbits(64)
        if cue is None:
            index = self._pattern_index(pattern_index, "pattern_index")
            fraction = _checked("corruption", corruption)
            cues = self._corrupt_spins(index, fraction, seed, 1)
            recall_seed = int(stream_seed(seed, 1))
        else:
            cues = self._parse_states(np.asarray(cue)[None], "cue")
            recall_seed = seed
        kernel_seeds = np.array([stream_seed(recall_seed, 0)], dtype=np.uint64)
        return self._recall(cues, mode, temperature, max_sweeps, kernel_seeds)[0]

    def recall_batch(self, cues=None, *, pattern_indices=None, corruption: float = 0.0, mode: str | None = None,
                     temperature: float = 0.0, max_sweeps: int = 100, seed: int | None = None,
                     offset: int = 0) -> list[RecallResult]:
        """Recall many cues in parallel: ``cues`` (rows or images), or ``pattern_indices`` of stored patterns
        each corrupted by ``corruption``.

        Cue ``k`` is cue ``offset + k`` of the whole batch and gets its own seed
        ``cue_seeds(seed, offset + k, ...)`` (reported as ``result.seed``, below
        2**53): its result is exactly ``recall(cue, seed=result.seed)`` or
        ``recall(pattern_index=i, corruption=corruption, seed=result.seed)``. For
        the classical rules that holds bit for bit whatever else is in the batch,
        so a batch split into slices (each with its ``offset``) gives the same
        results as the whole; the modern rule's batched matrix products may differ
        from a lone cue's in the last bits.
        """
        if (cues is None) == (pattern_indices is None):
            raise HopfieldError("cues", "give exactly one of 'cues' and 'pattern_indices'")
        seed = _checked("seed", seed)
        if seed is None:
            seed = secrets.randbits(64)
        if isinstance(offset, (bool, np.bool_)) or not isinstance(offset, (int, np.integer)) or offset < 0:
            raise HopfieldError("offset", f"must be a non-negative integer; got {offset!r}")
        if cues is not None:
            spins = self._parse_states(cues, "cues")
            seeds = cue_seeds(seed, offset, offset + len(spins))
            kernel_seeds = stream_seed(seeds, 0)
        else:
            indices = self._pattern_indices(pattern_indices)
            fraction = _checked("corruption", corruption)
            seeds = cue_seeds(seed, offset, offset + len(indices))
            spins = self._corrupt_rows(indices, fraction, stream_seed(seeds, 0))
            kernel_seeds = stream_seed(stream_seed(seeds, 1), 0)
        results = self._recall(spins, mode, temperature, max_sweeps, kernel_seeds)
        return [dataclasses.replace(result, seed=int(s)) for result, s in zip(results, seeds)]

    def check_recall(self, cues=None, *, pattern_indices=None, corruption: float = 0.0, mode: str | None = None,
                     temperature: float = 0.0, max_sweeps: int = 100, seed: int | None = None) -> int:
        """Check a :meth:`recall_batch` request without running it (the same errors, naming the field);
        returns the number of cues. A service checks a batch this way before cutting it into chunks.

        >>> HopfieldNetwork.from_patterns([[1, -1, 1, -1]]).check_recall(pattern_indices=[0, 0], corruption=0.25)
        2
        """
        if (cues is None) == (pattern_indices is None):
            raise HopfieldError("cues", "give exactly one of 'cues' and 'pattern_indices'")
        _checked("seed", seed)
        if cues is not None:
            count = len(self._parse_states(cues, "cues"))
        else:
            count = len(self._pattern_indices(pattern_indices))
            _checked("corruption", corruption)
        self._recall_settings(mode, temperature, max_sweeps)
        return count

    def basin_profile(self, pattern_index: int, corruptions: Sequence[float], *, trials: int = 100,
                      mode: str | None = None, seed: int = 0) -> np.ndarray:
        """Fraction of ``trials`` cues at each corruption level that recall pattern ``pattern_index``.

        A deeper valley shows as a wider basin: the fractions stay near 1 to
        higher corruption.
        """
        index = self._pattern_index(pattern_index, "pattern_index")
        streams = stream_seeds(seed, len(corruptions))
        fractions = []
        for level, level_seed in zip(corruptions, streams):
            fraction = _checked("corruption", level)
            cues = self._corrupt_spins(index, fraction, int(level_seed), trials)
            results = self._recall(cues, mode, 0.0, 100, stream_seeds(int(level_seed), trials))
            fractions.append(np.mean([r.overlaps[index] > MATCH_OVERLAP for r in results]))
        return np.array(fractions)

    # ---- persistence ------------------------------------------------------------------------

    def to_config(self) -> dict[str, Any]:
        """JSON-ready description; ``from_config`` re-learns the same weights exactly.

        Patterns are listed flattened in the network's encoding; networks built
        from weights also list ``weights`` and ``thresholds``.
        """
        config: dict[str, Any] = {
            "rule": self.rule,
            "num_neurons": self.num_neurons,
            "shape": list(self.shape) if self.shape else None,
            "encoding": self.encoding,
            "beta": self.beta,
            "patterns": self._encode(self._patterns).tolist(),
        }
        if self.rule == "weights":
            config["weights"] = self._weights.tolist()
            config["thresholds"] = self.thresholds.tolist()
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "HopfieldNetwork":
        shape = config.get("shape")
        patterns = np.array(config["patterns"], dtype=np.float64).reshape(-1, config["num_neurons"])
        if config["rule"] == "weights":
            return cls.from_weights(config["weights"], config.get("thresholds"),
                                    patterns=patterns if len(patterns) else None,
                                    encoding=config.get("encoding"), shape=shape)
        net = cls(config["num_neurons"], config["rule"], beta=config.get("beta", 1.0),
                  encoding=config.get("encoding"), shape=shape)
        return net.store(patterns) if len(patterns) else net

    def save(self, path: str | Path) -> None:
        """Write one ``.npz`` (arrays plus a JSON ``meta`` string; loadable without pickle)."""
        meta = {key: value for key, value in self.to_config().items() if key not in ("patterns", "weights")}
        meta.update(format="landscape.hopfield/1", symmetric=self.symmetric)
        arrays = {"meta": np.array(json.dumps(meta)), "patterns": self._patterns}
        if self._weights is not None:
            arrays["weights"] = self._weights
        with open(path, "wb") as handle:
            np.savez_compressed(handle, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> "HopfieldNetwork":
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"]))
            if meta.get("format") != "landscape.hopfield/1":
                raise HopfieldError("file", f"not a saved Hopfield network: format {meta.get('format')!r}")
            net = cls(meta["num_neurons"], "hebbian", beta=meta["beta"], encoding=meta["encoding"],
                      shape=meta["shape"])
            net.rule = meta["rule"]
            net.symmetric = meta["symmetric"]
            net._patterns = archive["patterns"].astype(np.int8)
            if "weights" in archive:
                net._weights = archive["weights"].astype(np.float64)
            if meta["rule"] == "weights":
                net._thresholds = np.array(meta["thresholds"], dtype=np.float64)
        return net

    # ---- internals ----------------------------------------------------------------------------

    def _set_shape(self, shape: tuple[int, ...], field: str) -> None:
        if len(shape) not in (1, 2) or min(shape) < 1:
            raise HopfieldError(field, f"patterns must be vectors or 2-D arrays; got shape {shape}")
        n = math.prod(shape)
        if n > MAX_NEURONS:
            raise HopfieldError(field, f"{n} neurons exceed the limit of {MAX_NEURONS}")
        self.shape, self.num_neurons = shape, n
        self._patterns = np.zeros((0, n), dtype=np.int8)

    def _matrix(self) -> np.ndarray:
        return np.zeros((self.num_neurons, self.num_neurons)) if self._weights is None else self._weights

    def _pattern_index(self, index, field: str) -> int:
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise HopfieldError(field, f"must be an integer; got {index!r}")
        if not 0 <= index < self.num_patterns:
            raise HopfieldError(field, f"must be in [0, {self.num_patterns - 1}]; got {index}")
        return int(index)

    def _parse_patterns(self, patterns) -> np.ndarray:
        """Validate a list of patterns; fix shape and encoding on first use; return int8 spins."""
        try:
            array = np.array(patterns)
        except ValueError:
            raise HopfieldError("patterns", "all patterns must have the same shape") from None
        if array.ndim not in (2, 3) or array.dtype == object:
            raise HopfieldError("patterns", "must be a list of equally shaped vectors or 2-D arrays "
                                            "(wrap a single pattern in a list)")
        if array.shape[0] == 0 or array.size == 0:
            raise HopfieldError("patterns", "at least one non-empty pattern is required")
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise HopfieldError("patterns", f"values must be numbers; got dtype {array.dtype}")
        shape = tuple(array.shape[1:])
        if self.shape is not None and shape not in (self.shape, (self.num_neurons,)):
            raise HopfieldError("patterns", f"each pattern must have shape {list(self.shape)}; got {list(shape)}")
        flat = array.reshape(array.shape[0], -1).astype(np.float64)
        has_minus = (flat == -1).any(axis=1)
        has_zero = (flat == 0).any(axis=1)
        bad = ~np.isin(flat, (-1.0, 0.0, 1.0)).all(axis=1) | (has_minus & has_zero)
        if bad.any():
            raise HopfieldError(f"patterns[{int(np.argmax(bad))}]", "values must all be -1/+1 or all 0/1")
        if has_minus.any() and has_zero.any():
            raise HopfieldError(f"patterns[{int(np.argmax(has_zero))}]", "patterns mix -1/+1 and 0/1 encodings")
        encoding = "binary" if has_zero.any() else "spin" if has_minus.any() else None
        if encoding is not None and self.encoding is not None and encoding != self.encoding:
            row = int(np.argmax(has_zero | has_minus))
            allowed = "-1/+1" if self.encoding == "spin" else "0/1"
            raise HopfieldError(f"patterns[{row}]", f"the network holds {allowed} patterns")
        if self.shape is None:
            self._set_shape(shape, "patterns")
        self._check_pattern_count(self.num_patterns + flat.shape[0])
        self.encoding = self.encoding or encoding or "spin"
        return np.where(flat > 0, 1, -1).astype(np.int8)

    def _check_pattern_count(self, total: int) -> None:
        limit = MAX_MODERN_PATTERNS if self.rule == "modern" else MAX_CLASSICAL_PATTERNS
        if total > limit:
            raise HopfieldError("patterns", f"{total} patterns exceed the {self.rule} limit of {limit}")
        if total * self.num_neurons > MAX_PATTERN_ENTRIES:
            raise HopfieldError("patterns", f"{total} patterns x {self.num_neurons} neurons exceed "
                                            f"the limit of {MAX_PATTERN_ENTRIES} entries")

    def _append_patterns(self, spins: np.ndarray) -> None:
        self._patterns = np.concatenate([self._patterns, spins])
        self._pattern_floats = None
        self._dynamics = None

    def _pattern_indices(self, indices) -> np.ndarray:
        """A non-empty list of stored pattern indices as int64 (``pattern_indices[k]`` names a bad one)."""
        array = np.asarray(indices)
        if array.ndim != 1 or array.size == 0:
            raise HopfieldError("pattern_indices", "must be a non-empty list of pattern indices")
        if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
            bad = next((k for k, v in enumerate(indices)
                        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer))), 0)
            raise HopfieldError(f"pattern_indices[{bad}]", f"must be an integer; got {indices[bad]!r}")
        wrong = (array < 0) | (array >= self.num_patterns)
        if wrong.any():
            bad = int(np.argmax(wrong))
            raise HopfieldError(f"pattern_indices[{bad}]",
                                f"must be in [0, {self.num_patterns - 1}]; got {int(array[bad])}")
        return array.astype(np.int64)

    def _parse_states(self, states, field: str) -> np.ndarray:
        """A batch of states (rows, or images of the network's shape) as spins.

        Classical networks need exact values of the network's encoding and give
        int8; the modern rule takes any finite reals (0 in spin encoding = unknown).
        """
        if self.num_neurons == 0:
            raise HopfieldError(field, "the network has no neurons yet: store patterns first")
        try:
            array = np.array(states, dtype=np.float64)
        except (TypeError, ValueError):
            raise HopfieldError(field, "must be numeric arrays of the pattern shape") from None
        if array.ndim >= 2 and tuple(array.shape[1:]) in (self.shape, (self.num_neurons,)):
            array = array.reshape(array.shape[0], self.num_neurons)
        else:
            raise HopfieldError(field, f"each state must have shape {list(self.shape)} or "
                                       f"[{self.num_neurons}]; got {list(array.shape[1:])}")
        if not np.isfinite(array).all():
            raise HopfieldError(field, "values must be finite")
        if self.encoding == "binary":
            array = 2.0 * array - 1.0
        if self.rule == "modern":
            return array
        if not (np.abs(array) == 1.0).all():
            allowed = "0/1" if self.encoding == "binary" else "-1/+1"
            raise HopfieldError(field, f"values must be {allowed} like the stored patterns")
        return array.astype(np.int8)

    def _encode(self, spins: np.ndarray) -> np.ndarray:
        if self.encoding == "binary":
            return ((spins + 1) // 2).astype(np.int8) if spins.dtype == np.int8 else (spins + 1.0) / 2.0
        return spins

    def _output(self, spins: np.ndarray) -> np.ndarray:
        return self._encode(spins).reshape(self.shape)

    def _corrupt_spins(self, index: int, fraction: float, seed: int | None, count: int) -> np.ndarray:
        n = self.num_neurons
        flips = int(round(fraction * n))
        generator = np.random.default_rng(None if seed is None else int(stream_seed(int(seed), 0)))
        cues = np.repeat(self._patterns[index][None], count, axis=0)
        for row in cues:
            row[generator.choice(n, size=flips, replace=False)] *= -1
        return cues

    def _corrupt_rows(self, indices: np.ndarray, fraction: float, generator_seeds: np.ndarray) -> np.ndarray:
        """Row ``k``: stored pattern ``indices[k]`` with its flips drawn by ``default_rng(generator_seeds[k])``."""
        n = self.num_neurons
        flips = int(round(fraction * n))
        cues = self._patterns[indices]
        if flips:
            for row, generator_seed in zip(cues, generator_seeds):
                row[np.random.default_rng(int(generator_seed)).choice(n, size=flips, replace=False)] *= -1
        return cues

    def _dynamics_arrays(self) -> tuple:
        """``(h, weights_t, patterns, factored, indptr, indices, data, keys, scale)`` for the kernels, cached
        until the patterns change.

        The kernels see ``scale * W``: ``scale = N`` for the Hebbian rule makes
        every weight an integer count, so fields are exact and ties (zero field:
        keep the state) are real ties, not rounding noise. ``weights_t`` is the
        contiguous dense ``scale * W^T``; the CSR is ``-scale * W^T`` (see the
        kernel module); ``keys`` hash states for cycle detection. ``factored``:
        the starting fields come from the int8 ``patterns`` (Hebbian counts are
        ``X^T X - P I``; cheaper while 2P < N, and exact, so the results do not
        depend on the route).
        """
        if self._dynamics is None:
            scale = float(self.num_neurons) if self.rule == "hebbian" else 1.0
            weights = np.rint(self._matrix() * scale) if self.rule == "hebbian" else self._matrix()
            weights_t = weights if self.symmetric else np.ascontiguousarray(weights.T)
            indptr, indices, data = _csr(-weights_t)
            keys = np.random.default_rng(0x5EED).integers(0, 2**64 - 1, self.num_neurons, dtype=np.uint64,
                                                          endpoint=True)
            patterns = np.ascontiguousarray(self._patterns, dtype=np.int8)
            factored = self.rule == "hebbian" and 2 * self.num_patterns < self.num_neurons
            self._dynamics = (-scale * self.thresholds, weights_t, patterns, factored, indptr, indices, data, keys,
                              scale)
        return self._dynamics

    def _recall(self, cues: np.ndarray, mode, temperature, max_sweeps, seeds: np.ndarray) -> list[RecallResult]:
        """Recall every row of ``cues`` (spins); row ``b`` runs on kernel stream ``rng_seed(seeds[b], 0)``."""
        mode, temperature, max_sweeps = self._recall_settings(mode, temperature, max_sweeps)
        if self.rule == "modern":
            return self._recall_modern(cues, max_sweeps)
        synchronous = mode == "sync"
        lyapunov = self.symmetric and mode == "async" and temperature == 0.0
        h, weights_t, patterns, factored, indptr, indices, data, keys, scale = self._dynamics_arrays()
        states = np.array(cues, dtype=np.int8, order="C")
        temperature_scaled = temperature * scale  # Glauber needs beta * dE unchanged by the scaling
        if len(states) == 1:
            trajectory, sweeps, done, cycle, counts = kernels.recall_one(
                states[0], weights_t, patterns, factored, h, 0.0, indptr, indices, data, temperature_scaled,
                max_sweeps, seeds[0], keys, synchronous)
            trajectory /= scale
            return [self._result(states[0], trajectory[: sweeps + 1], done, sweeps, cycle,
                                 counts / self.num_neurons, mode, temperature, lyapunov)]
        fields = kernels.batch_fields(states, weights_t, patterns, h, factored)  # f = -(W s + theta), scaled
        if synchronous:
            outcome = kernels.sync_recall(states, fields, h, 0.0, indptr, indices, data, temperature_scaled,
                                          max_sweeps, seeds, keys)
        else:
            outcome = (*kernels.async_recall(states, fields, h, 0.0, indptr, indices, data, temperature_scaled,
                                             max_sweeps, seeds), np.zeros(len(states), dtype=np.int64))
        trajectories = outcome[0] / scale
        return self._results(states, trajectories, *outcome[1:], mode, temperature, lyapunov)

    def _recall_settings(self, mode, temperature, max_sweeps) -> tuple[str, float, int]:
        """Checked ``(mode, temperature, max_sweeps)``; the mode defaults to async (classical) or sync (modern)."""
        mode = _checked("mode", mode)
        temperature = _checked("temperature", temperature)
        max_sweeps = _checked("max_sweeps", max_sweeps)
        if self.rule != "modern":
            return mode or "async", temperature, max_sweeps
        if mode == "async":
            raise HopfieldError("mode", "the modern rule updates the whole state at once: use 'sync'")
        if temperature != 0.0:
            raise HopfieldError("temperature", "the modern rule is deterministic; its sharpness is 'beta'")
        return "sync", temperature, max_sweeps

    def _recall_modern(self, cues: np.ndarray, max_sweeps: int) -> list[RecallResult]:
        if self.num_patterns == 0:
            raise HopfieldError("patterns", "the modern rule needs stored patterns before recall")
        x = self._pattern_matrix()
        state = cues.astype(np.float64)
        count = len(state)
        trajectories = np.full((count, max_sweeps + 1), np.nan)
        trajectories[:, 0] = self._modern_energy(state)
        sweeps = np.zeros(count, dtype=np.int64)
        converged = np.zeros(count, dtype=bool)
        active = np.arange(count)
        for step in range(1, max_sweeps + 1):
            logits = self.beta * state[active] @ x.T
            logits -= logits.max(axis=1, keepdims=True)
            weights = np.exp(logits)
            weights /= weights.sum(axis=1, keepdims=True)
            new = weights @ x
            change = np.abs(new - state[active]).max(axis=1)
            state[active] = new
            trajectories[active, step] = self._modern_energy(new)
            sweeps[active] = step
            done = change < MODERN_TOLERANCE
            converged[active[done]] = True
            active = active[~done]
            if active.size == 0:
                break
        return self._results(state, trajectories, sweeps, converged, np.zeros(count, dtype=np.int64),
                             "sync", 0.0, True)

    def _pattern_matrix(self) -> np.ndarray:
        """Stored patterns as float64 (cached until the next ``store``)."""
        if self._pattern_floats is None:
            self._pattern_floats = self._patterns.astype(np.float64)
        return self._pattern_floats

    def _modern_energy(self, state: np.ndarray) -> np.ndarray:
        x = self._pattern_matrix()
        if len(x) == 0:
            return 0.5 * np.einsum("bi,bi->b", state, state)
        logits = self.beta * state @ x.T
        top = logits.max(axis=1)
        lse = (top + np.log(np.exp(logits - top[:, None]).sum(axis=1))) / self.beta
        largest_norm_sq = float(np.max(np.einsum("pi,pi->p", x, x)))
        return (-lse + 0.5 * np.einsum("bi,bi->b", state, state) + math.log(len(x)) / self.beta
                + 0.5 * largest_norm_sq)

    def _result(self, state, trajectory, converged, sweeps, cycle, overlaps, mode, temperature,
                lyapunov) -> RecallResult:
        matched, nearest, kind = classify(overlaps)
        return RecallResult(
            state=self._output(state),
            energy_trajectory=trajectory,
            converged=bool(converged),
            num_sweeps=int(sweeps),
            overlaps=overlaps,
            matched_pattern=matched,
            nearest_pattern=nearest,
            kind=kind,
            cycle_length=int(cycle) if cycle else None,
            mode=mode,
            temperature=temperature,
            energy_is_lyapunov=lyapunov,
        )

    def _results(self, states, trajectories, sweeps, converged, cycles, mode, temperature,
                 lyapunov) -> list[RecallResult]:
        # classical states are +-1, so the overlaps are exact integers / N, as the one-cue path computes them
        overlaps = states.astype(np.float64) @ self._pattern_matrix().T / self.num_neurons
        return [self._result(states[b], trajectories[b, : sweeps[b] + 1].copy(), converged[b], sweeps[b], cycles[b],
                             overlaps[b], mode, temperature, lyapunov)
                for b in range(len(states))]


def storkey_increment(weights: np.ndarray, xi: np.ndarray) -> np.ndarray:
    """Storkey (1997) update for one +-1 pattern, vectorised.

    ``dW_ij = (xi_i xi_j - xi_i h_ji - h_ij xi_j) / N`` with
    ``h_ij = sum_{k != i, j} W_ik xi_k = h_i - W_ij xi_j`` (zero diagonal), which
    sums to ``(xi xi^T - xi h^T - h xi^T + W + W^T) / N`` with ``h = W xi``.
    """
    n = xi.shape[0]
    field = weights @ xi
    return (np.outer(xi, xi - field) - np.outer(field, xi) + weights + weights.T) / n


def projection_weights(spins: np.ndarray) -> np.ndarray:
    """Pseudo-inverse rule ``W = X^T (X X^T)^+ X`` (projector onto the patterns' span), zero diagonal.

    Computed from an SVD so repeated or linearly dependent patterns are fine.
    """
    x = spins.astype(np.float64)
    _, singular, vt = np.linalg.svd(x, full_matrices=False)
    rank = int(np.sum(singular > singular[0] * max(x.shape) * np.finfo(float).eps))
    basis = vt[:rank]
    weights = basis.T @ basis
    np.fill_diagonal(weights, 0.0)
    return weights
