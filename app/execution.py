"""Where sampling runs: in this process or on a Dask cluster, in fixed-size chunks of reads.

A request for more than ``settings.chunk_reads`` reads (SA, SQA) or restarts
(tour) is cut into chunks of ``chunk_reads`` (the last one shorter); chunk ``c``
samples with seed ``stream_seeds(seed, n_chunks)[c]`` and the chunks are merged
in order with :func:`dimod.concatenate`. The plan depends only on the request
and ``chunk_reads``, never on how many processes or machines run it, so a seed
gives the same samples on the ``local`` executor and on a Dask cluster of any
size. Without a seed one is drawn and reported as ``info["seed"]``.

>>> [(c.start, c.stop) for c in plan_chunks(20, 8, seed=1)]
[(0, 8), (8, 16), (16, 20)]
>>> [c.seed for c in plan_chunks(5, 8, seed=1)]  # one chunk: the request's own seed
[1]
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import dimod
import numpy as np

from app.config import Settings
from app.errors import RequestError
from energy.rng import stream_seeds
from neural.hopfield import HopfieldNetwork
from solvers.tour import TourAnnealer, TourResult

log = logging.getLogger("landscape.execution")

#: solvers whose reads are independent random streams, so they can be split into chunks
CHUNKED_SOLVERS = frozenset({"sa", "sqa"})
#: how long a Dask cluster may have no workers before a request fails instead of waiting
NO_WORKERS_GRACE_S = 20.0
_POLL_S = 0.5
#: what a client is told to wait before retrying when the cluster is unreachable or has no workers
_RETRY_AFTER = {"Retry-After": "10"}


@dataclasses.dataclass(frozen=True)
class Chunk:
    """Reads ``start..stop-1`` of a request, sampled with ``seed``."""

    index: int
    start: int
    stop: int
    seed: int

    @property
    def size(self) -> int:
        return self.stop - self.start


def plan_chunks(total: int, chunk_size: int, seed: int) -> list[Chunk]:
    """Cut ``total`` reads into chunks of ``chunk_size``; a single chunk keeps ``seed`` itself."""
    if total <= chunk_size:
        return [Chunk(0, 0, total, int(seed))]
    bounds = list(range(0, total, chunk_size)) + [total]
    seeds = stream_seeds(seed, len(bounds) - 1)
    return [Chunk(c, bounds[c], bounds[c + 1], int(seeds[c])) for c in range(len(bounds) - 1)]


def draw_seed() -> int:
    """A fresh seed below 2**53, so it survives JSON clients that read numbers as doubles."""
    return secrets.randbits(53)


# --- public entry points ----------------------------------------------------------------------------------------

def sample(solver: str, sampler: dimod.Sampler, bqm: dimod.BinaryQuadraticModel, params: Mapping[str, Any],
           settings: Settings) -> dimod.SampleSet:
    """``sampler.sample(bqm, **params)``, split into chunks and run on ``settings.executor``.

    ``info`` gains ``seed`` (given or drawn) and ``execution`` (executor, chunks, wall time).

    >>> from solvers.simulated_annealing import SimulatedAnnealingSampler
    >>> bqm = dimod.BQM({}, {(0, 1): 1.0, (1, 2): 1.0}, 0, "SPIN")
    >>> ss = sample("sa", SimulatedAnnealingSampler(), bqm, {"num_reads": 20, "num_sweeps": 50, "seed": 3},
    ...             Settings(chunk_reads=8))
    >>> len(ss), ss.info["execution"]["chunks"], ss.info["seed"]
    (20, 3, 3)
    """
    started = time.perf_counter_ns()
    params = dict(params)
    if "seed" in params or _takes_seed(sampler):
        params["seed"] = draw_seed() if params.get("seed") is None else int(params["seed"])
    payload = bqm_payload(bqm)
    if solver in CHUNKED_SOLVERS:
        chunks = plan_chunks(_num_reads(params), settings.chunk_reads, params["seed"])
    else:
        chunks = [Chunk(0, 0, 1, params.get("seed"))]
    states = _split_initial_states(params.get("initial_states"), chunks)
    calls = [_chunk_params(params, chunk, states[c], len(chunks) > 1) for c, chunk in enumerate(chunks)]
    deadline = _deadline(params)
    if settings.executor == "dask":
        sampler_settings = settings.model_dump(mode="json", exclude={"api_keys", "cors_origins", "db"})
        parts = _dask_run(settings, sample_chunk, (solver, payload, sampler_settings),
                          [(p, deadline, 1) for p in calls], deadline)
    else:
        local_bqm = bqm_from_payload(payload)  # the same model a Dask worker rebuilds, bit for bit
        parts = [_sample_with(sampler, local_bqm, p, deadline, len(calls) - c) for c, p in enumerate(calls)]
    merged = _merge_samplesets(parts, chunks)
    if params.get("seed") is not None:
        merged.info["seed"] = params["seed"]
    merged.info["execution"] = _execution_info(settings, chunks, started)
    return merged


def solve_tour(problem, params: Mapping[str, Any], settings: Settings) -> TourResult:
    """``TourAnnealer().solve(problem, **params)`` with ``num_restarts`` split like reads."""
    started = time.perf_counter_ns()
    params = dict(params)
    params["seed"] = draw_seed() if params.get("seed") is None else int(params["seed"])
    distance = np.asarray(getattr(problem, "distance_matrix", problem), dtype=float)
    chunks = plan_chunks(params.get("num_restarts") or TourAnnealer.PARAMS["num_restarts"].default,
                         settings.chunk_reads, params["seed"])
    calls = [{**params, "num_restarts": chunk.size, "seed": chunk.seed} for chunk in chunks]
    deadline = _deadline(params)
    if settings.executor == "dask":
        parts = _dask_run(settings, tour_chunk, (distance,), [(p, deadline, 1) for p in calls], deadline)
    else:
        parts = [tour_chunk(distance, p, deadline, len(calls) - c) for c, p in enumerate(calls)]
    result = _merge_tours(parts, params)
    result.info["seed"] = params["seed"]
    result.info["execution"] = _execution_info(settings, chunks, started)
    return result


def recall_batch(net: HopfieldNetwork, network_key: str, request: Mapping[str, Any],
                 settings: Settings) -> tuple[list[dict], dict]:
    """A batch Hopfield recall, cut into chunks of ``settings.chunk_recalls`` cues and run on the executor.

    ``request`` holds ``cues`` or ``pattern_indices`` (with ``corruption``), and ``mode``,
    ``temperature``, ``max_sweeps``, ``seed``. Cue ``k`` recalls with its own seed derived from
    ``(seed, k)`` (:func:`neural.hopfield.cue_seeds`), whatever chunk it falls in, so every executor
    gives the same results; ``network_key`` (``id:version``) lets a Dask worker build the network once.
    Returns the results (``RecallResult.to_dict()``) and ``info`` with the seed and the execution.

    >>> net = HopfieldNetwork.from_patterns([[1, -1, 1, -1], [1, 1, -1, -1]])
    >>> results, info = recall_batch(net, "doc:0", {"pattern_indices": [0, 1, 1], "seed": 5},
    ...                              Settings(chunk_recalls=2))
    >>> [r["matched_pattern"] for r in results], info["execution"]["chunks"]
    ([0, 1, 1], 2)
    """
    started = time.perf_counter_ns()
    by_index = request.get("pattern_indices") is not None
    items = list(request["pattern_indices"] if by_index else request["cues"])
    params = {name: request[name] for name in ("corruption", "mode", "temperature", "max_sweeps")
              if request.get(name) is not None}
    if not by_index:
        params.pop("corruption", None)
    params["seed"] = draw_seed() if request.get("seed") is None else int(request["seed"])
    net.check_recall(None if by_index else items, pattern_indices=items if by_index else None, **params)
    bounds = list(range(0, len(items), settings.chunk_recalls)) + [len(items)]
    calls = [(items[start:stop], start, by_index, params) for start, stop in zip(bounds, bounds[1:])]
    if settings.executor == "dask":
        parts = _dask_run(settings, recall_chunk, (net.to_config(), network_key), calls, None)
    else:
        parts = [_recall_with(net, *call) for call in calls]
    info = {"seed": params["seed"], "execution": {"executor": settings.executor, "chunks": len(calls),
                                                  "chunk_recalls": settings.chunk_recalls,
                                                  "wall_ns": time.perf_counter_ns() - started}}
    return [result for part in parts for result in part], info


# --- task functions (what a Dask worker runs: top-level, plain data in) -------------------------------------------

def bqm_payload(bqm: dimod.BinaryQuadraticModel) -> dict[str, Any]:
    """The BQM as numpy vectors and labels: cheap to pickle and rebuilt exactly by :func:`bqm_from_payload`."""
    linear, (rows, cols, values), offset, labels = bqm.to_numpy_vectors(return_labels=True)
    return {"linear": linear, "rows": rows, "cols": cols, "values": values, "offset": float(offset),
            "labels": list(labels), "vartype": bqm.vartype.name}


def bqm_from_payload(payload: Mapping[str, Any]) -> dimod.BinaryQuadraticModel:
    return dimod.BinaryQuadraticModel.from_numpy_vectors(
        payload["linear"], (payload["rows"], payload["cols"], payload["values"]), payload["offset"],
        payload["vartype"], variable_order=payload["labels"])


def sample_chunk(solver: str, payload: Mapping[str, Any], sampler_settings: Mapping[str, Any],
                 params: dict[str, Any], deadline: float | None, share: int = 1) -> dimod.SampleSet:
    """One chunk of a request on a fresh sampler (the Dask task).

    ``deadline`` is the request's wall-clock end (``time.time()``); this chunk's
    ``time_limit`` is the time left divided by ``share`` (chunks still to run here).
    """
    from app.registry import SOLVERS

    sampler = SOLVERS[solver].build(Settings(**sampler_settings))
    with _stop_if_cancelled():
        return _sample_with(sampler, bqm_from_payload(payload), params, deadline, share)


def tour_chunk(distance: np.ndarray, params: dict[str, Any], deadline: float | None, share: int = 1) -> TourResult:
    """One chunk of tour restarts (the Dask task); ``deadline``/``share`` as in :func:`sample_chunk`."""
    with _stop_if_cancelled():
        return TourAnnealer().solve(distance, **_budget(params, deadline, share))


_NETWORKS: dict[str, HopfieldNetwork] = {}


def recall_chunk(config: dict[str, Any], network_key: str, items: list, offset: int, by_index: bool,
                 params: dict[str, Any]) -> list[dict]:
    """Cues ``offset..offset+len(items)-1`` of a batch recall (the Dask task); the network is built from
    ``config`` once per worker process and kept under ``network_key`` (the few most recent)."""
    net = _NETWORKS.get(network_key)
    if net is None:
        net = HopfieldNetwork.from_config(config)
        while len(_NETWORKS) >= 4:
            _NETWORKS.pop(next(iter(_NETWORKS)))
        _NETWORKS[network_key] = net
    with _stop_if_cancelled():
        return _recall_with(net, items, offset, by_index, params)


def _recall_with(net: HopfieldNetwork, items: list, offset: int, by_index: bool, params: dict[str, Any]) -> list[dict]:
    results = net.recall_batch(None if by_index else items, pattern_indices=items if by_index else None,
                               offset=offset, **params)
    return [result.to_dict() for result in results]


@contextlib.contextmanager
def _stop_if_cancelled(poll_s: float = _POLL_S):
    """Inside a Dask task: if the scheduler cancels this task while it runs (its request was cancelled,
    timed out or failed), end this worker process so the core is free at once; the worker's nanny starts
    a fresh one. A numba kernel cannot be interrupted from Python, hence the exit. Outside Dask: nothing.
    """
    try:
        from distributed.worker import get_worker, thread_state

        worker, key = get_worker(), thread_state.key
    except (ImportError, ValueError, AttributeError):
        yield
        return
    finished = threading.Event()

    def watch() -> None:
        while not finished.wait(poll_s):
            task = worker.state.tasks.get(key)
            if task is None or task.state == "cancelled":
                log.warning("chunk %s was cancelled while running; restarting this worker process to stop it", key)
                os._exit(75)  # EX_TEMPFAIL: the nanny restarts the worker

    threading.Thread(target=watch, name=f"cancel-watch-{key}", daemon=True).start()
    try:
        yield
    finally:
        finished.set()


def dask_setup(worker=None) -> None:
    """``dask worker --preload app.execution`` calls this: load the numba kernels before the first task."""
    from solvers.warmup import warm_up

    warm_up()


# --- helpers ------------------------------------------------------------------------------------------------------

def _takes_seed(sampler) -> bool:
    return "seed" in getattr(sampler, "parameters", {})


def _num_reads(params: Mapping[str, Any]) -> int:
    if params.get("num_reads") is not None:
        return int(params["num_reads"])
    if params.get("initial_states") is not None:
        try:
            return len(dimod.as_samples(params["initial_states"])[0])
        except (TypeError, ValueError):
            return 1  # the sampler reports the bad input
    return 1


def _split_initial_states(initial_states, chunks: list[Chunk]) -> list[Any]:
    """Each chunk's rows of ``initial_states``, tiled over the reads as the samplers do."""
    if initial_states is None or len(chunks) == 1:
        return [initial_states] * len(chunks)
    array, labels = dimod.as_samples(initial_states)  # parseable: _num_reads or the request fixed num_reads
    rows = len(array)
    return [(array[np.arange(c.start, c.stop) % rows], list(labels)) if rows else initial_states for c in chunks]


def _chunk_params(params: dict, chunk: Chunk, initial_states, split: bool) -> dict:
    if not split:
        return {k: v for k, v in params.items() if v is not None}
    call = {**params, "num_reads": chunk.size, "seed": chunk.seed, "initial_states": initial_states}
    return {k: v for k, v in call.items() if v is not None}


def _deadline(params: Mapping[str, Any]) -> float | None:
    limit = params.get("time_limit")
    return None if limit is None else time.time() + float(limit)


def _budget(params: dict, deadline: float | None, share: int) -> dict:
    """``params`` with ``time_limit`` cut to this chunk's share of the time left before ``deadline``."""
    if deadline is None or params.get("time_limit") is None:
        return params
    left = max(0.0, deadline - time.time()) / max(1, share)
    return {**params, "time_limit": min(float(params["time_limit"]), left)}


def _sample_with(sampler, bqm, params: dict, deadline: float | None, share: int) -> dimod.SampleSet:
    return sampler.sample(bqm, **_budget(params, deadline, share))


def _merge_samplesets(parts: list[dimod.SampleSet], chunks: list[Chunk]) -> dimod.SampleSet:
    if len(parts) == 1:
        return parts[0]
    for part, chunk in zip(parts, chunks):
        if "read" in part.record.dtype.names:  # SQA return_all_slices: number reads across the request
            part.record["read"] += chunk.start
    merged = dimod.concatenate(parts)
    merged.info.clear()
    merged.info.update(_merge_info([dict(p.info) for p in parts], [c.size for c in chunks]))
    return merged


def _merge_info(infos: list[dict], weights: list[int]) -> dict:
    """First chunk's info, with timings summed, early stops or-ed, sweep counts at their minimum and
    rates averaged over reads."""
    merged = dict(infos[0])
    for key, value in infos[0].items():
        values = [info.get(key) for info in infos]
        if key == "timing":
            merged[key] = {name: sum(int(t.get(name, 0)) for t in values) for name in value}
        elif key == "stopped_early":
            merged[key] = any(bool(v) for v in values)
        elif key.startswith("num_sweeps") and all(isinstance(v, (int, np.integer)) for v in values):
            merged[key] = int(min(values))
        elif key.endswith("_rate") and all(isinstance(v, (float, int)) for v in values):
            merged[key] = float(np.average(values, weights=weights))
    return merged


def _merge_tours(parts: list[TourResult], params: dict) -> TourResult:
    if len(parts) == 1:
        return parts[0]
    best = min(range(len(parts)), key=lambda c: (parts[c].length, c))
    lengths = [length for part in parts for length in part.restart_lengths]
    info = _merge_info([p.info for p in parts], [len(p.restart_lengths) for p in parts])
    used = {**parts[0].params, "num_restarts": len(lengths), "seed": params["seed"]}
    return dataclasses.replace(parts[best], restart_lengths=lengths, info=info, params=used)


def _execution_info(settings: Settings, chunks: list[Chunk], started: int) -> dict:
    return {"executor": settings.executor, "chunks": len(chunks), "chunk_reads": settings.chunk_reads,
            "wall_ns": time.perf_counter_ns() - started}


# --- Dask ---------------------------------------------------------------------------------------------------------

_CLIENTS: dict[str, Any] = {}
_CLIENTS_LOCK = threading.Lock()


def dask_status(address: str) -> tuple[bool, dict]:
    """``(ready, details)`` of the cluster for the health check: reachable and at least one worker."""
    try:
        workers = len(dask_client(address, timeout=2).nthreads())
    except RequestError as err:
        return False, {"executor": "dask", "scheduler": address, "error": err.message}
    except (OSError, TimeoutError) as err:
        return False, {"executor": "dask", "scheduler": address, "error": str(err)}
    details = {"executor": "dask", "scheduler": address, "workers": workers}
    if not workers:
        details["error"] = "the cluster has no workers"
    return workers > 0, details


def dask_client(address: str, timeout: float = 10):
    """This process's client of the scheduler at ``address``, connected on first use."""
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(address)
        if client is not None and client.status in ("running", "connecting"):
            return client
        try:
            from distributed import Client
        except ImportError:
            raise RequestError("executor", "LANDSCAPE_EXECUTOR=dask needs the 'distributed' package: "
                               "pip install 'landscape[dask]'", status=503) from None
        try:
            client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as err:
            raise RequestError("executor", f"cannot reach the Dask scheduler at {address}: {err}", status=503,
                               headers=_RETRY_AFTER) from None
        _CLIENTS[address] = client
        return client


def close_dask_client(address: str) -> None:
    """Disconnect this process's client of ``address`` (the scheduler then releases its futures)."""
    with _CLIENTS_LOCK:
        client = _CLIENTS.pop(address, None)
    if client is not None:
        client.close()


def _dask_run(settings: Settings, task: Callable, shared: tuple, per_chunk: list[tuple],
              deadline: float | None) -> list:
    """``task(*shared, *per_chunk[c])`` for every chunk on the cluster, results in chunk order.

    The model in ``shared`` is scattered once and moved to each worker at most
    once. Waits until the request's deadline plus ``settings.dask_timeout``, and
    fails early when the cluster has had no workers for ``NO_WORKERS_GRACE_S``.
    Whatever happens, the futures are released, so the scheduler drops queued chunks.
    """
    from distributed import CancelledError, KilledWorker, wait

    client = dask_client(settings.dask_scheduler)
    token = uuid.uuid4().hex[:12]
    data, chunks = [], []
    try:
        _wait_for_workers(client, settings)
        shared = list(shared)
        for i, value in enumerate(shared):
            if isinstance(value, (dict, np.ndarray)):
                shared[i] = client.scatter([value], hash=False)[0]
                data.append(shared[i])
        keys = [f"landscape-{task.__name__}-{token}-{c}" for c in range(len(per_chunk))]
        chunks = client.map(task, *[[x] * len(per_chunk) for x in shared], *zip(*per_chunk),
                            key=keys, pure=False, retries=1)
        end = time.monotonic() + settings.dask_timeout + (0.0 if deadline is None else max(0.0, deadline - time.time()))
        workerless_since = None
        while True:
            try:
                with client.as_current():
                    wait(chunks, timeout=_POLL_S)
                break
            except TimeoutError:
                pass
            now = time.monotonic()
            if now > end:
                raise RequestError("executor", f"the Dask cluster did not finish the {len(chunks)} chunks in time "
                                   f"(time limit + {settings.dask_timeout:g} s)", status=504)
            if client.status not in ("running", "connecting"):
                raise RequestError("executor", "lost the connection to the Dask scheduler", status=503,
                                   headers=_RETRY_AFTER)
            if client.nthreads():
                workerless_since = None
            elif workerless_since is None:
                workerless_since = now
            elif now - workerless_since > NO_WORKERS_GRACE_S:
                raise _no_workers(settings)
        return client.gather(chunks)
    except KilledWorker:
        raise RequestError("executor", "a chunk was lost with its Dask worker too many times (KilledWorker); "
                           "it may be crashing the workers", status=503) from None
    except CancelledError:
        raise RequestError("executor", "the Dask scheduler cancelled the chunks (did it restart?)",
                           status=503, headers=_RETRY_AFTER) from None
    except (OSError, TimeoutError) as err:
        raise RequestError("executor", f"the Dask scheduler connection failed: {err}", status=503,
                           headers=_RETRY_AFTER) from None
    finally:
        futures = [*chunks, *data]
        if futures:
            try:
                client.cancel(futures)
            except Exception:  # the connection is already gone: the scheduler releases them itself
                pass


def _wait_for_workers(client, settings: Settings) -> None:
    """Return once the cluster has a worker; 503 naming the problem after ``NO_WORKERS_GRACE_S`` without one."""
    deadline = time.monotonic() + NO_WORKERS_GRACE_S
    while not client.nthreads():
        if time.monotonic() > deadline:
            raise _no_workers(settings)
        time.sleep(_POLL_S)


def _no_workers(settings: Settings) -> RequestError:
    return RequestError("executor", f"the Dask cluster at {settings.dask_scheduler} has had no workers for "
                        f"{NO_WORKERS_GRACE_S:g} s", status=503, headers=_RETRY_AFTER)
