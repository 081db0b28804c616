"""Client behaviour that needs no server: retries, error mapping, input conversion (httpx.MockTransport)."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

import landscape_client as lc
from landscape_client._wire import ising_problem, jsonable, maxcut_problem, qubo_problem

HEALTH = {"status": "ok", "version": "0.1.0", "api_version": lc.API_VERSION}


def mock_client(handler, **options) -> lc.Client:
    calls = []

    def record(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.url.path == "/v1/health":
            return httpx.Response(200, json=HEALTH)
        return handler(request, sum(1 for c in calls if c.url.path != "/v1/health"))

    client = lc.Client("http://mock", transport=httpx.MockTransport(record), backoff=0.001, **options)
    client.calls = calls
    return client


def test_503_is_retried_with_backoff_then_succeeds():
    def handler(request, n):
        if n < 3:
            return httpx.Response(503, json={"error": "unavailable", "field": "database", "message": "busy"})
        return httpx.Response(200, json={"solvers": []})

    client = mock_client(handler, retries=3)
    assert client.solvers() == []
    assert sum(1 for c in client.calls if c.url.path == "/v1/solvers") == 3


def test_503_past_the_retries_raises_api_error():
    client = mock_client(lambda request, n: httpx.Response(503, json={"error": "unavailable", "field": "database",
                                                                       "message": "down"}), retries=2)
    with pytest.raises(lc.APIError) as caught:
        client.solvers()
    assert caught.value.status == 503 and not isinstance(caught.value, lc.ValidationError)
    assert sum(1 for c in client.calls if c.url.path == "/v1/solvers") == 3


@pytest.mark.parametrize(("status", "error_type"), [
    (400, lc.ValidationError), (401, lc.AuthenticationError), (404, lc.NotFoundError), (409, lc.ConflictError),
    (422, lc.ValidationError), (429, lc.RateLimitError), (413, lc.APIError),
])
def test_4xx_is_never_retried_and_maps_to_its_exception(status, error_type):
    body = {"error": "x", "field": "params.num_reads", "message": "no", "limit": 7}
    client = mock_client(lambda request, n: httpx.Response(status, json=body, headers={"Retry-After": "5"}))
    with pytest.raises(error_type) as caught:
        client.solve_partition([1, 2, 3], solver="sa", num_reads=8)
    err = caught.value
    assert type(err) is error_type
    assert (err.status, err.field, err.message, err.limit) == (status, "params.num_reads", "no", 7)
    assert sum(1 for c in client.calls if c.url.path == "/v1/solve") == 1
    if status == 429:
        assert err.retry_after == 5.0


def test_connection_errors_are_retried_then_raised():
    def handler(request, n):
        raise httpx.ConnectError("refused", request=request)

    client = mock_client(handler, retries=2)
    with pytest.raises(lc.ConnectionError):
        client.solvers()
    assert sum(1 for c in client.calls if c.url.path == "/v1/solvers") == 3


def test_a_post_broken_mid_way_is_not_retried():
    def handler(request, n):
        raise httpx.RemoteProtocolError("server disconnected", request=request)

    client = mock_client(handler, retries=3)
    with pytest.raises(lc.ConnectionError):
        client.submit({"type": "partition", "numbers": [1, 2]})
    assert sum(1 for c in client.calls if c.url.path == "/v1/jobs") == 1


def test_the_request_body_is_the_wire_format_with_numpy_converted():
    seen = {}

    def handler(request, n):
        seen.update(json.loads(request.content))
        return httpx.Response(200, json={"solver": "sa", "feasible": True, "energy": -1.0,
                                         "answer": {"subsets": [[1], [1]], "difference": 0}, "info": {}})

    client = mock_client(handler, api_key="secret")
    result = client.solve_partition(np.array([1, 1]), solver="sa", num_reads=np.int64(4), return_samples=3,
                                    beta_range=np.array([0.1, 2.0]))
    assert seen == {"problem": {"type": "partition", "numbers": [1, 1]}, "solver": "sa",
                    "params": {"num_reads": 4, "beta_range": [0.1, 2.0]}, "return_samples": 3}
    assert client.calls[-1].headers["authorization"] == "Bearer secret"
    assert isinstance(result.answer, lc.PartitionAnswer) and result.samples is None


def test_wire_conversions():
    assert jsonable({"a": np.float32(1.5), np.int64(2): (np.arange(2), {3})}) == {"a": 1.5, "2": [[0, 1], [3]]}
    problem, labels = maxcut_problem([((0, 0), (0, 1)), ((0, 1), (1, 1), 2.0)])
    assert problem["edges"] == [[0, 1, 1], [1, 2, 2.0]]
    assert labels == {"0": (0, 0), "1": (0, 1), "2": (1, 1)}
    problem, labels = qubo_problem({(0, 0): 1.0, (0, 1): -2.0, (1, 0): 0.5, (1, 1): 0.0})
    assert problem == {"type": "qubo", "linear": {"0": 1.0, "1": 0.0}, "quadratic": [[0, 1, -2.0], [1, 0, 0.5]]}
    problem, _ = ising_problem(np.array([0.5, -1.0]), {(0, 1): 1.0}, offset=2.0)
    assert problem == {"type": "ising", "linear": {"0": 0.5, "1": -1.0}, "quadratic": [[0, 1, 1.0]], "offset": 2.0}


def test_non_finite_numbers_are_refused_before_sending():
    client = mock_client(lambda request, n: httpx.Response(200, json={}))
    with pytest.raises(ValueError, match="JSON"):
        client.solve_maxcut([(0, 1, float("nan"))])
    assert not [c for c in client.calls if c.url.path == "/v1/solve"]


def test_wait_times_out_with_a_client_side_timeout_error():
    client = mock_client(lambda request, n: httpx.Response(200, json={"id": "j1", "status": "IN_PROGRESS"}))
    job = client.submit({"type": "partition", "numbers": [1, 2]})
    with pytest.raises(lc.TimeoutError):
        job.wait(timeout=0.05, poll_interval=0.01)
    polls = [c for c in client.calls if c.url.path == "/v1/jobs/j1"]
    assert 2 <= len(polls) <= 6  # backoff doubles the pause: 0.01, 0.02, 0.04 ...


def test_the_async_client_retries_503_and_maps_errors_the_same_way():
    import asyncio

    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/v1/health":
            return httpx.Response(200, json={**HEALTH, "api_version": "0"})
        if request.url.path == "/v1/solvers" and calls.count("/v1/solvers") < 2:
            return httpx.Response(503, json={"error": "unavailable", "field": "database", "message": "busy"})
        if request.url.path == "/v1/solvers":
            return httpx.Response(200, json={"solvers": [{"name": "sa"}]})
        return httpx.Response(404, json={"error": "not_found", "field": "job_id", "message": "no job"})

    async def run():
        async with lc.AsyncClient("http://mock", transport=httpx.MockTransport(handler), backoff=0.001) as client:
            with pytest.warns(lc.VersionMismatchWarning):
                solvers = await client.solvers()
            with pytest.raises(lc.NotFoundError):
                await client.job("x")
            return solvers

    assert [spec.name for spec in asyncio.run(run())] == ["sa"]
    assert calls == ["/v1/health", "/v1/solvers", "/v1/solvers", "/v1/jobs/x"]


def test_without_dimod_samples_stay_the_serializable_dict(monkeypatch):
    import sys

    import dimod

    serializable = dimod.SampleSet.from_samples([{0: 1, 1: -1}], "SPIN", [-1.0]).to_serializable(pack_samples=False)
    body = {"solver": "sa", "feasible": True, "energy": -1.0, "answer": {"sample": {"0": 1, "1": -1}, "energy": -1.0},
            "samples": serializable, "info": {}}
    monkeypatch.setitem(sys.modules, "dimod", None)  # import dimod now raises ImportError
    monkeypatch.delitem(sys.modules, "landscape_client._sampler", raising=False)
    result = lc.SolveResult.model_validate(body)
    assert result.samples == serializable
    with pytest.raises(ImportError):
        from landscape_client._sampler import LandscapeSampler  # noqa: F401
    monkeypatch.undo()
    assert isinstance(lc.SolveResult.model_validate(body).samples, dimod.SampleSet)
