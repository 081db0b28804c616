"""``Client`` and ``AsyncClient``: one method per endpoint, retries, errors, the API version check.

Both classes share the method definitions of :class:`_Methods`; each method
describes its HTTP call as a :class:`~landscape_client._wire.Request` and hands
it to ``_send``, which the sync client runs at once and the async client
returns as a coroutine (so ``await client.solve_maxcut(...)``).

Example::

    with Client("http://127.0.0.1:8000") as client:
        client.solve_maxcut([(0, 1), (1, 2), (2, 0)], solver="exact").answer.cut   # 2.0
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import warnings
from typing import Any, NoReturn

import httpx

from landscape_client._exceptions import (APIError, ConnectionError, TimeoutError, VersionMismatchWarning,
                                          error_from_response, retry_after_seconds)
from landscape_client._jobs import AsyncJob, Job, JobPage
from landscape_client._models import (CompileResult, Health, HopfieldNetwork, InferResult, JobInfo, Limits,
                                      PCModel, RecallBatch, RecallResult, SolveResult, SolverInfo)
from landscape_client._version import API_VERSION, __version__
from landscape_client._wire import (LabelMap, Request, bqm_problem, ising_problem, jsonable, maxcut_problem,
                                    partition_problem, qubo_problem, relabel_answer, tsp_problem)

DEFAULT_URL = "http://127.0.0.1:8000"
#: seconds; a synchronous solve may legitimately run for the server's 60 s cap
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
DEFAULT_RETRIES = 3
#: statuses retried, but only when the server sends ``Retry-After`` (it marks the condition temporary)
RETRY_AFTER_STATUSES = frozenset({429, 503})
HEALTH = "/v1/health"
#: environment variable read when no ``api_key`` is given
API_KEY_ENV = "LANDSCAPE_API_KEY"


def _solve_request(problem: dict, solver: str, params: dict, return_samples: int,
                   labels: LabelMap | None = None) -> Request:
    body = {"problem": problem, "solver": solver, "params": jsonable(params), "return_samples": return_samples}
    return Request("POST", "/v1/solve", lambda data, client: SolveResult.model_validate(relabel_answer(data, labels)),
                   json=body)


def _job_handle(data: Any, client: Any) -> Job | AsyncJob:
    info = {"status": "PENDING", **data, "id": data.get("job_id") or data["id"]}
    return client._job_class(client, JobInfo.model_validate(info))


def _job_page(data: Any, client: Any) -> JobPage:
    jobs = [client._job_class(client, JobInfo.model_validate(job)) for job in data["jobs"]]
    return JobPage(jobs, data["total"], data["limit"], data["offset"])


def _nothing(data: Any, client: Any) -> None:
    return None


def _options(**values: Any) -> dict:
    """The non-None keyword arguments, JSON-ready (the server applies its defaults to the rest)."""
    return {name: jsonable(value) for name, value in values.items() if value is not None}


class _Methods:
    """Every endpoint of the service, described once for both clients."""

    _job_class: type

    def _send(self, request: Request) -> Any:
        raise NotImplementedError

    # -- solving -------------------------------------------------------------------------------------------

    def solve(self, problem: dict, solver: str = "auto", *, return_samples: int = 10, **params: Any) -> SolveResult:
        """Solve a problem given in the wire format (``{"type": "maxcut", "edges": [...]}``...)."""
        return self._send(_solve_request(jsonable(problem), solver, params, return_samples))

    def solve_maxcut(self, graph: Any, solver: str = "auto", *, return_samples: int = 10,
                     **params: Any) -> SolveResult:
        """Max-Cut of a networkx graph (``weight`` attribute, default 1) or of ``[(u, v[, w]), ...]``.

        ``answer.cut`` is the weight across, ``answer.sides`` the two vertex sets (in your labels).
        """
        problem, labels = maxcut_problem(graph)
        return self._send(_solve_request(problem, solver, params, return_samples, labels))

    def solve_tsp(self, coordinates: Any = None, distance_matrix: Any = None, tsplib_path: Any = None, *,
                  tsplib: str | None = None, solver: str = "auto", return_samples: int = 10,
                  **params: Any) -> SolveResult:
        """A tour through cities given by coordinates, a distance matrix or a TSPLIB95 file.

        ``answer.tour`` lists city indices in visiting order, ``answer.length`` its length.
        """
        problem = tsp_problem(coordinates, distance_matrix, tsplib_path, tsplib)
        return self._send(_solve_request(problem, solver, params, return_samples))

    def solve_partition(self, numbers: Any, solver: str = "auto", *, return_samples: int = 10,
                        **params: Any) -> SolveResult:
        """Split ``numbers`` into two groups of nearly equal sum (``answer.subsets``, ``answer.difference``)."""
        return self._send(_solve_request(partition_problem(numbers), solver, params, return_samples))

    def solve_qubo(self, Q: Any, solver: str = "auto", *, offset: float = 0.0, return_samples: int = 10,
                   **params: Any) -> SolveResult:
        """Minimise a QUBO ``{(u, v): bias}`` (``(u, u)`` is linear) or a dimod BQM (an Ising BQM is sent as
        Ising). ``answer.sample`` is the best assignment, ``answer.energy`` its energy."""
        problem, labels = qubo_problem(Q, offset)
        return self._send(_solve_request(problem, solver, params, return_samples, labels))

    def solve_ising(self, h: Any, J: Any, solver: str = "auto", *, offset: float = 0.0, return_samples: int = 10,
                    **params: Any) -> SolveResult:
        """Minimise an Ising model: ``h`` {v: bias} (or a sequence), ``J`` {(u, v): coupling}."""
        problem, labels = ising_problem(h, J, offset)
        return self._send(_solve_request(problem, solver, params, return_samples, labels))

    def compile(self, problem: Any, *, lagrange: float | None = None) -> CompileResult:
        """The QUBO/Ising model the server builds for a wire-format problem (or a dimod BQM)."""
        problem = bqm_problem(problem)[0] if hasattr(problem, "to_serializable") else jsonable(problem)
        return self._send(Request("POST", "/v1/compile", lambda data, client: CompileResult.model_validate(data),
                                  json={"problem": problem, **_options(lagrange=lagrange)}))

    # -- jobs ----------------------------------------------------------------------------------------------

    def submit(self, problem: dict, solver: str = "auto", *, return_samples: int = 10, **params: Any) -> Job:
        """Queue a wire-format problem as a job; returns a :class:`Job` to ``wait()`` on."""
        body = {"problem": jsonable(problem), "solver": solver, "params": jsonable(params),
                "return_samples": return_samples}
        return self._send(Request("POST", "/v1/jobs", _job_handle, json=body))

    def job(self, job_id: str) -> Job:
        """The job with this id (its current status fetched)."""
        return self._send(Request("GET", f"/v1/jobs/{job_id}", _job_handle))

    def jobs(self, status: str | None = None, limit: int = 50, offset: int = 0) -> JobPage:
        """Jobs, newest first, optionally only those with ``status``."""
        return self._send(Request("GET", "/v1/jobs", _job_page, params=_options(status=status, limit=limit,
                                                                                 offset=offset)))

    # -- the service ---------------------------------------------------------------------------------------

    def health(self) -> Health:
        """Liveness and readiness (``status`` is "ok" or "unavailable"), ``version`` and ``api_version``."""
        return self._send(Request("GET", HEALTH, lambda data, client: Health.model_validate(data), accept=(503,)))

    def solvers(self) -> list[SolverInfo]:
        """The solvers, the problem types they accept, their parameters and limits."""
        return self._send(Request("GET", "/v1/solvers", lambda data, client: [
            SolverInfo.model_validate(item) for item in data["solvers"]]))

    def limits(self) -> Limits:
        """The server's request limits (``max_return_samples``, ``max_reads``...), from ``GET /v1/solvers``;
        every field is None on a server too old to report them.

        Example::

            client.limits().max_return_samples   # 1000 unless LANDSCAPE_MAX_RETURN_SAMPLES says otherwise
        """
        return self._send(Request("GET", "/v1/solvers",
                                  lambda data, client: Limits.model_validate(data.get("limits") or {})))

    # -- Hopfield associative memory -----------------------------------------------------------------------

    def create_hopfield(self, patterns: Any, rule: str = "hebbian", **options: Any) -> HopfieldNetwork:
        """Store ``patterns`` (+-1 / 0-1 vectors or 2-D arrays) with a learning rule
        (``hebbian``, ``storkey``, ``pseudoinverse``, ``modern``)."""
        body = {"patterns": jsonable(patterns), "rule": rule, **_options(**options)}
        return self._send(Request("POST", "/v1/hopfield/networks",
                                  lambda data, client: HopfieldNetwork.model_validate(data), json=body))

    def hopfield(self, network_id: str) -> HopfieldNetwork:
        return self._send(Request("GET", f"/v1/hopfield/networks/{network_id}",
                                  lambda data, client: HopfieldNetwork.model_validate(data)))

    def recall(self, network_id: str, cue: Any = None, pattern_index: int | None = None,
               corruption: float | None = None, seed: int | None = None, mode: str | None = None,
               temperature: float | None = None, **options: Any) -> RecallResult:
        """Run recall from ``cue``, or from stored pattern ``pattern_index`` with a ``corruption`` fraction of
        bits flipped (``seed``); ``mode`` ("async"/"sync") and ``temperature`` default to the server's."""
        body = _options(cue=cue, pattern_index=pattern_index, corruption=corruption, seed=seed, mode=mode,
                        temperature=temperature, **options)
        return self._send(Request("POST", f"/v1/hopfield/networks/{network_id}/recall",
                                  lambda data, client: RecallResult.model_validate(data), json=body))

    def recall_batch(self, network_id: str, cues: Any = None, pattern_indices: list[int] | None = None,
                     corruption: float | None = None, seed: int | None = None, mode: str | None = None,
                     temperature: float | None = None, **options: Any) -> RecallBatch:
        """Recall many ``cues`` at once, or stored patterns ``pattern_indices`` each with a ``corruption``
        fraction of bits flipped; cue ``k`` recalls with its own seed derived from ``(seed, k)``
        (``result.seed``), so the batch reproduces exactly however the server splits it.

        Example::

            batch = client.recall_batch(net.id, pattern_indices=[0, 1, 1], corruption=0.2, seed=3)
            [r.matched_pattern for r in batch.results]
        """
        body = _options(cues=cues, pattern_indices=pattern_indices, corruption=corruption, seed=seed, mode=mode,
                        temperature=temperature, **options)
        return self._send(Request("POST", f"/v1/hopfield/networks/{network_id}/recall_batch",
                                  lambda data, client: RecallBatch.model_validate(data), json=body))

    def delete_hopfield(self, network_id: str) -> None:
        return self._send(Request("DELETE", f"/v1/hopfield/networks/{network_id}", _nothing))

    # -- predictive coding ---------------------------------------------------------------------------------

    def create_pc_model(self, layers: list[int], activation: str | None = None, **options: Any) -> PCModel:
        """A predictive-coding network with ``layers`` sizes from input to output (e.g. ``[64, 64, 10]``)."""
        body = {"layers": jsonable(layers), **_options(activation=activation, **options)}
        return self._send(Request("POST", "/v1/pc/models", lambda data, client: PCModel.model_validate(data),
                                  json=body))

    def pc_model(self, model_id: str) -> PCModel:
        return self._send(Request("GET", f"/v1/pc/models/{model_id}",
                                  lambda data, client: PCModel.model_validate(data)))

    def train(self, model_id: str, inputs: Any, targets: Any = None, labels: Any = None, epochs: int | None = None,
              **options: Any) -> Job:
        """Train on ``inputs`` with ``targets`` (one-hot or real) or ``labels`` (class indices), as a job."""
        body = {"inputs": jsonable(inputs), **_options(targets=targets, labels=labels, epochs=epochs, **options)}
        return self._send(Request("POST", f"/v1/pc/models/{model_id}/train", _job_handle, json=body))

    def infer(self, model_id: str, inputs: Any, **options: Any) -> InferResult:
        """``predictions``, ``latents``, ``errors`` and ``free_energy`` for ``inputs``."""
        body = {"inputs": jsonable(inputs), **_options(**options)}
        return self._send(Request("POST", f"/v1/pc/models/{model_id}/infer",
                                  lambda data, client: InferResult.model_validate(data), json=body))

    def delete_pc_model(self, model_id: str) -> None:
        return self._send(Request("DELETE", f"/v1/pc/models/{model_id}", _nothing))


class _Transport:
    """Settings and decisions shared by both clients: headers, retry pauses, decoding, the version check."""

    def _setup(self, base_url: str, api_key: str | None, retries: int, backoff: float, max_backoff: float,
               check_version: bool) -> dict:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.base_url = base_url.rstrip("/")
        self._retries = retries
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._version_checked = not check_version
        headers = {"User-Agent": f"landscape-client/{__version__}", "Accept": "application/json"}
        api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        return headers

    def _pause_after_error(self, attempt: int, request: Request, error: httpx.TransportError) -> float | None:
        """Seconds to wait before sending again after a transport error, or None to raise it: a connection
        never made is retried for any request, one that broke mid-way only for GET/DELETE (a POST may have
        run); exponential backoff with jitter, capped at ``max_backoff``."""
        never_sent = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
        broken = isinstance(error, (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError))
        if attempt >= self._retries or not (never_sent or (broken and request.idempotent)):
            return None
        return min(self._backoff * 2 ** attempt * random.uniform(0.5, 1.0), self._max_backoff)

    def _pause_after_response(self, attempt: int, request: Request, response: httpx.Response) -> float | None:
        """Seconds to wait before sending again after ``response``, or None to return it: only a 429/503 with
        ``Retry-After`` (a temporary condition) is retried, after that long, capped at ``max_backoff``. A 503
        without it is a failure the request itself caused (its worker ran out of memory or died)."""
        status = response.status_code
        if attempt >= self._retries or status not in RETRY_AFTER_STATUSES or status in request.accept:
            return None
        pause = retry_after_seconds(response.headers)
        return None if pause is None else min(pause, self._max_backoff)

    def _raise_transport(self, request: Request, error: Exception) -> NoReturn:
        where = f"{request.method} {self.base_url}{request.path}"
        if isinstance(error, httpx.TimeoutException):
            raise TimeoutError(f"{where} timed out ({type(error).__name__})") from error
        raise ConnectionError(f"{where} failed: {error}") from error

    def _build(self, request: Request) -> httpx.Request:
        try:
            return self._http.build_request(request.method, request.path, json=request.json, params=request.params)
        except ValueError as err:  # NaN or infinity: JSON has no spelling for them
            raise ValueError(f"the request cannot be sent as JSON: {err}") from None

    @staticmethod
    def _decode(request: Request, response: httpx.Response) -> Any:
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = response.text
        if response.status_code >= 400 and response.status_code not in request.accept:
            raise error_from_response(response.status_code, body, response.headers)
        return body

    def _health_or_none(self, request_fn) -> Any:
        try:
            return request_fn(_HEALTH_CHECK)
        except APIError:  # no health endpoint (e.g. behind a proxy): nothing to compare
            return None

    def _check_version(self, data: Any, stacklevel: int) -> None:
        """Warn once per client if the server's ``api_version`` is not this client's."""
        self._version_checked = True
        server = data.get("api_version") if isinstance(data, dict) else None
        if server is not None and str(server) != API_VERSION:
            warnings.warn(f"the server at {self.base_url} speaks API version {server} (version "
                          f"{data.get('version')}); this client (landscape-client {__version__}) speaks "
                          f"{API_VERSION}. Upgrade the one that is older.", VersionMismatchWarning,
                          stacklevel=stacklevel)


_HEALTH_CHECK = Request("GET", HEALTH, lambda data, client: data, accept=(503,))


class Client(_Methods, _Transport):
    """A synchronous client. Use it as a context manager (or call ``close()``).

    ``api_key`` defaults to the ``LANDSCAPE_API_KEY`` environment variable (sent as a Bearer token).
    ``transport`` is any httpx transport (e.g. a mock). The first call reads ``/v1/health`` and warns
    (:class:`VersionMismatchWarning`) if the server's ``api_version`` differs from this client's.

    Retries: a request is sent again, at most ``retries`` times, only when it cannot have run or the server
    says the condition is temporary:

    - a connection that could not be made (any method), or that broke before the answer for GET/DELETE,
      after exponential backoff from ``backoff`` seconds;
    - a 503 or 429 answer with a ``Retry-After`` header (database unavailable, queue full, warming up),
      after the seconds it names.

    Every pause is capped at ``max_backoff`` seconds. Nothing else is retried: not a POST whose connection
    broke (it may have run), not a 503 without ``Retry-After`` (the request itself failed, e.g. its worker
    ran out of memory: sending it again could take down more workers), not any other status.

    Example::

        with Client("http://127.0.0.1:8000", api_key="k1") as client:
            result = client.solve_partition([4, 5, 6, 7, 8], solver="sa", seed=1)
    """

    _job_class = Job

    def __init__(self, base_url: str = DEFAULT_URL, api_key: str | None = None,
                 timeout: float | httpx.Timeout = DEFAULT_TIMEOUT, transport: httpx.BaseTransport | None = None,
                 retries: int = DEFAULT_RETRIES, *, backoff: float = 0.25, max_backoff: float = 10.0,
                 check_version: bool = True):
        headers = self._setup(base_url, api_key, retries, backoff, max_backoff, check_version)
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, transport=transport)

    def _send(self, request: Request) -> Any:
        if not self._version_checked and request.path != HEALTH:
            self._check_version(self._health_or_none(self._request), stacklevel=4)
        data = self._request(request)
        if request.path == HEALTH:
            self._check_version(data, stacklevel=4)
        return request.parse(data, self)

    def _request(self, request: Request) -> Any:
        attempt = 0
        while True:
            try:
                response = self._http.send(self._build(request))
            except httpx.TransportError as error:
                pause = self._pause_after_error(attempt, request, error)
                if pause is None:
                    self._raise_transport(request, error)
            else:
                pause = self._pause_after_response(attempt, request, response)
                if pause is None:
                    return self._decode(request, response)
            time.sleep(pause)
            attempt += 1

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncClient(_Methods, _Transport):
    """The same methods as :class:`Client`, each to be awaited; ``submit``/``train`` return :class:`AsyncJob`.

    The same options and retry policy as :class:`Client`. ``transport`` may be
    ``httpx.ASGITransport(app=...)`` to talk to an app in-process.

    Example::

        async with AsyncClient("http://127.0.0.1:8000") as client:
            result = await client.solve_maxcut([(0, 1), (1, 2), (2, 0)])
    """

    _job_class = AsyncJob

    def __init__(self, base_url: str = DEFAULT_URL, api_key: str | None = None,
                 timeout: float | httpx.Timeout = DEFAULT_TIMEOUT, transport: httpx.AsyncBaseTransport | None = None,
                 retries: int = DEFAULT_RETRIES, *, backoff: float = 0.25, max_backoff: float = 10.0,
                 check_version: bool = True):
        headers = self._setup(base_url, api_key, retries, backoff, max_backoff, check_version)
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=timeout,
                                       transport=transport)

    async def _send(self, request: Request) -> Any:
        if not self._version_checked and request.path != HEALTH:
            try:
                health = await self._request(_HEALTH_CHECK)
            except APIError:  # no health endpoint (e.g. behind a proxy): nothing to compare
                health = None
            self._check_version(health, stacklevel=3)
        data = await self._request(request)
        if request.path == HEALTH:
            self._check_version(data, stacklevel=3)
        return request.parse(data, self)

    async def _request(self, request: Request) -> Any:
        attempt = 0
        while True:
            try:
                response = await self._http.send(self._build(request))
            except httpx.TransportError as error:
                pause = self._pause_after_error(attempt, request, error)
                if pause is None:
                    self._raise_transport(request, error)
            else:
                pause = self._pause_after_response(attempt, request, response)
                if pause is None:
                    return self._decode(request, response)
            await asyncio.sleep(pause)
            attempt += 1

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
