"""The real server over a real socket: answers checked against brute force and published optima."""

from __future__ import annotations

import itertools
import time

import dimod
import httpx
import numpy as np
import pytest

from live_server import ServerProcess
from problems import QuboProblem


def brute_force_maxcut(edges):
    nodes = sorted({u for e in edges for u in e[:2]})
    best = 0.0
    for bits in itertools.product([0, 1], repeat=len(nodes)):
        side = dict(zip(nodes, bits))
        best = max(best, sum((e[2] if len(e) > 2 else 1) for e in edges if side[e[0]] != side[e[1]]))
    return best


def wait_for(http, job_id, statuses=("COMPLETED", "FAILED", "CANCELLED"), timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = http.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in statuses:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")


def test_health_and_solvers(http):
    # ready as soon as one worker is warm; the second finishes its warm-up shortly after
    deadline = time.monotonic() + 60
    while (health := http.get("/v1/health").json())["workers"]["ready"] < 2 and time.monotonic() < deadline:
        assert health["status"] == "ok" and health["workers"]["ready"] >= 1
        time.sleep(0.1)
    assert health["status"] == "ok" and health["database"] and health["workers"]["ready"] == 2
    assert health["workers"]["alive"] == health["workers"]["workers"] == 2
    names = {s["name"] for s in http.get("/v1/solvers").json()["solvers"]}
    assert {"auto", "sa", "sqa", "statevector", "exact", "tour"} <= names


def test_maxcut_solve_matches_brute_force(http):
    rng = np.random.default_rng(3)
    edges = [[int(u), int(v), float(rng.integers(1, 5))] for u, v in itertools.combinations(range(11), 2)
             if rng.random() < 0.4]
    body = {"problem": {"type": "maxcut", "edges": edges}, "solver": "sa",
            "params": {"num_reads": 16, "seed": 7}, "return_samples": 3}
    result = http.post("/v1/solve", json=body).json()
    assert result["solver"] == "sa" and result["feasible"]
    assert result["answer"]["cut"] == brute_force_maxcut(edges)
    total = sum(e[2] for e in edges)
    assert result["answer"]["cut"] == pytest.approx((total - result["energy"]) / 2)
    samples = dimod.SampleSet.from_serializable(result["samples"])
    assert len(samples) <= 3 and samples.first.energy == pytest.approx(result["energy"])
    assert set(result["info"]["timing"]) >= {"preprocessing_ns", "sampling_ns", "postprocessing_ns"}


def test_partition_solve_matches_brute_force(http):
    numbers = [31, 7, 19, 4, 26, 12, 9, 15, 3, 22]
    best = min(abs(sum(n if b else -n for n, b in zip(numbers, bits)))
               for bits in itertools.product([0, 1], repeat=len(numbers)))
    result = http.post("/v1/solve", json={"problem": {"type": "partition", "numbers": numbers},
                                          "solver": "auto"}).json()
    assert result["solver"] == "exact"
    assert result["answer"]["difference"] == best
    assert sorted(result["answer"]["subsets"][0] + result["answer"]["subsets"][1]) == sorted(numbers)


def test_beasley_qubo_reaches_published_optimum(http, data_dir):
    bqm = QuboProblem.from_beasley(data_dir / "bqp" / "bqp50-1.sparse").to_bqm()
    body = {"problem": {"type": "qubo", "bqm": bqm.to_serializable()}, "solver": "sa",
            "params": {"num_reads": 32, "num_sweeps": 2000, "seed": 1}}
    result = http.post("/v1/solve", json=body).json()
    assert result["energy"] == -2098  # manifest.csv best known (optimal)
    sample = {int(k): v for k, v in result["answer"]["sample"].items()}
    assert bqm.energy(sample) == -2098


def test_tsp_native_route_reaches_optimum(http, data_dir):
    text = (data_dir / "tsplib" / "burma14.tsp").read_text()
    result = http.post("/v1/solve", json={"problem": {"type": "tsp", "tsplib": text}, "params": {"seed": 2}}).json()
    assert result["solver"] == "tour" and result["answer"]["length"] == 3323


def test_compile_returns_the_bqm(http):
    body = {"problem": {"type": "maxcut", "edges": [[0, 1, 2.0], [1, 2]]}}
    compiled = http.post("/v1/compile", json=body).json()
    bqm = dimod.BinaryQuadraticModel.from_serializable(compiled["bqm"])
    assert bqm.quadratic[(0, 1)] == 2.0 and compiled["num_variables"] == 3


def test_job_lifecycle(http):
    body = {"problem": {"type": "maxcut", "edges": [[0, 1], [1, 2], [2, 3], [3, 0]]}, "solver": "sa",
            "params": {"seed": 1, "num_reads": 4}}
    created = http.post("/v1/jobs", json=body)
    assert created.status_code == 202 and created.json()["status"] == "PENDING"
    job = wait_for(http, created.json()["id"])
    assert job["status"] == "COMPLETED" and job["result"]["answer"]["cut"] == 4
    assert job["started_at"] >= job["created_at"] and job["finished_at"] >= job["started_at"]
    listed = http.get("/v1/jobs", params={"status": "COMPLETED"}).json()
    assert job["id"] in [j["id"] for j in listed["jobs"]]
    assert http.delete(f"/v1/jobs/{job['id']}").status_code == 409


def _long_job(http) -> str:
    edges = [[i, (i * 7 + 13) % 2000, 1] for i in range(2000) if i != (i * 7 + 13) % 2000]
    body = {"problem": {"type": "maxcut", "edges": edges}, "solver": "sa",
            "params": {"num_reads": 2, "num_sweeps": 1_000_000, "beta_schedule_type": "linear",
                       "time_limit": 600}}
    return http.post("/v1/jobs", json=body).json()["id"]


def test_cancel_running_job_stops_its_worker(http):
    replaced_before = http.get("/v1/health").json()["workers"]["replaced"]
    job_id = _long_job(http)
    wait_for(http, job_id, statuses=("IN_PROGRESS",))
    cancelled = http.delete(f"/v1/jobs/{job_id}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"
    again = http.delete(f"/v1/jobs/{job_id}")  # idempotent: a retried cancel is not a conflict
    assert again.status_code == 200 and again.json() == cancelled.json()
    assert http.get("/v1/health").json()["workers"]["replaced"] == replaced_before + 1
    # the pool is whole again and later jobs run
    deadline = time.monotonic() + 60
    while http.get("/v1/health").json()["workers"]["ready"] < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    small = http.post("/v1/jobs", json={"problem": {"type": "partition", "numbers": [1, 2, 3]}}).json()
    assert wait_for(http, small["id"])["status"] == "COMPLETED"


def test_results_survive_a_server_crash(tmp_path):
    db = tmp_path / "crash.db"
    body = {"problem": {"type": "partition", "numbers": [5, 6, 7, 8, 10]}, "solver": "exact"}
    with ServerProcess(db) as first:
        with httpx.Client(base_url=first.url, timeout=60) as http:
            done = http.post("/v1/jobs", json=body).json()["id"]
            assert wait_for(http, done)["status"] == "COMPLETED"
            running = _long_job(http)
            wait_for(http, running, statuses=("IN_PROGRESS",))
        first.kill()  # SIGKILL: no shutdown handlers run
    with ServerProcess(db) as second:
        with httpx.Client(base_url=second.url, timeout=60) as http:
            kept = http.get(f"/v1/jobs/{done}").json()
            assert kept["status"] == "COMPLETED" and kept["result"]["answer"]["difference"] == 0
            interrupted = http.get(f"/v1/jobs/{running}").json()
            assert interrupted["status"] == "FAILED" and "server stopped" in interrupted["error"]


def test_docs_offer_a_working_example_for_every_problem_type(http):
    """/docs pre-fills POST /v1/solve with these (a Max-Cut first): each must solve as shown."""
    examples = http.get("/openapi.json").json()["paths"]["/v1/solve"]["post"]["requestBody"]["content"][
        "application/json"]["examples"]
    assert next(iter(examples)) == "maxcut"
    assert {example["value"]["problem"]["type"] for example in examples.values()} == {
        "maxcut", "partition", "tsp", "qubo", "ising"}
    for name, example in examples.items():
        answer = http.post("/v1/solve", json=example["value"])
        assert answer.status_code == 200 and answer.json()["feasible"], (name, answer.text)
