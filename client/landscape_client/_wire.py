"""What users hold -> the service's wire format, and one request description shared by both clients.

>>> problem, labels = maxcut_problem([(0, 1), (1, 2, 2.5)])
>>> problem
{'type': 'maxcut', 'edges': [[0, 1, 1], [1, 2, 2.5]]}
>>> qubo_problem({(0, 0): -1, (0, 1): 2})[0]["quadratic"]
[[0, 1, 2]]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

#: str(wire label) -> the caller's label, used to give answers back in the caller's labels
LabelMap = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Request:
    """One HTTP call and how to turn its JSON into a result (``parse(data, client)``)."""

    method: str
    path: str
    parse: Callable[[Any, Any], Any]
    json: Any = None
    params: dict[str, Any] | None = None
    #: statuses that are answers, not errors (health answers 503 while warming up)
    accept: tuple[int, ...] = ()

    @property
    def idempotent(self) -> bool:
        return self.method in ("GET", "DELETE")


def jsonable(value: Any) -> Any:
    """Plain JSON types from numpy arrays/scalars, tuples and sets, recursively."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, Mapping):
        return {_key(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return jsonable(value.tolist())
    if isinstance(value, Path):
        return str(value)
    return value


def _key(key: Any) -> Any:
    key = key.item() if hasattr(key, "item") and hasattr(key, "dtype") else key
    return key if isinstance(key, str) else str(key)


def _plain(label: Any) -> Any:
    return label.item() if hasattr(label, "item") and hasattr(label, "dtype") else label


def wire_labels(variables: Iterable[Any]) -> tuple[dict[Any, Any], LabelMap | None]:
    """Labels the wire can carry: ints and strings stay (if their text forms are distinct), anything else
    (tuples, floats...) is replaced by its index. Returns {label: wire label} and the map back (or None)."""
    variables = list(dict.fromkeys(_plain(v) for v in variables))
    simple = all(isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)) for v in variables)
    if simple and len({str(v) for v in variables}) == len(variables):
        return {v: v for v in variables}, {str(v): v for v in variables}
    return {v: i for i, v in enumerate(variables)}, {str(i): v for i, v in enumerate(variables)}


def maxcut_problem(graph: Any) -> tuple[dict, LabelMap]:
    """A networkx graph (weights from the ``weight`` attribute, default 1) or ``[(u, v[, w]), ...]``.

    Only edges travel: isolated vertices are on neither side of the answer.
    """
    if hasattr(graph, "edges") and callable(graph.edges) and hasattr(graph, "nodes"):
        rows = [(u, v, data.get("weight", 1)) for u, v, data in graph.edges(data=True)]
    else:
        rows = []
        for edge in graph.tolist() if hasattr(graph, "tolist") else graph:
            edge = list(edge) if isinstance(edge, (list, tuple)) else edge
            if not isinstance(edge, list) or len(edge) not in (2, 3):
                raise TypeError(f"an edge is (u, v) or (u, v, weight); got {edge!r}")
            rows.append((edge[0], edge[1], edge[2] if len(edge) == 3 else 1))
    mapping, back = wire_labels(label for u, v, _ in rows for label in (u, v))
    edges = [[mapping[_plain(u)], mapping[_plain(v)], jsonable(w)] for u, v, w in rows]
    return {"type": "maxcut", "edges": edges}, back


def tsp_problem(coordinates: Any = None, distance_matrix: Any = None, tsplib_path: str | Path | None = None,
                tsplib: str | None = None) -> dict:
    """Exactly one of city coordinates, a distance matrix, a TSPLIB95 file path or its text."""
    given = {"coordinates": coordinates, "distance_matrix": distance_matrix, "tsplib_path": tsplib_path,
             "tsplib": tsplib}
    chosen = [name for name, value in given.items() if value is not None]
    if len(chosen) != 1:
        raise TypeError("give exactly one of coordinates, distance_matrix, tsplib_path or tsplib")
    name = chosen[0]
    if name == "tsplib_path":
        return {"type": "tsp", "tsplib": Path(tsplib_path).read_text()}
    return {"type": "tsp", name: jsonable(given[name])}


def partition_problem(numbers: Any) -> dict:
    return {"type": "partition", "numbers": jsonable(numbers)}


def _is_bqm(value: Any) -> bool:
    return hasattr(value, "to_serializable") and hasattr(value, "vartype") and hasattr(value, "linear")


def bqm_problem(bqm: Any) -> tuple[dict, LabelMap | None]:
    """A dimod BQM as ``{"type": "qubo"|"ising", "bqm": ...}`` (relabelled to ints if its labels need it)."""
    kind = "qubo" if bqm.vartype.name == "BINARY" else "ising"
    mapping, back = wire_labels(bqm.variables)
    if any(k != v for k, v in mapping.items()):
        bqm = bqm.relabel_variables(mapping, inplace=False)
    return {"type": kind, "bqm": bqm.to_serializable()}, back


def _model_problem(kind: str, linear: Mapping, quadratic: Mapping, offset: float) -> tuple[dict, LabelMap]:
    variables = [*linear, *(label for pair in quadratic for label in pair)]
    mapping, back = wire_labels(variables)
    wire_linear = {str(mapping[_plain(v)]): jsonable(bias) for v, bias in linear.items()}
    wire_quadratic = [[mapping[_plain(u)], mapping[_plain(v)], jsonable(bias)] for (u, v), bias in quadratic.items()]
    problem = {"type": kind, "linear": wire_linear, "quadratic": wire_quadratic}
    if offset:
        problem["offset"] = jsonable(offset)
    return problem, back


def qubo_problem(Q: Any, offset: float = 0.0) -> tuple[dict, LabelMap | None]:
    """``Q = {(u, v): bias}`` (``(u, u)`` entries are linear) or a dimod BQM."""
    if _is_bqm(Q):
        return bqm_problem(Q)
    linear: dict = {}
    quadratic: dict = {}
    for (u, v), bias in Q.items():
        if _plain(u) == _plain(v):
            linear[u] = linear.get(u, 0) + bias
        else:
            quadratic[(u, v)] = bias
    return _model_problem("qubo", linear, quadratic, offset)


def ising_problem(h: Any, J: Mapping, offset: float = 0.0) -> tuple[dict, LabelMap | None]:
    """``h`` as {v: bias} or a sequence (index -> bias), ``J = {(u, v): bias}``."""
    linear = dict(h) if isinstance(h, Mapping) else dict(enumerate(jsonable(h)))
    return _model_problem("ising", linear, dict(J), offset)


def relabel_answer(data: dict, labels: LabelMap | None) -> dict:
    """Give a solve result's answer and samples back in the caller's labels."""
    if not labels or not isinstance(data.get("answer"), dict):
        return data
    answer = dict(data["answer"])
    if "sides" in answer:
        answer["sides"] = [[labels.get(str(v), v) for v in side] for side in answer["sides"]]
    if "sample" in answer:
        answer["sample"] = {labels.get(str(v), v): x for v, x in answer["sample"].items()}
    samples = data.get("samples")
    if isinstance(samples, dict) and isinstance(samples.get("variable_labels"), list):
        samples = {**samples, "variable_labels": [labels.get(str(v), v) for v in samples["variable_labels"]]}
    return {**data, "answer": answer, "samples": samples}
