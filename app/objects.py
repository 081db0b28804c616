"""Stored networks and models, as worker processes see them.

The API process writes objects (Hopfield networks, predictive-coding models) to
SQLite; a worker reads them through its own read-only connection and keeps the
decoded object in a small cache keyed by ``(id, version)``, so repeated recalls
do not re-learn or re-load.
"""

from __future__ import annotations

import collections
import json
import sqlite3
from typing import Any

from app.errors import RequestError

_CACHE: collections.OrderedDict[tuple[str, int], Any] = collections.OrderedDict()
_CACHE_SIZE = 8
_connection: sqlite3.Connection | None = None


def _read(db: str, kind: str, object_id: str) -> tuple[dict, bytes]:
    global _connection
    if _connection is None:
        _connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
    row = _connection.execute("SELECT meta, blob FROM objects WHERE id = ? AND kind = ?", (object_id, kind)).fetchone()
    if row is None:
        raise RequestError("id", f"no {kind} {object_id!r}", status=404)
    return json.loads(row[0]), bytes(row[1])


def load(db: str, kind: str, object_id: str, version: int, decode) -> Any:
    """The object ``object_id`` at ``version``, decoded by ``decode(meta, blob)`` once per worker."""
    key = (object_id, version)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    meta, blob = _read(db, kind, object_id)
    if meta.get("version", 0) != version:
        raise RequestError("id", f"{kind} {object_id!r} changed while the request was queued; retry", status=409)
    value = decode(meta, blob)
    _CACHE[key] = value
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value
