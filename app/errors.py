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
        body = {"error": error_name(self.status), "field": self.field, "message": self.message}
        if self.limit is not None:
            body["limit"] = self.limit
        return body


class InternalError(Exception):
    """A bug, never the client's input: answered 500 with a generic message and the request id.

    ``detail`` (e.g. a worker's traceback) is logged under the request id and never sent to the client.
    """

    def __init__(self, detail: str = ""):
        super().__init__("internal error")
        self.detail = detail


_ERROR_NAMES = {
    400: "bad_request", 401: "unauthorized", 404: "not_found", 409: "conflict", 413: "too_large",
    422: "validation_error", 429: "too_many_requests", 500: "internal", 503: "unavailable", 504: "timeout",
}


def error_name(status: int) -> str:
    """The ``error`` code of a status; only a 400 is ever ``bad_request``.

    >>> error_name(400), error_name(500), error_name(502)
    ('bad_request', 'internal', 'server_error')
    """
    if status in _ERROR_NAMES:
        return _ERROR_NAMES[status]
    return "client_error" if status < 500 else "server_error"
