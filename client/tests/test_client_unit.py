"""Client behaviour that needs no server: retries, error mapping, input conversion (httpx.MockTransport)."""

from __future__ import annotations

import email.utils
import json
import time
import warnings

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


UNAVAILABLE = {"error": "unavailable", "field": "database", "message": "busy"}


def attempts(client: lc.Client, path: str) -> int:
    return sum(1 for c in client.calls if c.url.path == path)


def test_503_with_retry_after_is_retried_then_succeeds():
    def handler(request, n):
        if n < 3:
            return httpx.Response(503, json=UNAVAILABLE, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"solvers": []})

    client = mock_client(handler, retries=3)
    assert client.solvers() == []
    assert attempts(client, "/v1/solvers") == 3


@pytest.mark.parametrize("path", ["/v1/solve", "/v1/solvers"])
def test_503_with_retry_after_0_is_retried_up_to_retries_then_raises(path):
    client = mock_client(lambda request, n: httpx.Response(503, json=UNAVAILABLE, headers={"Retry-After": "0"}),
                         retries=2)
    with pytest.raises(lc.APIError) as caught:
        client.solvers() if path == "/v1/solvers" else client.solve_partition([1, 2, 3], solver="sa")
    assert caught.value.status == 503 and type(caught.value) is lc.APIError
    assert attempts(client, path) == 3  # the first attempt and 2 retries


@pytest.mark.parametrize("path", ["/v1/solve", "/v1/solvers"])
def test_503_without_retry_after_is_caused_by_the_request_and_never_retried(path):
    # e.g. the worker ran out of memory on this request: sending it again could take down another worker
    body = {"error": "unavailable", "field": "problem", "message": "the worker ran out of memory"}
    client = mock_client(lambda request, n: httpx.Response(503, json=body), retries=3)
    with pytest.raises(lc.APIError) as caught:
        client.solvers() if path == "/v1/solvers" else client.solve_partition([1, 2, 3], solver="sa")
    assert (caught.value.status, caught.value.field) == (503, "problem")
    assert attempts(client, path) == 1


def test_429_with_retry_after_is_retried_then_succeeds_or_raises_rate_limit_error():
    too_many = {"error": "too_many_requests", "field": "queue", "message": "full", "limit": 64}

    def busy_twice(request, n):
        if n < 3:
            return httpx.Response(429, json=too_many, headers={"Retry-After": "0"})
        return httpx.Response(202, json={"id": "j1", "status": "PENDING"})

    client = mock_client(busy_twice, retries=3)
    assert client.submit({"type": "partition", "numbers": [1, 2]}).id == "j1"
    assert attempts(client, "/v1/jobs") == 3

    client = mock_client(lambda request, n: httpx.Response(429, json=too_many, headers={"Retry-After": "0"}),
                         retries=1)
    with pytest.raises(lc.RateLimitError) as caught:
        client.solve_partition([1, 2, 3], solver="sa")
    assert (caught.value.retry_after, caught.value.limit) == (0.0, 64)
    assert attempts(client, "/v1/solve") == 2

    client = mock_client(lambda request, n: httpx.Response(429, json=too_many), retries=3)
    with pytest.raises(lc.RateLimitError) as caught:
        client.solve_partition([1, 2, 3], solver="sa")
    assert caught.value.retry_after is None and attempts(client, "/v1/solve") == 1


def test_the_retry_after_pause_is_honoured_and_capped_by_max_backoff():
    def handler(pause):
        return lambda request, n: (httpx.Response(503, json=UNAVAILABLE, headers={"Retry-After": pause}) if n == 1
                                   else httpx.Response(200, json={"solvers": []}))

    started = time.monotonic()
    mock_client(handler("0.3"), retries=1).solvers()
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    mock_client(handler("3600"), retries=1, max_backoff=0.05).solvers()
    in_an_hour = email.utils.formatdate(time.time() + 3600, usegmt=True)  # the HTTP-date form
    mock_client(handler(in_an_hour), retries=1, max_backoff=0.05).solvers()
    assert time.monotonic() - started < 2


def test_an_unreadable_retry_after_is_no_retry_after():
    client = mock_client(lambda request, n: httpx.Response(503, json=UNAVAILABLE, headers={"Retry-After": "soon"}),
                         retries=3)
    with pytest.raises(lc.APIError):
        client.solvers()
    assert attempts(client, "/v1/solvers") == 1


def test_health_answering_503_while_warming_up_is_an_answer_not_a_retry():
    calls = []

    def handler(request):
        calls.append(request.url.path)
        return httpx.Response(503, json={**HEALTH, "status": "unavailable"}, headers={"Retry-After": "0"})

    with lc.Client("http://mock", transport=httpx.MockTransport(handler), retries=3) as client:
        assert client.health().status == "unavailable"
    assert calls == ["/v1/health"]


@pytest.mark.parametrize(("status", "error_type"), [
    (400, lc.ValidationError), (401, lc.AuthenticationError), (404, lc.NotFoundError), (409, lc.ConflictError),
    (422, lc.ValidationError), (413, lc.APIError), (500, lc.APIError), (502, lc.APIError), (504, lc.APIError),
])
def test_other_statuses_are_never_retried_even_with_retry_after(status, error_type):
    body = {"error": "x", "field": "params.num_reads", "message": "no", "limit": 7}
    client = mock_client(lambda request, n: httpx.Response(status, json=body, headers={"Retry-After": "0"}))
    with pytest.raises(error_type) as caught:
        client.solve_partition([1, 2, 3], solver="sa", num_reads=8)
    err = caught.value
    assert type(err) is error_type
    assert (err.status, err.field, err.message, err.limit) == (status, "params.num_reads", "no", 7)
    assert attempts(client, "/v1/solve") == 1


def test_connection_errors_are_retried_then_raised():
    def handler(request, n):
        raise httpx.ConnectError("refused", request=request)

    client = mock_client(handler, retries=2)
    with pytest.raises(lc.ConnectionError):
        client.solvers()
    assert attempts(client, "/v1/solvers") == 3


def test_a_post_broken_mid_way_is_not_retried_a_get_is():
    def handler(request, n):
        if request.method == "POST" or n == 1:
            raise httpx.RemoteProtocolError("server disconnected", request=request)
        return httpx.Response(200, json={"jobs": [], "total": 0, "limit": 50, "offset": 0})

    client = mock_client(handler, retries=3)
    with pytest.raises(lc.ConnectionError):
        client.submit({"type": "partition", "numbers": [1, 2]})
    assert attempts(client, "/v1/jobs") == 1
    client = mock_client(handler, retries=3)
    assert len(client.jobs()) == 0 and attempts(client, "/v1/jobs") == 2


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


def test_the_async_client_retries_and_maps_errors_the_same_way():
    import asyncio

    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/v1/health":
            return httpx.Response(200, json={**HEALTH, "api_version": "0"})
        if request.url.path == "/v1/solvers" and calls.count("/v1/solvers") < 2:
            return httpx.Response(503, json=UNAVAILABLE, headers={"Retry-After": "0"})
        if request.url.path == "/v1/solvers":
            return httpx.Response(200, json={"solvers": [{"name": "sa"}]})
        if request.url.path == "/v1/solve":
            return httpx.Response(503, json={"error": "unavailable", "field": "problem", "message": "worker died"})
        return httpx.Response(404, json={"error": "not_found", "field": "job_id", "message": "no job"})

    async def run():
        async with lc.AsyncClient("http://mock", transport=httpx.MockTransport(handler), backoff=0.001) as client:
            with pytest.warns(lc.VersionMismatchWarning):
                solvers = await client.solvers()
            with pytest.raises(lc.NotFoundError):
                await client.job("x")
            with pytest.raises(lc.APIError) as caught:
                await client.solve_partition([1, 2, 3], solver="sa")
            assert caught.value.status == 503
            return solvers

    assert [spec.name for spec in asyncio.run(run())] == ["sa"]
    assert calls == ["/v1/health", "/v1/solvers", "/v1/solvers", "/v1/jobs/x", "/v1/solve"]


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


def test_limits_are_read_from_the_solvers_listing_and_none_from_an_older_server():
    listing = {"solvers": [], "limits": {"max_return_samples": 5, "max_reads": 100, "max_queue": 9}}
    limits = mock_client(lambda request, n: httpx.Response(200, json=listing)).limits()
    assert isinstance(limits, lc.Limits)
    assert (limits.max_return_samples, limits.max_reads, limits.max_queue) == (5, 100, 9)
    older = mock_client(lambda request, n: httpx.Response(200, json={"solvers": []})).limits()
    assert older.max_return_samples is None and older.max_reads is None


@pytest.mark.parametrize(("limits", "num_reads", "sent"), [
    ({"max_return_samples": 5}, 50, 5), ({"max_return_samples": 5}, 3, 3), ({"max_return_samples": 5}, None, 5),
    (None, 5000, 1000), (None, 20, 20),  # a server that does not report its limits: 1000, the default
])
def test_the_sampler_asks_for_at_most_the_servers_max_return_samples_fetched_once(limits, num_reads, sent):
    import dimod

    bodies = []

    def handler(request, n):
        if request.url.path == "/v1/solvers":
            return httpx.Response(200, json={"solvers": [], **({"limits": limits} if limits else {})})
        bodies.append(json.loads(request.content))
        samples = dimod.SampleSet.from_samples([{"a": -1}], "SPIN", [-1.0], num_occurrences=[num_reads or 1])
        return httpx.Response(200, json={"solver": "sa", "feasible": True, "energy": -1.0,
                                         "answer": {"sample": {"a": -1}, "energy": -1.0},
                                         "samples": samples.to_serializable(pack_samples=False), "info": {}})

    client = mock_client(handler)
    sampler = lc.LandscapeSampler(client)
    bqm = dimod.BQM({"a": 1.0}, {}, 0.0, "SPIN")
    reads = {} if num_reads is None else {"num_reads": num_reads}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every read is in the one distinct sample: nothing left out, no warning
        for _ in range(2):
            sampleset = sampler.sample(bqm, **reads)
    assert [body["return_samples"] for body in bodies] == [sent, sent]
    assert attempts(client, "/v1/solvers") == 1
    capped = num_reads is not None and num_reads > sent
    assert sampleset.info.get("returned_samples") == (1 if capped else None)
    assert sampleset.info.get("max_return_samples") == (sent if capped else None)
