"""Declarative parameter validation: one table per sampler, one error shape.

Each sampler declares its parameters once as :class:`Param` entries; the same
table drives validation, the defaults, ``Sampler.parameters`` and the limits
the service publishes at ``GET /v1/solvers``.

>>> spec = {"num_reads": Param(int, low=1, high=10_000, default=1)}
>>> validate(spec, {"num_reads": 4})
{'num_reads': 4}
>>> validate(spec, {"num_reads": 0})
Traceback (most recent call last):
...
ValueError: The 'num_reads' parameter must be an int in [1, 10000]. Got 0 instead.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from typing import Any

_TYPE_WORD = {int: "an int", float: "a float", str: "a str", bool: "a bool"}


@dataclasses.dataclass(frozen=True)
class Param:
    """One parameter: its type, inclusive bounds or choices, and default.

    ``kind`` is ``int``, ``float``, ``str``, ``bool`` or ``object`` (checked by
    the sampler itself, e.g. arrays). ``None`` is always accepted and means
    "use the default / derive it".
    """

    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple | None = None
    default: Any = None
    description: str = ""

    def describe(self) -> str:
        word = _TYPE_WORD.get(self.kind, "a value")
        if self.choices is not None:
            return f"{word} in {{{', '.join(map(repr, self.choices))}}}"
        if self.low is not None and self.high is not None:
            return f"{word} in [{_fmt(self.low)}, {_fmt(self.high)}]"
        if self.low is not None:
            return f"{word} >= {_fmt(self.low)}"
        if self.high is not None:
            return f"{word} <= {_fmt(self.high)}"
        return word

    def check(self, name: str, value: Any) -> Any:
        """Return ``value`` coerced to ``kind`` or raise naming ``name``."""
        if value is None or self.kind is object:
            return value
        must = f"The {name!r} parameter must be {self.describe()}. Got {value!r} instead."
        if self.kind is bool:
            if not isinstance(value, (bool,)) and not (
                isinstance(value, numbers.Integral) and value in (0, 1)
            ):
                raise TypeError(must)
            return bool(value)
        if self.kind is int:
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise TypeError(must)
            value = int(value)
        elif self.kind is float:
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(must)
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(must)
        elif self.kind is str:
            if not isinstance(value, str):
                raise TypeError(must)
        if self.choices is not None and value not in self.choices:
            raise ValueError(must)
        if self.low is not None and value < self.low:
            raise ValueError(must)
        if self.high is not None and value > self.high:
            raise ValueError(must)
        return value

    def to_dict(self) -> dict[str, Any]:
        """JSON description for the service's solver registry."""
        return {
            "type": self.kind.__name__ if self.kind is not object else "any",
            "minimum": self.low,
            "maximum": self.high,
            "choices": list(self.choices) if self.choices is not None else None,
            "default": self.default,
            "description": self.description,
        }


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(number)


def validate(spec: Mapping[str, Param], params: Mapping[str, Any]) -> dict[str, Any]:
    """Check every given parameter against ``spec`` and fill in defaults.

    Unknown names raise ``ValueError`` listing the accepted ones.
    """
    unknown = sorted(set(params) - set(spec))
    if unknown:
        raise ValueError(
            f"Unknown parameter(s) {', '.join(map(repr, unknown))}; "
            f"accepted: {', '.join(sorted(spec))}."
        )
    checked = {name: p.default for name, p in spec.items()}
    for name, value in params.items():
        checked[name] = spec[name].check(name, value)
    return checked
