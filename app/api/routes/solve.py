"""Synchronous solve and compile."""

from __future__ import annotations

import asyncio

from typing import Annotated

from fastapi import APIRouter, Body

from app import pipeline
from app.api.deps import OwnerDep, PoolDep, SettingsDep
from app.api.strict_json import StrictJSONRoute
from app.errors import InternalError, RequestError
from app.schemas import SOLVE_EXAMPLES, CompileRequest, CompileResponse, ErrorBody, SolveRequest, SolveResponse
from app.workers import TaskError

router = APIRouter(prefix="/v1", tags=["solve"], route_class=StrictJSONRoute)
ERRORS = {400: {"model": ErrorBody}, 401: {"model": ErrorBody}, 413: {"model": ErrorBody},
          429: {"model": ErrorBody}, 503: {"model": ErrorBody}, 504: {"model": ErrorBody}}


@router.post("/solve", response_model=SolveResponse, responses=ERRORS,
             summary="Compile, anneal and decode a problem; waits for the answer")
async def solve(request: Annotated[SolveRequest, Body(openapi_examples=SOLVE_EXAMPLES)], settings: SettingsDep,
                pool: PoolDep, _: OwnerDep) -> dict:
    payload = request.model_dump(mode="json", exclude_none=True)
    time_limit = request.params.get("time_limit")
    if isinstance(time_limit, (int, float)) and not isinstance(time_limit, bool):
        if time_limit > settings.max_sync_time_limit:
            raise RequestError("params.time_limit", f"must be at most {settings.max_sync_time_limit} seconds for "
                               "POST /v1/solve; submit a job for longer runs", limit=settings.max_sync_time_limit)
    task = pool.submit_sync("solve", payload)
    wait = settings.max_sync_time_limit + 30.0
    try:
        return await asyncio.wait_for(asyncio.wrap_future(task.future), timeout=wait)
    except asyncio.TimeoutError:
        pool.abandon(task)
        raise RequestError("params.time_limit", f"the solve did not finish within {wait:.0f} s; submit a job",
                           status=504) from None
    except asyncio.CancelledError:
        pool.abandon(task)
        raise
    except TaskError as err:
        raise _from_task(err) from None


def _from_task(err: TaskError) -> RequestError | InternalError:
    """The worker's answer as the client's error; a crash (500) keeps its traceback for the log only."""
    body = err.error
    status = int(body.get("status", 500))
    if status == 500:
        return InternalError(body.get("traceback", ""))
    headers = {"Retry-After": str(body["retry_after"])} if body.get("retry_after") else None
    return RequestError(body.get("field", ""), body.get("message", "failed"), status=status, limit=body.get("limit"),
                        headers=headers)


@router.post("/compile", response_model=CompileResponse, responses=ERRORS,
             summary="The QUBO/Ising model of a problem as dimod BQM JSON")
def compile_problem(request: CompileRequest, settings: SettingsDep, _: OwnerDep) -> dict:
    spec = request.problem.model_dump(mode="json", exclude_none=True)
    given, _repair = pipeline.tsp_options(spec)
    if request.lagrange is not None and given is not None:
        raise RequestError("lagrange", "give the penalty weight once: 'lagrange' or 'problem.lagrange'")
    problem = pipeline.build_problem(spec, settings)
    lagrange = request.lagrange if request.lagrange is not None else given
    if problem.kind == "tsp":
        lagrange = lagrange if lagrange is not None else problem.default_lagrange()
        bqm = pipeline.compile_problem(problem, settings, lagrange=lagrange)
    elif lagrange is not None:
        raise RequestError("lagrange", "only TSP problems take a penalty weight")
    else:
        bqm = pipeline.compile_problem(problem, settings)
    return {"bqm": bqm.to_serializable(), "num_variables": bqm.num_variables,
            "num_interactions": bqm.num_interactions, "vartype": bqm.vartype.name, "lagrange": lagrange}
