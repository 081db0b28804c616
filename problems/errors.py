"""The one exception type for bad problem input.

Every parser and problem constructor raises :class:`ProblemError` with the
offending ``field`` so the service can turn it into a 400 naming that field.

>>> try:
...     raise ProblemError("edges[3]", "self-loop on vertex 7")
... except ValueError as err:
...     print(err)
edges[3]: self-loop on vertex 7
"""

from __future__ import annotations


class ProblemError(ValueError):
    """Invalid problem input; ``field`` names where in the input the fault is."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
