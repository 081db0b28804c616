"""AsyncClient against the real server over a loopback socket: solves (several at once on one client),
jobs that are waited for, and a long job cancelled while it runs."""

from __future__ import annotations

import asyncio
import time

import networkx as nx
import pytest
from serverproc import API_KEY

import landscape_client as lc
from app import pipeline

pytestmark = pytest.mark.anyio

SA = {"num_reads": 8, "num_sweeps": 300, "seed": 7}


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


@pytest.fixture()
async def aclient(server):
    async with lc.AsyncClient(server.url, api_key=API_KEY) as client:
        yield client


async def test_solves_equal_the_pipeline_also_when_sent_at_once(aclient):
    assert (await aclient.health()).status == "ok"
    problems = [{"type": "maxcut", "edges": [list(e) for e in nx.gnp_random_graph(12, 0.4, seed=seed).edges]}
                for seed in range(4)]
    results = await asyncio.gather(*(aclient.solve(problem, solver="sa", **SA) for problem in problems))
    for problem, result in zip(problems, results):
        reference = pipeline.solve(problem, "sa", SA)
        assert isinstance(result, lc.SolveResult) and result.solver == "sa"
        assert result.answer.cut == reference["answer"]["cut"] and result.energy == reference["energy"]
    partition = await aclient.solve_partition([3, 1, 1, 2, 2, 1], solver="exact")
    assert partition.answer.difference == 0
    with pytest.raises(lc.ValidationError) as caught:
        await aclient.solve_maxcut([(0, 1)], solver="sa", num_reads=0)
    assert caught.value.field == "params.num_reads"


async def test_submit_wait_result_and_cancelling_a_finished_job_conflicts(aclient):
    problem = {"type": "partition", "numbers": [3, 1, 1, 2, 2, 1, 9, 4, 4, 7]}
    job = await aclient.submit(problem, solver="sa", **SA)
    assert isinstance(job, lc.AsyncJob) and job.info.status == "PENDING"
    assert await job.wait(timeout=60) is job
    assert job.info.status == "COMPLETED" and await job.status() == "COMPLETED"
    result = await job.result()
    reference = pipeline.solve(problem, "sa", SA)
    assert result.answer.subsets == reference["answer"]["subsets"] and result.energy == reference["energy"]
    assert (await aclient.job(job.id)).info.status == "COMPLETED"
    assert job.id in {listed.id for listed in await aclient.jobs(status="COMPLETED", limit=500)}
    with pytest.raises(lc.ConflictError):
        await job.cancel()
    with pytest.raises(lc.NotFoundError):
        await aclient.job("no-such-job")


async def test_cancel_stops_a_long_job(aclient):
    graph = nx.random_regular_graph(3, 2000, seed=1)
    job = await aclient.submit({"type": "maxcut", "edges": [list(e) for e in graph.edges]}, solver="sa",
                               num_reads=1, num_sweeps=1_000_000, time_limit=30, seed=1)
    deadline = time.monotonic() + 20
    while await job.status() == "PENDING" and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert job.info.status == "IN_PROGRESS"
    started = time.monotonic()
    info = await job.cancel()
    assert info.status == "CANCELLED" and job.info is info
    assert (await job.wait(timeout=5)).info.status == "CANCELLED"
    assert time.monotonic() - started < 5
    with pytest.raises(lc.JobError, match="CANCELLED"):
        await job.result()
    # the worker was really stopped: a quick job still runs at once
    quick = await aclient.submit({"type": "maxcut", "edges": [[0, 1], [1, 2]]}, solver="exact")
    assert (await quick.result(timeout=30)).answer.cut == 2
