"""What every problem class shares: compile to a BQM, decode a sample back.

A problem holds its instance, compiles it with :meth:`Problem.to_bqm` and turns a
sample (or the best sample of a SampleSet) into a domain answer with
:meth:`Problem.decode`. Answers are dataclasses with ``feasible`` and
``objective`` and serialise with :meth:`Answer.to_dict`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import dimod
import numpy as np


@dataclasses.dataclass
class Answer:
    """Base for decoded answers. ``objective`` is the problem's own measure."""

    feasible: bool
    objective: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (numpy scalars converted)."""
        return _jsonable(dataclasses.asdict(self))


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


class Problem:
    """Abstract problem: subclasses set ``kind`` and implement the two methods."""

    kind: ClassVar[str] = ""

    def to_bqm(self) -> dimod.BinaryQuadraticModel:
        raise NotImplementedError

    def decode(self, sample_or_sampleset) -> Answer:
        raise NotImplementedError


def best_sample(sample_or_sampleset) -> Mapping:
    """The lowest-energy sample of a SampleSet, or the mapping itself.

    >>> ss = dimod.SampleSet.from_samples([{'a': 1}, {'a': -1}], 'SPIN', [1.0, -1.0])
    >>> {k: int(v) for k, v in best_sample(ss).items()}
    {'a': -1}
    """
    if isinstance(sample_or_sampleset, dimod.SampleSet):
        if len(sample_or_sampleset) == 0:
            raise ValueError("cannot decode an empty SampleSet")
        return sample_or_sampleset.first.sample
    if isinstance(sample_or_sampleset, Mapping):
        return sample_or_sampleset
    raise TypeError(
        f"expected a dimod.SampleSet or a mapping of variable -> value, "
        f"got {type(sample_or_sampleset).__name__}"
    )
