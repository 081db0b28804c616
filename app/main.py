"""Builds the FastAPI app: settings, store, worker pool, middleware, routes, errors.

>>> app = create_app()
>>> sorted(path for path in app.openapi()["paths"] if path.startswith("/v1/jobs"))
['/v1/jobs', '/v1/jobs/{job_id}']
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sqlite3
import time
import traceback
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import __version__
from app.api.routes import jobs, neural, solve, system
from app.config import Settings
from app.errors import InternalError, RequestError
from app.store import Store, describe
from app.workers import WorkerPool

log = logging.getLogger("landscape")

DESCRIPTION = """Energy-minimisation service: Max-Cut, TSP, number partitioning and raw QUBO/Ising models are
compiled to dimod BQMs and annealed (simulated annealing, path-integral quantum annealing, exact statevector
annealing, exhaustive enumeration, a native TSP tour annealer).

Try it: open **POST /v1/solve**, press *Try it out*, then *Execute* - the example is a 5-edge Max-Cut."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        store = Store(settings.db)
        if not store.start_up():  # a read-only or full database must not stop the server (nor crash-loop it)
            log.error("starting with an unwritable job database (%s): writes answer 503 and no job runs until "
                      "it can be written; reads are served", store.write_error)
        elif store.recovered_jobs:
            log.warning("marked %d interrupted job(s) FAILED after restart", store.recovered_jobs)
        pool = WorkerPool(store, settings)
        pool.start()
        app.state.settings, app.state.store, app.state.pool = settings, store, pool
        try:
            yield
        finally:
            pool.stop()
            store.close()

    app = FastAPI(title="Landscape", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                           allow_headers=["*"])
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.middleware("http")(_request_id_and_log)
    for router in (system.router, solve.router, jobs.router, neural.router):
        app.include_router(router)
    _install_error_handlers(app)
    return app


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method any route offers on ``path`` (Starlette's 405 names only the first route's)."""
    methods = set()
    for template, operations in app.openapi()["paths"].items():
        if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), path):
            methods |= {m.upper() for m in operations}
    return sorted(methods)


class BodySizeLimit:
    """ASGI middleware: 413 for a body over ``max_bytes`` (declared or streamed)."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._reject(scope, receive, send)
        received = 0

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _BodyTooLarge:
            await self._reject(scope, receive, send)

    async def _reject(self, scope, receive, send):
        error = RequestError("body", f"the request body exceeds {self.max_bytes} bytes", status=413,
                             limit=self.max_bytes)
        await JSONResponse(error.to_dict(), status_code=413)(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def internal_error_response(request_id: str) -> JSONResponse:
    """The one answer to a bug: 500, a generic message, and the request id to quote (the log has the rest)."""
    body = {"error": "internal", "field": "", "request_id": request_id,
            "message": f"internal error; the server log has the details under request id {request_id}"}
    return JSONResponse(body, status_code=500, headers={"X-Request-ID": request_id})


async def _request_id_and_log(request: Request, call_next):
    given = request.headers.get("x-request-id", "")
    request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]
    request.state.request_id = request_id
    start = time.perf_counter()
    try:
        response = await call_next(request)
    except Exception as err:  # a bug: never a traceback to the client, always one in the log
        detail = err.detail if isinstance(err, InternalError) and err.detail else traceback.format_exc()
        log.error("%s\n%s", json.dumps({"request_id": request_id, "method": request.method,
                                         "path": request.url.path, "error": "internal"}), detail)
        response = internal_error_response(request_id)
    response.headers["X-Request-ID"] = request_id
    log.info(json.dumps({"request_id": request_id, "method": request.method, "path": request.url.path,
                         "status": response.status_code, "ms": round((time.perf_counter() - start) * 1000, 2)}))
    return response


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestError)
    async def request_error(request: Request, err: RequestError):
        return JSONResponse(err.to_dict(), status_code=err.status, headers=err.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, err: RequestValidationError):
        errors = err.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        if first.get("type") == "json_invalid":
            position = first["loc"][-1] if first.get("loc") else "?"
            reason = (first.get("ctx") or {}).get("error", "")
            field, message = "body", f"malformed JSON at character {position}: {reason}".rstrip(": ")
            if reason.startswith("duplicate key"):  # app.api.strict_json: no position to give
                message = f"malformed JSON: {reason}"
        else:
            field = ".".join(str(part) for part in first.get("loc", ()) if part != "body") or "body"
            message = first.get("msg", "")
        body = {"error": "validation_error", "field": field, "message": message,
                "detail": json.loads(json.dumps(errors, default=str))}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException):
        headers = dict(err.headers or {})
        if err.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request.app, request.url.path))
        names = {404: ("not_found", "path"), 405: ("method_not_allowed", "method")}
        error, field = names.get(err.status_code, ("http_error", "request"))
        return JSONResponse({"error": error, "field": field, "message": str(err.detail)},
                            status_code=err.status_code, headers=headers)

    @app.exception_handler(sqlite3.Error)
    async def database_error(request: Request, err: sqlite3.Error):
        log.error("database error: %s", err)
        body = {"error": "unavailable", "field": "database", "message": describe(str(err))}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "10"})

    @app.exception_handler(InternalError)
    async def internal_error(request: Request, err: InternalError):
        request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex[:16]
        log.error("%s\n%s", json.dumps({"request_id": request_id, "method": request.method,
                                         "path": request.url.path, "error": "internal"}), err.detail)
        return internal_error_response(request_id)
