"""AsyncClient against the app in-process (``httpx.ASGITransport``), with the app's lifespan (store and
worker pool) entered by hand: ASGITransport does not send lifespan events."""

from __future__ import annotations

import httpx
import pytest

import landscape_client as lc
from app import pipeline
from app.config import Settings
from app.main import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
async def app_client(tmp_path_factory, anyio_backend):
    settings = Settings(db=tmp_path_factory.mktemp("inprocess") / "landscape.db", workers=1)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with lc.AsyncClient("http://landscape.test", transport=transport) as client:
            yield client


async def test_health_and_solvers(app_client):
    health = await app_client.health()
    assert health.api_version == lc.API_VERSION
    assert "sa" in {spec.name for spec in await app_client.solvers()}


async def test_solve_maxcut_equals_the_pipeline(app_client):
    edges = [(0, 1, 1.5), (1, 2, 1.0), (2, 3, 2.0), (3, 0, 1.0), (0, 2, 0.5)]
    params = {"num_reads": 4, "num_sweeps": 100, "seed": 11}
    result = await app_client.solve_maxcut(edges, solver="sa", **params)
    reference = pipeline.solve({"type": "maxcut", "edges": [list(e) for e in edges]}, "sa", params)
    assert result.answer.cut == reference["answer"]["cut"] == 5.5  # {0, 2} against {1, 3}
    assert result.energy == reference["energy"]


async def test_auto_picks_exact_for_a_tiny_partition(app_client):
    result = await app_client.solve_partition([4, 5, 6, 7, 8])
    assert result.solver == "exact" and result.answer.difference == 0
    assert "auto_reason" in result.info


async def test_compile_and_submit_wait_result(app_client):
    problem = {"type": "partition", "numbers": [3, 1, 1, 2, 2, 1]}
    compiled = await app_client.compile(problem)
    assert compiled.num_variables == 6 and compiled.vartype == "SPIN"
    job = await app_client.submit(problem, solver="exact")
    assert isinstance(job, lc.AsyncJob)
    assert (await job.wait(timeout=60)).info.status == "COMPLETED"
    result = await job.result()
    assert result.answer.difference == 0
    page = await app_client.jobs(status="COMPLETED")
    assert job.id in {listed.id for listed in page}


async def test_errors_carry_status_and_field(app_client):
    with pytest.raises(lc.ValidationError) as caught:
        await app_client.solve_partition([1, 2], solver="sa", num_sweeps=0)
    assert caught.value.field == "params.num_sweeps"
    with pytest.raises(lc.NotFoundError):
        await app_client.job("missing")


async def test_hopfield_and_pc_round_trip(app_client):
    network = await app_client.create_hopfield([[1, -1, 1, -1, 1, -1], [1, 1, 1, -1, -1, -1]])
    recalled = await app_client.recall(network.id, cue=[1, -1, 1, -1, 1, 1])
    assert recalled.matched_pattern == 0 and recalled.state == [1, -1, 1, -1, 1, -1]
    assert await app_client.delete_hopfield(network.id) is None
    model = await app_client.create_pc_model([3, 4, 2], activation="tanh")
    job = await app_client.train(model.id, [[0, 0, 1], [1, 0, 0]], labels=[0, 1], epochs=2)
    assert isinstance(job, lc.AsyncJob)
    assert (await job.result(timeout=60)).epochs_trained == 2
    inferred = await app_client.infer(model.id, [[0, 0, 1]])
    assert len(inferred.predictions) == 1 and len(inferred.predictions[0]) == 2
    await app_client.delete_pc_model(model.id)
    with pytest.raises(lc.NotFoundError) as caught:
        await app_client.pc_model(model.id)
    assert caught.value.field == "id"
