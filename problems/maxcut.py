"""Weighted Max-Cut as an Ising model.

The cut of a spin assignment ``s`` is the weight of the edges whose ends differ.
With ``E(s) = sum_{ij} w_ij s_i s_j`` (a SPIN BQM with no fields, offset 0),
``cut(s) = (W - E(s)) / 2`` where ``W`` is the total weight, so the ground
state of the BQM is a maximum cut (also with negative weights).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

import dimod
import numpy as np

from problems._checks import check_magnitude, real_number, vertex_label
from problems._sample import pick_sample, read_spins
from problems.base import Answer, Problem
from problems.errors import ProblemError
from problems.formats import MAX_EXACT_INT, parse_indexed_triples, read_text


@dataclasses.dataclass
class MaxCutAnswer(Answer):
    """A cut: ``sides[0]`` holds the vertices with spin -1, ``sides[1]`` those with +1."""

    cut: float
    sides: list
    energy: float


class MaxCut(Problem):
    """Max-Cut of an undirected weighted graph.

    ``edges`` holds ``(u, v)`` or ``(u, v, w)`` tuples or lists (``w`` defaults to 1,
    any finite real, negative allowed), or is an ``(m, 2)``/``(m, 3)`` numeric
    numpy array with integer-valued vertices (checked vectorised, fastest).
    Vertices are ints, strings or tuples of those; ``nodes`` adds vertices
    without edges (they get a spin but never change the cut). Duplicate edges,
    ``(u, v)`` and ``(v, u)`` included, are merged by summing their weights, as
    for a networkx multigraph. Self-loops, NaN/inf/bool/non-numeric weights,
    wrong arity, edgeless graphs and weights over ``1e150`` in magnitude raise
    :class:`ProblemError` naming ``edges[k]``; a sum of ``|w|`` over the given
    edges (before merging) over ``1e150`` names ``edges``. That bound
    (:data:`problems._checks.MAX_MAGNITUDE`) keeps cuts and energies finite.

    >>> problem = MaxCut([(0, 1), (1, 2, 2.0), (2, 0)])
    >>> problem.total_weight
    4.0
    >>> problem.decode({0: -1, 1: 1, 2: -1}).cut
    3.0
    """

    kind = "maxcut"

    def __init__(self, edges: Iterable, nodes: Iterable = ()):
        index: dict = {}
        for k, node in enumerate(_iterate(nodes, "nodes")):
            index.setdefault(vertex_label(node, f"nodes[{k}]"), len(index))
        if isinstance(edges, np.ndarray) and edges.dtype.kind in "iuf":
            self._set_graph(*_edges_from_array(edges, index))
            return
        heads, tails, weights = [], [], []
        for k, edge in enumerate(_iterate(edges, "edges")):
            field = f"edges[{k}]"
            if not isinstance(edge, _EDGE_TYPES) or len(edge) not in (2, 3):
                raise ProblemError(field, f"an edge is (u, v) or (u, v, w), got {edge!r}")
            u, v = vertex_label(edge[0], field), vertex_label(edge[1], field)
            if u == v:
                raise ProblemError(field, f"self-loop on vertex {u!r}")
            heads.append(index.setdefault(u, len(index)))
            tails.append(index.setdefault(v, len(index)))
            weights.append(1.0 if len(edge) == 2 else real_number(edge[2], field))
        self._set_graph(
            list(index),
            np.array(heads, dtype=np.int64),
            np.array(tails, dtype=np.int64),
            np.array(weights, dtype=np.float64),
        )

    @classmethod
    def from_networkx(cls, graph, weight: str | None = "weight") -> MaxCut:
        """Max-Cut of a networkx graph; ``weight=None`` gives every edge weight 1.

        Multigraph edges and both directions of a digraph are summed.

        >>> import networkx as nx
        >>> MaxCut.from_networkx(nx.cycle_graph(4)).total_weight
        4.0
        """
        try:
            nodes = list(graph.nodes)
            if weight is None:
                edges = list(graph.edges())
            else:
                edges = list(graph.edges(data=weight, default=1))
        except AttributeError:
            raise ProblemError("graph", f"expected a networkx graph, got {type(graph).__name__}") from None
        return cls(edges, nodes=nodes)

    @classmethod
    def from_gset(cls, path_or_text) -> MaxCut:
        """Max-Cut of a G-set (rudy) file: header ``N E``, then ``i j w`` lines.

        Vertices are labelled ``1..N`` as in the file; all ``N`` are kept even
        without edges. A ``str`` with a newline is the text, otherwise a path.

        >>> MaxCut.from_gset("3 2\\n1 2 1\\n2 3 -1\\n").nodes
        [1, 2, 3]
        """
        num_nodes, heads, tails, weights, lines = parse_indexed_triples(read_text(path_or_text))
        problem = cls.__new__(cls)
        problem._set_graph(list(range(1, num_nodes + 1)), heads - 1, tails - 1, weights,
                           lambda k: f"line {lines[k]}")
        return problem

    def _set_graph(self, nodes: list, heads, tails, weights, element=lambda k: f"edges[{k}]") -> None:
        """Merge duplicate edges; ``element(k)`` names the input field of weight ``k``."""
        if len(weights) == 0:
            raise ProblemError("edges", "the graph has no edges")
        check_magnitude(weights, "edges", element, "weights")
        num_nodes = len(nodes)
        low, high = np.minimum(heads, tails), np.maximum(heads, tails)
        pairs, slot = np.unique(low * num_nodes + high, return_inverse=True)
        self.nodes = nodes
        self._heads, self._tails = pairs // num_nodes, pairs % num_nodes
        self._weights = np.bincount(slot, weights=weights, minlength=len(pairs))
        self.total_weight = float(self._weights.sum())

    @property
    def edges(self) -> list[tuple]:
        """The merged edges as ``(u, v, w)``."""
        return [
            (self.nodes[u], self.nodes[v], float(w))
            for u, v, w in zip(self._heads.tolist(), self._tails.tolist(), self._weights)
        ]

    @property
    def num_nodes(self) -> int:
        return len(self.nodes)

    @property
    def num_edges(self) -> int:
        return len(self._weights)

    def to_bqm(self) -> dimod.BinaryQuadraticModel:
        """SPIN BQM ``sum w_ij s_i s_j`` over all vertices, in ``nodes`` order."""
        return dimod.BinaryQuadraticModel.from_numpy_vectors(
            np.zeros(self.num_nodes),
            (self._heads, self._tails, self._weights),
            0.0,
            dimod.SPIN,
            variable_order=self.nodes,
        )

    def decode(self, sample_or_sampleset) -> MaxCutAnswer:
        """The cut of a sample (spins, or binary 0/1 read as -1/+1) or a SampleSet's best."""
        spins = read_spins(pick_sample(sample_or_sampleset), self.nodes)
        products = spins[self._heads].astype(np.int64) * spins[self._tails]
        energy = float(self._weights @ products)
        cut = float(self._weights[products < 0].sum())
        return MaxCutAnswer(
            feasible=True,
            objective=cut,
            cut=cut,
            sides=[
                [node for node, s in zip(self.nodes, spins.tolist()) if s < 0],
                [node for node, s in zip(self.nodes, spins.tolist()) if s > 0],
            ],
            energy=energy,
        )

    def cut_value(self, sides_or_sample) -> float:
        """Cut weight straight from the edge list, for two sides or a sample.

        ``sides_or_sample`` is a mapping vertex -> spin/bit, or two collections
        of vertices that together hold every vertex exactly once.

        >>> MaxCut([(0, 1), (1, 2)]).cut_value([[0, 2], [1]])
        2.0
        """
        if isinstance(sides_or_sample, Mapping):
            side_of = dict(zip(self.nodes, read_spins(sides_or_sample, self.nodes).tolist()))
        else:
            side_of = _side_map(sides_or_sample, self.nodes)
        return float(sum(w for u, v, w in self.edges if side_of[u] != side_of[v]))


_EDGE_TYPES = (tuple, list, np.ndarray)


def _edges_from_array(edges: np.ndarray, index: dict):
    """Vectorised checks for an (m, 2) or (m, 3) numeric array of integer vertices."""
    if edges.ndim != 2 or edges.shape[1] not in (2, 3):
        raise ProblemError("edges", f"an edge array has shape (m, 2) or (m, 3), got {edges.shape}")
    ends = edges[:, :2]
    weights = edges[:, 2].astype(np.float64) if edges.shape[1] == 3 else np.ones(len(edges))
    inexact = np.zeros(len(edges), dtype=bool)
    if edges.dtype.kind in "iu" and edges.shape[1] == 3:
        inexact = np.abs(edges[:, 2]) > MAX_EXACT_INT
    faults = [
        (~np.isfinite(ends).all(axis=1) | (ends != np.round(ends)).any(axis=1), "vertices must be integers"),
        (ends[:, 0] == ends[:, 1], "self-loop"),
        (inexact, "weight is too large to be exact in float64"),
    ]
    for bad, message in faults:
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ProblemError(f"edges[{k}]", f"{message}, got {edges[k].tolist()}")
    labels, positions = np.unique(ends.astype(np.int64), return_inverse=True)
    for label in labels.tolist():
        index.setdefault(label, len(index))
    to_index = np.array([index[label] for label in labels.tolist()], dtype=np.int64)
    positions = to_index[positions.reshape(ends.shape)]
    return list(index), positions[:, 0], positions[:, 1], weights


def _iterate(values, field: str):
    if isinstance(values, (str, bytes, Mapping)):
        raise ProblemError(field, f"expected a list, got {type(values).__name__}")
    try:
        return iter(values)
    except TypeError:
        raise ProblemError(field, f"expected a list, got {type(values).__name__}") from None


def _side_map(sides, nodes: list) -> dict:
    sides = list(_iterate(sides, "sides"))
    if len(sides) != 2:
        raise ProblemError("sides", f"expected two sides, got {len(sides)}")
    known = set(nodes)
    side_of = {}
    for side, members in enumerate(sides):
        for node in _iterate(members, f"sides[{side}]"):
            if node not in known:
                raise ProblemError(f"sides[{side}]", f"unknown vertex {node!r}")
            if node in side_of:
                raise ProblemError(f"sides[{side}]", f"vertex {node!r} is listed twice")
            side_of[node] = side
    if len(side_of) != len(nodes):
        missing = next(node for node in nodes if node not in side_of)
        raise ProblemError("sides", f"vertex {missing!r} is on neither side")
    return side_of
