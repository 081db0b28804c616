"""Errors a client caused, with the HTTP status and the field they name.

>>> err = RequestError("params.num_reads", "must be at most 10000", status=400, limit=10000)
>>> err.to_dict()["field"]
'params.num_reads'
"""

from __future__ import annotations

from typing import Any


class RequestError(Exception):
    """A 4xx: ``field`` (dotted path into the request), ``message``, optional ``limit``."""

    def __init__(self, field: str, message: str, status: int = 400, limit: Any = None, headers: dict | None = None):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status
        self.limit = limit
        self.headers = headers or {}

    def to_dict(self) -> dict[str, Any]:
        body = {"error": _ERROR_NAMES.get(self.status, "bad_request"), "field": self.field, "message": self.message}
        if self.limit is not None:
            body["limit"] = self.limit
        return body


_ERROR_NAMES = {
    400: "bad_request", 401: "unauthorized", 404: "not_found", 409: "conflict", 413: "too_large",
    422: "validation_error", 429: "too_many_requests", 503: "unavailable", 504: "timeout",
}
