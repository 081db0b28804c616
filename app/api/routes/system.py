"""Health and the solver registry."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app import API_VERSION, __version__, execution
from app.api.deps import OwnerDep, PoolDep, SettingsDep, StoreDep
from app.api.strict_json import StrictJSONRoute
from app.registry import SOLVERS

router = APIRouter(prefix="/v1", tags=["system"], route_class=StrictJSONRoute)


@router.get("/health", summary="Liveness and readiness: database readable and writable, workers alive")
def health(store: StoreDep, pool: PoolDep, settings: SettingsDep) -> JSONResponse:
    workers = pool.status()
    db_ok, db_problem = store.health()
    executor_ok, executor = True, {"executor": "local"}
    if settings.executor == "dask":
        executor_ok, executor = execution.dask_status(settings.dask_scheduler)
    ready = db_ok and workers["ready"] > 0 and executor_ok
    body = {"status": "ok" if ready else "unavailable", "database": db_ok, "workers": workers,
            "execution": executor, "version": __version__, "api_version": API_VERSION}
    if db_problem:
        body["database_error"] = db_problem
    return JSONResponse(body, status_code=200 if ready else 503, headers=None if ready else {"Retry-After": "10"})


@router.get("/solvers", summary="Solvers, the problems they accept, their parameters and limits")
def solvers(settings: SettingsDep, _: OwnerDep) -> dict:
    return {"solvers": [{"name": "auto", "description": "picks tour for TSP, exact for tiny models, else sa",
                         "problem_types": ["maxcut", "partition", "tsp", "qubo", "ising"]}]
            + [spec.to_dict(settings) for spec in SOLVERS.values()],
            "limits": {name: getattr(settings, name) for name in SERVICE_LIMITS}}


#: the service-wide limits a client may need before it sends a request (all in docs/service.md)
SERVICE_LIMITS = ("max_return_samples", "max_reads", "max_sweeps", "max_work", "max_variables", "max_interactions",
                  "max_cities", "max_sync_time_limit", "max_job_time_limit", "max_body_bytes")
