"""Raw QUBO and Ising models given directly, from dicts, dimod JSON, COO text or Beasley files.

:class:`QuboProblem` (``kind = "qubo"``, BINARY) and :class:`IsingProblem`
(``kind = "ising"``, SPIN) share :class:`RawModel`. Calling a constructor on
``RawModel`` returns whichever of the two the vartype calls for; calling it on
a subclass fixes the vartype and rejects input that says otherwise.

>>> model = RawModel.from_dict({"linear": {"a": -1}, "quadratic": [["a", "b", 2]],
...                             "vartype": "BINARY"})
>>> model.kind, model.decode({"a": 1, "b": 0}).energy
('qubo', -1.0)
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import ClassVar

import dimod
import numpy as np

from problems._checks import check_magnitude, real_number, vertex_label
from problems._sample import pick_sample, read_values
from problems.base import Answer, Problem
from problems.errors import ProblemError
from problems.formats import parse_coo, parse_indexed_triples, read_text

_CANONICAL_INT = re.compile(r"0|-?[1-9][0-9]*")
_DICT_KEYS = ("linear", "quadratic", "offset", "vartype")
_VARTYPE_NAMES = {"BINARY": dimod.BINARY, "QUBO": dimod.BINARY, "SPIN": dimod.SPIN, "ISING": dimod.SPIN}


@dataclasses.dataclass
class ModelAnswer(Answer):
    """A sample of the model and its energy (``objective == energy``, minimised)."""

    sample: dict
    energy: float


class RawModel(Problem):
    """A binary quadratic model given as such; see the module docstring.

    Input rules for every format: biases are finite reals (not bools), a model
    has at least one variable, an interaction of a variable with itself is an
    error, and repeated interactions (``(u, v)`` and ``(v, u)`` included) are
    summed, as dimod does. The ``|bias|`` values and ``|offset|`` must add up
    to at most ``1e150`` (:data:`problems._checks.MAX_MAGNITUDE`, so energies
    stay finite): one entry over it names that entry, a sum over it names
    ``model``. :meth:`from_dict` counts the entries as given (repeats that
    cancel still count); the other formats count the summed model.
    """

    vartype: ClassVar[dimod.Vartype | None] = None

    def __init__(self, bqm: dimod.BinaryQuadraticModel):
        if type(self) is RawModel:
            raise TypeError("use QuboProblem, IsingProblem or a RawModel.from_* constructor")
        if not isinstance(bqm, dimod.BinaryQuadraticModel):
            raise ProblemError("model", f"expected a dimod BQM, got {type(bqm).__name__}")
        if bqm.vartype is not self.vartype:
            raise ProblemError(
                "vartype", f"a {self.kind} model is {self.vartype.name}, got {bqm.vartype.name}"
            )
        _check_coefficients(bqm)
        self._bqm = bqm.copy()

    @classmethod
    def from_bqm(cls, bqm: dimod.BinaryQuadraticModel) -> RawModel:
        """Wrap a dimod BQM (copied, checked by the input rules of the class docstring)."""
        if not isinstance(bqm, dimod.BinaryQuadraticModel):
            raise ProblemError("model", f"expected a dimod BQM, got {type(bqm).__name__}")
        return cls._target(bqm.vartype)(bqm)

    @classmethod
    def from_dict(cls, data: Mapping, vartype=None) -> RawModel:
        """From ``{"linear": {v: bias}, "quadratic": ..., "offset": x, "vartype": ...}``.

        ``quadratic`` is a list of ``[u, v, bias]`` triples or a mapping from
        ``"u,v"`` strings or ``(u, v)`` tuples to biases. Labels are ints or
        strings; a string spelling a canonical integer (``"3"``, not ``"03"``)
        is read as that int, since JSON object keys are always strings. The
        vartype comes from the class, the ``vartype`` argument or the dict
        (``"BINARY"``/``"SPIN"``, or ``"qubo"``/``"ising"``).

        >>> IsingProblem.from_dict({"linear": {"0": 1}, "quadratic": {"0,1": -1}}).to_bqm()
        BinaryQuadraticModel({0: 1.0, 1: 0.0}, {(1, 0): -1.0}, 0.0, 'SPIN')
        """
        if not isinstance(data, Mapping):
            raise ProblemError("model", f"expected an object, got {type(data).__name__}")
        for key in data:
            if key not in _DICT_KEYS:
                raise ProblemError(str(key), f"unknown field; expected some of {', '.join(_DICT_KEYS)}")
        target = cls._target(_agree(_parse_vartype(vartype), _parse_vartype(data.get("vartype"))))
        index: dict = {}
        linear_biases, fields = [], []
        linear = data.get("linear") or {}
        if not isinstance(linear, Mapping):
            raise ProblemError("linear", f"expected an object variable -> bias, got {type(linear).__name__}")
        for var, bias in linear.items():
            field = f"linear[{var!r}]"
            label = _label(var, field)
            if label in index:
                raise ProblemError(field, f"variable {label!r} appears twice")
            index[label] = len(index)
            linear_biases.append(real_number(bias, field))
            fields.append(field)
        rows, cols, biases = [], [], []
        for field, u, v, bias in _quadratic_entries(data.get("quadratic") or []):
            u, v = _label(u, field), _label(v, field)
            if u == v:
                raise ProblemError(field, f"self-interaction of {u!r}; put it in linear")
            rows.append(index.setdefault(u, len(index)))
            cols.append(index.setdefault(v, len(index)))
            biases.append(real_number(bias, field))
            fields.append(field)
        if not index:
            raise ProblemError("linear", "the model has no variables")
        offset = real_number(data.get("offset", 0.0), "offset")
        fields.append("offset")
        # checked as given, so the entry at fault is named as given (repeats are then summed safely)
        check_magnitude(linear_biases + biases + [offset], "model", fields.__getitem__, "biases and offset")
        linear_array = np.zeros(len(index))
        linear_array[: len(linear_biases)] = linear_biases
        bqm = dimod.BinaryQuadraticModel.from_numpy_vectors(
            linear_array,
            (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(biases)),
            offset,
            target.vartype,
            variable_order=list(index),
        )
        return target(bqm)

    @classmethod
    def from_serializable(cls, obj) -> RawModel:
        """From dimod's BQM JSON (``bqm.to_serializable()``, as a dict or JSON text)."""
        if isinstance(obj, (str, bytes)):
            try:
                obj = json.loads(obj)
            except (ValueError, RecursionError) as err:
                raise ProblemError("model", f"not valid JSON: {err}") from None
        try:
            bqm = dimod.BinaryQuadraticModel.from_serializable(obj)
        except Exception as err:  # dimod raises many kinds for malformed input
            message = f"not a dimod BQM serialization: {type(err).__name__}: {err}"
            raise ProblemError("model", message) from None
        return cls.from_bqm(bqm)

    @classmethod
    def from_coo(cls, text_or_path, vartype=None) -> RawModel:
        """From COO text (``i j bias`` lines, ``i i bias`` linear; a ``str`` is always text).

        The vartype comes from the class, the argument or a ``# vartype=...`` line.

        >>> RawModel.from_coo("# vartype=SPIN\\n0 0 1.5\\n0 1 -1\\n").kind
        'ising'
        """
        text = text_or_path if isinstance(text_or_path, str) else read_text(text_or_path)
        header, rows, cols, biases = parse_coo(text)
        target = cls._target(_agree(_parse_vartype(vartype), _parse_vartype(header)))
        diagonal = rows == cols
        labels, positions = np.unique(np.concatenate([rows, cols]), return_inverse=True)
        heads, tails = positions[: len(rows)], positions[len(rows) :]
        linear = np.bincount(heads[diagonal], weights=biases[diagonal], minlength=len(labels))
        off = ~diagonal
        bqm = dimod.BinaryQuadraticModel.from_numpy_vectors(
            linear,
            (heads[off], tails[off], biases[off]),
            0.0,
            target.vartype,
            variable_order=labels.tolist(),
        )
        return target(bqm)

    @classmethod
    def from_beasley(cls, path_or_text) -> QuboProblem:
        """From a Beasley/Biq Mac ``.sparse`` file: header ``N E``, then ``i j q`` (1-based).

        The entries are the upper triangle of a symmetric matrix ``Q``, and the
        energy (minimised) is ``x^T Q x = sum_i q_ii x_i + 2 sum_{i<j} q_ij x_i x_j``
        over ``x`` in {0, 1}. Variables are labelled ``1..N``; an entry given
        twice (as ``i j`` and ``j i`` too) is an error, as it would be ambiguous.
        A ``str`` with a newline is the text, otherwise a path.

        >>> RawModel.from_beasley("2 3\\n1 1 -3\\n2 2 1\\n1 2 1\\n").to_bqm()
        BinaryQuadraticModel({1: -3.0, 2: 1.0}, {(2, 1): 2.0}, 0.0, 'BINARY')
        """
        if cls is IsingProblem:
            raise ProblemError("vartype", "Beasley files are QUBOs (BINARY)")
        text = read_text(path_or_text)
        num_nodes, rows, cols, weights, lines = parse_indexed_triples(text, allow_diagonal=True)
        low, high = np.minimum(rows, cols), np.maximum(rows, cols)
        _, first, counts = np.unique(low * (num_nodes + 1) + high, return_index=True, return_counts=True)
        if (counts > 1).any():
            seen = np.zeros(len(rows), dtype=bool)
            seen[first] = True
            repeat = int(np.flatnonzero(~seen)[0])
            pair = (int(rows[repeat]), int(cols[repeat]))
            raise ProblemError(f"line {lines[repeat]}", f"entry {pair} given twice")
        diagonal = rows == cols
        linear = np.zeros(num_nodes)
        linear[rows[diagonal] - 1] = weights[diagonal]
        off = ~diagonal
        bqm = dimod.BinaryQuadraticModel.from_numpy_vectors(
            linear,
            (rows[off] - 1, cols[off] - 1, 2.0 * weights[off]),
            0.0,
            dimod.BINARY,
            variable_order=range(1, num_nodes + 1),
        )
        return QuboProblem(bqm)

    @classmethod
    def _target(cls, vartype) -> type[RawModel]:
        if cls.vartype is not None:
            if vartype is not None and vartype is not cls.vartype:
                message = f"a {cls.kind} model is {cls.vartype.name}, got {vartype.name}"
                raise ProblemError("vartype", message)
            return cls
        if vartype is None:
            raise ProblemError("vartype", "missing: give BINARY (qubo) or SPIN (ising)")
        return QuboProblem if vartype is dimod.BINARY else IsingProblem

    @property
    def variables(self) -> list:
        return list(self._bqm.variables)

    def to_bqm(self) -> dimod.BinaryQuadraticModel:
        """A copy of the model."""
        return self._bqm.copy()

    def decode(self, sample_or_sampleset) -> ModelAnswer:
        """The sample (or a SampleSet's best) with its energy under this model."""
        variables = self.variables
        values = read_values(pick_sample(sample_or_sampleset), variables, set(self.vartype.value))
        energy = float(self._bqm.energies((values[np.newaxis, :], variables))[0])
        return ModelAnswer(
            feasible=True,
            objective=energy,
            sample=dict(zip(variables, values.tolist())),
            energy=energy,
        )


class QuboProblem(RawModel):
    """A QUBO: BINARY variables, energy ``sum_i a_i x_i + sum_{i<j} b_ij x_i x_j + c``."""

    kind = "qubo"
    vartype = dimod.BINARY


class IsingProblem(RawModel):
    """An Ising model: SPIN variables, energy ``sum_i h_i s_i + sum_{i<j} J_ij s_i s_j + c``."""

    kind = "ising"
    vartype = dimod.SPIN


def _parse_vartype(value):
    if value is None:
        return None
    if isinstance(value, dimod.Vartype):
        return value
    if isinstance(value, str) and value.upper() in _VARTYPE_NAMES:
        return _VARTYPE_NAMES[value.upper()]
    if isinstance(value, (set, frozenset)) and value in ({0, 1}, {-1, 1}):
        return dimod.BINARY if value == {0, 1} else dimod.SPIN
    raise ProblemError("vartype", f"expected BINARY or SPIN, got {value!r}")


def _agree(first, second):
    if first is not None and second is not None and first is not second:
        raise ProblemError("vartype", f"given as {first.name} and as {second.name}")
    return first if first is not None else second


def _label(value, field: str):
    if isinstance(value, str) and _CANONICAL_INT.fullmatch(value):
        return int(value)
    return vertex_label(value, field)


def _quadratic_entries(quadratic):
    """Yield ``(field, u, v, bias)`` from a list of triples or a mapping of pairs."""
    if isinstance(quadratic, Mapping):
        for key, bias in quadratic.items():
            field = f"quadratic[{key!r}]"
            if isinstance(key, str):
                parts = [part.strip() for part in key.split(",")]
            elif isinstance(key, tuple):
                parts = list(key)
            else:
                raise ProblemError(field, "a key is 'u,v' or a (u, v) tuple")
            if len(parts) != 2:
                raise ProblemError(field, "a key is 'u,v' or a (u, v) tuple")
            yield field, parts[0], parts[1], bias
    elif isinstance(quadratic, (list, tuple)):
        for k, entry in enumerate(quadratic):
            field = f"quadratic[{k}]"
            if not isinstance(entry, (list, tuple)) or len(entry) != 3:
                raise ProblemError(field, f"expected [u, v, bias], got {entry!r}")
            yield field, entry[0], entry[1], entry[2]
    else:
        kind = type(quadratic).__name__
        raise ProblemError("quadratic", f"expected a list of [u, v, bias] or an object, got {kind}")


def _check_coefficients(bqm: dimod.BinaryQuadraticModel) -> None:
    """Non-empty, finite, and within :data:`problems._checks.MAX_MAGNITUDE` (the sum charged to ``model``)."""
    if bqm.num_variables == 0:
        raise ProblemError("linear", "the model has no variables")
    linear, (rows, cols, quadratic), offset = bqm.to_numpy_vectors()
    variables = list(bqm.variables)

    def element(k: int) -> str:
        if k < len(linear):
            return f"linear[{variables[k]!r}]"
        k -= len(linear)
        if k < len(quadratic):
            return f"quadratic[{(variables[rows[k]], variables[cols[k]])!r}]"
        return "offset"

    check_magnitude(np.concatenate([linear, quadratic, [offset]]), "model", element, "biases and offset")
