"""Request bodies parsed as strict JSON: a key repeated inside one object is an error, not "last one wins".

Python's ``json`` keeps the last of repeated keys silently, so ``{"linear": {"a": 1, "a": 2}}`` would solve
a different model than the client wrote. Every router uses :class:`StrictJSONRoute`; the repeat is answered
with a 422 ``json_invalid`` naming the key.

>>> _unique_keys([("a", 1), ("b", 2)])
{'a': 1, 'b': 2}
>>> _unique_keys([("a", 1), ("a", 2)])
Traceback (most recent call last):
...
app.api.strict_json.DuplicateKeyError: duplicate key 'a' in a JSON object: line 1 column 1 (char 0)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response


class DuplicateKeyError(json.JSONDecodeError):
    """A JSON object lists ``key`` twice (FastAPI answers a JSONDecodeError with a 422)."""

    def __init__(self, key: str):
        super().__init__(f"duplicate key {key!r} in a JSON object", "", 0)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKeyError(key)
        result[key] = value
    return result


class _StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), object_pairs_hook=_unique_keys)
        return self._json


class StrictJSONRoute(APIRoute):
    """An ``APIRoute`` whose JSON body refuses repeated keys."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(_StrictJSONRequest(request.scope, request.receive))

        return strict_handler
