"""Typed dependencies: settings, store, worker pool, and the caller's identity."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request

from app.config import Settings
from app.errors import RequestError
from app.store import Store
from app.workers import WorkerPool


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_pool(request: Request) -> WorkerPool:
    return request.app.state.pool


def require_key(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> str | None:
    """With API keys configured, demand ``Authorization: Bearer <key>``; returns an owner tag.

    Keys are compared in constant time and never logged; the owner tag is a
    short hash of the key, used for per-key job limits.
    """
    if not settings.api_keys:
        return None
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise RequestError("Authorization", "missing bearer token", status=401,
                           headers={"WWW-Authenticate": "Bearer"})
    matched = False
    for key in settings.api_keys:
        matched |= hmac.compare_digest(token.encode(), key.encode())
    if not matched:
        raise RequestError("Authorization", "invalid API key", status=401, headers={"WWW-Authenticate": "Bearer"})
    return hashlib.sha256(token.encode()).hexdigest()[:16]


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
PoolDep = Annotated[WorkerPool, Depends(get_pool)]
OwnerDep = Annotated[str | None, Depends(require_key)]
