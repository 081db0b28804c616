"""Health and the solver registry."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app import API_VERSION, __version__
from app.api.deps import OwnerDep, PoolDep, SettingsDep, StoreDep
from app.registry import SOLVERS

router = APIRouter(prefix="/v1", tags=["system"])


@router.get("/health", summary="Liveness and readiness: database reachable, workers alive")
def health(store: StoreDep, pool: PoolDep) -> JSONResponse:
    workers = pool.status()
    db_ok = store.healthy()
    ready = db_ok and workers["ready"] > 0
    body = {"status": "ok" if ready else "unavailable", "database": db_ok, "workers": workers,
            "version": __version__, "api_version": API_VERSION}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/solvers", summary="Solvers, the problems they accept, their parameters and limits")
def solvers(settings: SettingsDep, _: OwnerDep) -> dict:
    return {"solvers": [{"name": "auto", "description": "picks tour for TSP, exact for tiny models, else sa",
                         "problem_types": ["maxcut", "partition", "tsp", "qubo", "ising"]}]
            + [spec.to_dict(settings) for spec in SOLVERS.values()]}
