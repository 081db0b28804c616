"""Every error the client raises, in one tree:

    LandscapeError                  anything raised by this package
    ├── APIError                    the server answered with an error (status, field, message, limit)
    │   ├── AuthenticationError     401: missing or invalid API key
    │   ├── NotFoundError           404: unknown job, network or model
    │   ├── ValidationError         400 / 422: the request names a bad field (``field`` says which)
    │   ├── ConflictError           409: e.g. cancelling a job that already finished
    │   └── RateLimitError          429: queue full or too many jobs per key (``retry_after`` seconds)
    ├── JobError                    a job ended FAILED or CANCELLED when its result was asked for
    ├── TimeoutError                the request or ``Job.wait`` ran out of time (also a builtin TimeoutError)
    └── ConnectionError             the server could not be reached (also a builtin ConnectionError)

Other statuses (413 body too large, 503 unavailable, 504 solve timeout, 5xx)
raise a plain :class:`APIError`. Before raising, the client retries only what
cannot have run or what the server marked temporary: a connection never made
(a broken one too, for GET and DELETE), and a 503 or 429 that carries
``Retry-After``. A 503 without it means the request itself failed (its worker
ran out of memory or died) and is raised at once, like every other status.

>>> err = error_from_response(400, {"error": "bad_request", "field": "params.num_reads", "message": "too big"})
>>> type(err).__name__, err.field
('ValidationError', 'params.num_reads')
"""

from __future__ import annotations

import builtins
import email.utils
import re
from datetime import datetime, timezone
from typing import Any


class LandscapeError(Exception):
    """Base class of every error this package raises."""


class APIError(LandscapeError):
    """The server answered with an error status; ``field`` names the offending part of the request."""

    def __init__(self, status: int, message: str, field: str | None = None, limit: Any = None,
                 error: str | None = None, body: Any = None):
        self.status = status
        self.message = message
        self.field = field
        self.limit = limit
        self.error = error
        self.body = body
        where = f" [{field}]" if field else ""
        super().__init__(f"{status}{where}: {message}")


class AuthenticationError(APIError):
    """401: the server wants ``Authorization: Bearer <key>`` (pass ``api_key=``)."""


class NotFoundError(APIError):
    """404: no such job, network or model."""


class ValidationError(APIError):
    """400 or 422: a field of the request is wrong; ``detail`` holds pydantic's list for a 422."""

    @property
    def detail(self) -> list | None:
        return self.body.get("detail") if isinstance(self.body, dict) else None


class ConflictError(APIError):
    """409: the request conflicts with the resource's state (cancelling a finished job)."""


class RateLimitError(APIError):
    """429: retry after ``retry_after`` seconds (from the ``Retry-After`` header, if sent)."""

    def __init__(self, *args, retry_after: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class JobError(LandscapeError):
    """A job finished without a result: ``status`` is FAILED or CANCELLED, ``reason`` the server's message."""

    def __init__(self, job_id: str, status: str, reason: str | None):
        self.job_id = job_id
        self.status = status
        self.reason = reason
        super().__init__(f"job {job_id} is {status}" + (f": {reason}" if reason else ""))


class TimeoutError(LandscapeError, builtins.TimeoutError):
    """A request, or waiting for a job, took longer than allowed."""


class ConnectionError(LandscapeError, builtins.ConnectionError):
    """The server could not be reached (after the configured retries)."""


class VersionMismatchWarning(UserWarning):
    """The server speaks another API version than this client was written for."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: ValidationError, 401: AuthenticationError, 404: NotFoundError, 409: ConflictError,
    422: ValidationError, 429: RateLimitError,
}


def error_from_response(status: int, body: Any, headers: Any = None) -> APIError:
    """The exception for an error response (``body`` is the decoded JSON, or text when it was not JSON)."""
    if isinstance(body, dict):
        message = str(body.get("message") or body.get("detail") or body)
        field, limit, error = body.get("field"), body.get("limit"), body.get("error")
    else:
        message, field, limit, error = str(body or f"HTTP {status}"), None, None, None
    cls = _BY_STATUS.get(status, APIError)
    kwargs: dict[str, Any] = {"field": field, "limit": limit, "error": error, "body": body}
    if cls is RateLimitError:
        kwargs["retry_after"] = retry_after_seconds(headers)
    return cls(status, message, **kwargs)


def retry_after_seconds(headers: Any) -> float | None:
    """The seconds from now a ``Retry-After`` header asks for (delta-seconds, or an HTTP date: 0 once past);
    None when the header is absent or unreadable.

    >>> retry_after_seconds({"retry-after": "2"}), retry_after_seconds({"retry-after": "soon"})
    (2.0, None)
    >>> retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})
    0.0
    """
    value = headers.get("retry-after") if headers is not None else None
    if value is None:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": HTTP dates are UTC
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
