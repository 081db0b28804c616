"""Asynchronous jobs: submit, poll, list, cancel (the cloud-annealer pattern)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, status

from app import pipeline
from app.api.deps import OwnerDep, PoolDep, SettingsDep, StoreDep
from app.api.strict_json import StrictJSONRoute
from app.errors import RequestError
from app.registry import AUTO
from app.schemas import SOLVE_EXAMPLES, ErrorBody, Job, JobCreated, JobList, JobStatusName, SolveRequest

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], route_class=StrictJSONRoute)
ERRORS = {400: {"model": ErrorBody}, 401: {"model": ErrorBody}, 404: {"model": ErrorBody},
          409: {"model": ErrorBody}, 429: {"model": ErrorBody}}


def enqueue(kind: str, payload: dict, store, pool, settings, owner) -> dict:
    """Apply the queue limits, store the job as PENDING and wake the dispatcher."""
    if store.count("PENDING") >= settings.max_queue:
        raise RequestError("queue", f"the queue holds {settings.max_queue} pending jobs; retry later", status=429,
                           limit=settings.max_queue, headers={"Retry-After": "5"})
    if owner is not None:
        active = store.count("PENDING", owner) + store.count("IN_PROGRESS", owner)
        if active >= settings.max_jobs_per_key:
            raise RequestError("Authorization", f"this API key has {active} unfinished jobs; the limit is "
                               f"{settings.max_jobs_per_key}", status=429, limit=settings.max_jobs_per_key,
                               headers={"Retry-After": "5"})
    job_id = store.create_job(kind, payload, owner)
    pool.wake()
    return {"id": job_id, "status": "PENDING"}


_JOB_LINKS = {
    202: {"description": "Accepted", "links": {
        "GetJob": {"operationId": "get_job", "parameters": {"job_id": "$response.body#/id"}},
        "CancelJob": {"operationId": "cancel_job", "parameters": {"job_id": "$response.body#/id"}},
    }},
}


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=JobCreated,
             responses={**ERRORS, **_JOB_LINKS}, operation_id="submit_job",
             summary="Submit a solve as a job; returns its id at once")
def submit(request: Annotated[SolveRequest, Body(openapi_examples=SOLVE_EXAMPLES)], store: StoreDep, pool: PoolDep,
           settings: SettingsDep, owner: OwnerDep) -> dict:
    payload = request.model_dump(mode="json", exclude_none=True)
    _validate(payload, settings)
    return enqueue("solve_job", payload, store, pool, settings, owner)


def _validate(payload: dict, settings) -> None:
    """Reject a job that would fail at once, so an accepted job is a runnable one (a TSP QUBO is sized, not built)."""
    pipeline.plan(payload["problem"], payload.get("solver", AUTO), payload.get("params"),
                  payload.get("return_samples", 10), settings, settings.max_job_time_limit, build_tsp_qubo=False)


@router.get("", response_model=JobList, operation_id="list_jobs", summary="Jobs, newest first, optionally filtered by status")
def list_jobs(store: StoreDep, owner: OwnerDep, status: JobStatusName | None = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0, le=2**31)] = 0) -> dict:
    jobs, total = store.list_jobs(status, limit, offset, owner=owner)
    return {"jobs": jobs, "total": total, "limit": limit, "offset": offset}


@router.get("/{job_id}", response_model=Job, responses=ERRORS, operation_id="get_job", summary="A job's status, and its result when done")
def get_job(job_id: str, store: StoreDep, owner: OwnerDep) -> dict:
    job = store.get_job(job_id, owner=owner)
    if job is None:
        raise RequestError("job_id", f"no job {job_id!r}", status=404)
    return job


@router.delete("/{job_id}", response_model=Job, responses=ERRORS, operation_id="cancel_job",
               summary="Cancel a pending or running job (its worker process is stopped); idempotent, 409 when "
                       "the job already completed or failed")
def cancel_job(job_id: str, store: StoreDep, pool: PoolDep, owner: OwnerDep) -> dict:
    job = store.get_job(job_id, owner=owner)
    if job is None:
        raise RequestError("job_id", f"no job {job_id!r}", status=404)
    if not store.finish(job_id, "CANCELLED", error="cancelled by the client"):
        current = store.get_job(job_id)
        if current["status"] == "CANCELLED":  # cancelling twice is harmless (a retried DELETE whose answer was lost)
            return current
        raise RequestError("job_id", f"job {job_id!r} is already {current['status']}", status=409)
    pool.cancel_running(job_id)
    return store.get_job(job_id)
