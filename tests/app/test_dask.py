"""Chunked execution: the chunk plan, and a real Dask scheduler + two workers giving the local results.

The cluster is made of real processes on loopback (``dask scheduler``, ``dask worker`` with its nanny, as
docs/scaling.md runs them), so killing a worker process is a real lost worker (the nanny starts a fresh one),
and the service talks to it like to a remote cluster.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dimod
import httpx
import numpy as np
import pytest

from app import execution
from app.config import Settings
from app.pipeline import solve
from energy.rng import stream_seeds
from live_server import ROOT, ServerProcess, free_port
from solvers.path_integral import PathIntegralAnnealingSampler
from solvers.simulated_annealing import SimulatedAnnealingSampler
from solvers.tour import TourAnnealer

DASK = str(Path(sys.executable).with_name("dask"))
CHUNK = 4


def ring_bqm(n=12, seed=0):
    rng = np.random.default_rng(seed)
    couplings = {(i, (i + 1) % n): float(rng.choice([-1.0, 1.0])) for i in range(n)}
    couplings.update({(i, (i + 5) % n): float(rng.normal()) for i in range(0, n, 2)})
    return dimod.BQM({i: float(rng.normal(0, 0.3)) for i in range(n)}, couplings, 0.5, "SPIN")


def same_samples(a: dimod.SampleSet, b: dimod.SampleSet) -> bool:
    return (list(a.variables) == list(b.variables) and np.array_equal(a.record.sample, b.record.sample)
            and np.array_equal(a.record.energy, b.record.energy))


# --- the chunk plan (no cluster) ----------------------------------------------------------------------------------

def test_plan_covers_the_reads_with_derived_seeds():
    chunks = execution.plan_chunks(19, 4, seed=11)
    assert [(c.start, c.stop) for c in chunks] == [(0, 4), (4, 8), (8, 12), (12, 16), (16, 19)]
    assert [c.seed for c in chunks] == [int(s) for s in stream_seeds(11, 5)]
    assert execution.plan_chunks(4, 4, seed=11) == [execution.Chunk(0, 0, 4, 11)]


@pytest.mark.parametrize("sampler_name, sampler", [("sa", SimulatedAnnealingSampler()),
                                                   ("sqa", PathIntegralAnnealingSampler())])
def test_chunks_are_independent_calls_concatenated(sampler_name, sampler):
    bqm = ring_bqm()
    params = {"num_reads": 10, "num_sweeps": 30, "seed": 5}
    merged = execution.sample(sampler_name, sampler, bqm, params, Settings(chunk_reads=CHUNK))
    seeds = stream_seeds(5, 3)
    parts = [sampler.sample(bqm, num_reads=r, num_sweeps=30, seed=int(s)) for r, s in zip([4, 4, 2], seeds)]
    assert same_samples(merged, dimod.concatenate(parts))
    assert merged.info["execution"]["chunks"] == 3 and merged.info["seed"] == 5
    assert set(merged.info["timing"]) >= {"preprocessing_ns", "sampling_ns", "postprocessing_ns"}
    dimod.testing.assert_sampleset_energies(merged, bqm)


def test_one_chunk_is_the_plain_call():
    bqm = ring_bqm()
    sampler = SimulatedAnnealingSampler()
    params = {"num_reads": CHUNK, "num_sweeps": 30, "seed": 9}
    assert same_samples(execution.sample("sa", sampler, bqm, params, Settings(chunk_reads=CHUNK)),
                        sampler.sample(bqm, **params))


def test_a_drawn_seed_is_reported_and_reproduces():
    bqm = ring_bqm()
    sampler = SimulatedAnnealingSampler()
    first = execution.sample("sa", sampler, bqm, {"num_reads": 10, "num_sweeps": 30}, Settings(chunk_reads=CHUNK))
    seed = first.info["seed"]
    assert isinstance(seed, int) and 0 <= seed < 2**53
    again = execution.sample("sa", sampler, bqm, {"num_reads": 10, "num_sweeps": 30, "seed": seed},
                             Settings(chunk_reads=CHUNK))
    assert same_samples(first, again)


def test_initial_states_are_split_as_the_sampler_tiles_them():
    bqm = ring_bqm()
    sampler = SimulatedAnnealingSampler()
    states = np.where(np.random.default_rng(1).random((3, 12)) < 0.5, -1, 1).astype(np.int8)
    params = {"num_reads": 7, "num_sweeps": 1, "beta_range": [50.0, 50.0], "seed": 2,
              "initial_states": (states, list(range(12)))}
    merged = execution.sample("sa", sampler, bqm, params, Settings(chunk_reads=CHUNK))
    tiled = states[np.arange(7) % 3]
    parts = [sampler.sample(bqm, num_reads=len(rows), num_sweeps=1, beta_range=[50.0, 50.0], seed=int(s),
                            initial_states=(rows, list(range(12))))
             for rows, s in zip([tiled[:4], tiled[4:]], stream_seeds(2, 2))]
    assert same_samples(merged, dimod.concatenate(parts))


def test_merged_info_sums_timings_and_keeps_the_weakest_counts():
    infos = [{"timing": {"sampling_ns": 5}, "stopped_early": False, "num_sweeps_completed": 100,
              "acceptance_rate": 0.5, "beta_range": [0.1, 3.0]},
             {"timing": {"sampling_ns": 7}, "stopped_early": True, "num_sweeps_completed": 40,
              "acceptance_rate": 0.2, "beta_range": [0.1, 3.0]}]
    merged = execution._merge_info(infos, [3, 1])
    assert merged == {"timing": {"sampling_ns": 12}, "stopped_early": True, "num_sweeps_completed": 40,
                      "acceptance_rate": pytest.approx(0.425), "beta_range": [0.1, 3.0]}


def test_tour_restarts_are_chunked():
    rng = np.random.default_rng(3)
    points = rng.random((15, 2)) * 100
    distance = np.round(np.hypot(*(points[:, None] - points[None]).transpose(2, 0, 1)))
    params = {"num_restarts": 10, "num_sweeps": 200, "seed": 4}
    result = execution.solve_tour(distance, params, Settings(chunk_reads=CHUNK))
    parts = [TourAnnealer().solve(distance, num_restarts=r, num_sweeps=200, seed=int(s))
             for r, s in zip([4, 4, 2], stream_seeds(4, 3))]
    assert result.restart_lengths == [x for p in parts for x in p.restart_lengths]
    assert result.length == min(p.length for p in parts)
    order = np.array(result.tour)
    assert sorted(result.tour) == list(range(15))
    assert result.length == distance[order, np.roll(order, -1)].sum()


def test_dask_executor_needs_a_scheduler_address():
    with pytest.raises(ValueError, match="LANDSCAPE_DASK_SCHEDULER"):
        Settings(executor="dask")


# --- a real cluster -----------------------------------------------------------------------------------------------

class DaskCluster:
    """``dask scheduler`` and ``dask worker`` processes (one task thread each) on loopback."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.scheduler = self._start([DASK, "scheduler", "--host", "127.0.0.1", "--port",
                                     self.address.rsplit(":", 1)[1], "--no-dashboard"], "scheduler")
        self.workers: list[subprocess.Popen] = []

    def _start(self, command, name) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")
        return subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def add_worker(self) -> subprocess.Popen:
        worker = self._start([DASK, "worker", self.address, "--nworkers", "1", "--nthreads", "1",
                              "--no-dashboard", "--preload", "app.execution"], f"worker{len(self.workers)}")
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = DaskCluster(tmp_path_factory.mktemp("dask"))
    try:
        running.add_worker()
        running.add_worker()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def observer(cluster):
    """The test's own client: watches the scheduler, never submits."""
    from distributed import Client

    deadline = time.monotonic() + 30
    while True:
        try:
            client = Client(cluster.address, timeout=5, set_as_default=False)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    client.wait_for_workers(2, timeout=60)
    yield client
    client.close()


@pytest.fixture(scope="module")
def dask_server(cluster, observer, tmp_path_factory):
    db = tmp_path_factory.mktemp("dask-server") / "landscape.db"
    with ServerProcess(db, LANDSCAPE_EXECUTOR="dask", LANDSCAPE_DASK_SCHEDULER=cluster.address,
                       LANDSCAPE_CHUNK_READS=str(CHUNK)) as running:
        with httpx.Client(base_url=running.url, timeout=60) as http:
            yield http


def wire(result: dict) -> dict:
    """A result as the server sends it (tuples become lists)."""
    return json.loads(json.dumps(result))


def wait_for(http, job_id, statuses=("COMPLETED", "FAILED", "CANCELLED"), timeout=60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = http.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in statuses:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")


def landscape_tasks(observer) -> dict[str, str]:
    """Chunk tasks the scheduler knows, by key, with their state."""
    return observer.run_on_scheduler(lambda dask_scheduler: {
        str(key): task.state for key, task in dask_scheduler.tasks.items() if "landscape-" in str(key)})


def scheduler_keys(observer) -> list[str]:
    return observer.run_on_scheduler(lambda dask_scheduler: [str(key) for key in dask_scheduler.tasks])


MAXCUT = {"type": "maxcut", "edges": [[i, (i * 7 + 3) % 40, 1 + i % 3] for i in range(40)] +
          [[i, i + 1, 1] for i in range(39)]}
LOCAL = Settings(chunk_reads=CHUNK)
JOB_TIME = LOCAL.max_job_time_limit  # the time cap the service gives jobs: never binding here


def test_sa_job_on_dask_equals_local(dask_server):
    body = {"problem": MAXCUT, "solver": "sa", "params": {"num_reads": 32, "num_sweeps": 300, "seed": 21},
            "return_samples": 32}
    job = wait_for(dask_server, dask_server.post("/v1/jobs", json=body).json()["id"])
    assert job["status"] == "COMPLETED", job
    local = wire(solve(MAXCUT, "sa", body["params"], 32, LOCAL, JOB_TIME))
    remote = job["result"]
    assert remote["info"]["execution"] == {**remote["info"]["execution"], "executor": "dask", "chunks": 8}
    assert local["info"]["execution"]["executor"] == "local"
    assert remote["samples"] == local["samples"] and remote["energy"] == local["energy"]
    assert remote["answer"] == local["answer"]


def test_tour_job_on_dask_equals_local(dask_server):
    tsplib = (ROOT / "tests/data/tsplib/burma14.tsp").read_text()
    body = {"problem": {"type": "tsp", "tsplib": tsplib}, "solver": "tour",
            "params": {"num_restarts": 8, "num_sweeps": 300, "seed": 8}}
    job = wait_for(dask_server, dask_server.post("/v1/jobs", json=body).json()["id"])
    assert job["status"] == "COMPLETED", job
    local = wire(solve(body["problem"], "tour", body["params"], 0, LOCAL, JOB_TIME))
    remote = job["result"]
    assert remote["info"]["execution"]["chunks"] == 2 and remote["info"]["execution"]["executor"] == "dask"
    assert remote["answer"] == local["answer"] and remote["info"]["restart_lengths"] == local["info"]["restart_lengths"]


def test_sync_solve_without_seed_reports_one_that_reproduces(dask_server):
    body = {"problem": MAXCUT, "solver": "sqa", "params": {"num_reads": 6, "num_sweeps": 50}, "return_samples": 6}
    answer = dask_server.post("/v1/solve", json=body)
    assert answer.status_code == 200, answer.text
    seed = answer.json()["info"]["seed"]
    local = wire(solve(MAXCUT, "sqa", {**body["params"], "seed": seed}, 6, LOCAL, JOB_TIME))
    assert answer.json()["samples"] == local["samples"]


HEAVY = {"type": "maxcut", "edges": [[i, (i * 7 + 13) % 400, 1] for i in range(400) if i != (i * 7 + 13) % 400]}


def worker_processes(observer) -> dict[str, tuple[int, int]]:
    """Every answering worker's address -> (process id, chunks executing now); a worker that is just ending
    itself (a cancelled chunk) or starting is left out."""
    return observer.run(lambda dask_worker: (os.getpid(), len(dask_worker.state.executing)), on_error="ignore")


def test_hopfield_batch_recall_on_dask_equals_local(dask_server):
    from neural.hopfield import HopfieldNetwork

    patterns = np.random.default_rng(8).choice([-1, 1], size=(10, 150))
    network_id = dask_server.post("/v1/hopfield/networks", json={"patterns": patterns.tolist()}).json()["id"]
    body = {"pattern_indices": list(range(10)) * 60, "corruption": 0.2, "mode": "sync", "seed": 12}
    answer = dask_server.post(f"/v1/hopfield/networks/{network_id}/recall_batch", json=body)
    assert answer.status_code == 200, answer.text
    remote = answer.json()
    assert remote["info"]["execution"]["executor"] == "dask" and remote["info"]["execution"]["chunks"] == 3
    local = HopfieldNetwork.from_patterns(patterns).recall_batch(
        pattern_indices=body["pattern_indices"], corruption=0.2, mode="sync", seed=12)
    assert [r["state"] for r in remote["results"]] == [r.state.tolist() for r in local]
    assert [r["seed"] for r in remote["results"]] == [r.seed for r in local]


def test_cancelling_a_job_stops_its_running_chunks_and_drops_the_rest(dask_server, observer):
    # every chunk would run for tens of seconds: only stopping the running ones frees the workers quickly
    body = {"problem": HEAVY, "solver": "sa", "params": {"num_reads": 4 * CHUNK * 20, "num_sweeps": 500_000,
                                                         "seed": 1}}
    job_id = dask_server.post("/v1/jobs", json=body).json()["id"]
    wait_for(dask_server, job_id, statuses=("IN_PROGRESS",))
    deadline = time.monotonic() + 60
    while sum(busy for _, busy in worker_processes(observer).values()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    running = worker_processes(observer)
    assert sum(busy for _, busy in running.values()) == 2 and len(landscape_tasks(observer)) > 10
    assert dask_server.delete(f"/v1/jobs/{job_id}").json()["status"] == "CANCELLED"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = worker_processes(observer)
        if not scheduler_keys(observer) and len(now) == 2 and not any(busy for _, busy in now.values()):
            break
        time.sleep(0.2)
    assert scheduler_keys(observer) == []  # the queued chunks and the scattered model alike
    now = worker_processes(observer)
    assert len(now) == 2 and not any(busy for _, busy in now.values())
    before = {pid for pid, _ in running.values()}
    assert before.isdisjoint(pid for pid, _ in now.values())  # the running chunks' processes were replaced


def test_a_worker_killed_mid_job_is_retried_and_the_result_unchanged(dask_server, observer, cluster):
    observer.wait_for_workers(2, timeout=60)
    params = {"num_reads": 6 * CHUNK, "num_sweeps": 1500, "seed": 3}
    body = {"problem": HEAVY, "solver": "sa", "params": params, "return_samples": 8}
    job_id = dask_server.post("/v1/jobs", json=body).json()["id"]
    victim = None
    deadline = time.monotonic() + 30
    while victim is None and time.monotonic() < deadline:  # wait until a worker runs a chunk
        busy = observer.run_on_scheduler(lambda dask_scheduler: [
            (ws.address, ws.pid) for ws in dask_scheduler.workers.values()
            if any("landscape-" in str(t.key) for t in ws.processing)])
        victim = busy[0] if busy else None
        time.sleep(0.02)
    assert victim, "no worker ever got a chunk"
    victim_address, victim_pid = victim
    os.kill(victim_pid, signal.SIGKILL)  # the worker process itself; its nanny starts a new one
    started = time.monotonic()
    job = wait_for(dask_server, job_id, timeout=60)
    assert job["status"] == "COMPLETED", job
    assert time.monotonic() - started < 60
    assert victim_address not in observer.scheduler_info(n_workers=-1)["workers"]
    local = wire(solve(HEAVY, "sa", params, 8, LOCAL, JOB_TIME))
    assert job["result"]["samples"] == local["samples"]


def test_health_reports_the_cluster(dask_server, cluster, observer):
    observer.wait_for_workers(2, timeout=60)
    health = dask_server.get("/v1/health").json()
    assert health["status"] == "ok"
    assert health["execution"] == {"executor": "dask", "scheduler": cluster.address, "workers": 2}


def test_an_unreachable_scheduler_is_unready_and_answers_503_with_retry_after(tmp_path):
    nowhere = f"tcp://127.0.0.1:{free_port()}"
    server = ServerProcess(tmp_path / "nowhere.db", LANDSCAPE_EXECUTOR="dask", LANDSCAPE_DASK_SCHEDULER=nowhere,
                           LANDSCAPE_WORKERS="1").start(wait=False)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            deadline = time.monotonic() + 180
            health = None
            while time.monotonic() < deadline:
                try:
                    response = http.get("/v1/health")
                    health = response.json()
                    if health["workers"]["ready"]:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
            assert response.status_code == 503 and health["status"] == "unavailable"
            assert health["execution"]["scheduler"] == nowhere and health["execution"]["error"]
            assert response.headers["retry-after"]
            answer = http.post("/v1/solve", json={"problem": MAXCUT, "solver": "sa", "params": {"num_reads": 2}})
            assert answer.status_code == 503 and answer.json()["field"] == "executor"
            assert nowhere in answer.json()["message"] and answer.headers["retry-after"]
    finally:
        server.stop()
