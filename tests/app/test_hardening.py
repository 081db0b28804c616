"""Protective limits and failure handling inside the service: the sync queue, bugs answered as 500 without a
traceback, jobs killed past their time limit, and a database that refuses writes (read-only, disk full)."""

from __future__ import annotations

import json
import logging
import sqlite3
import time

import pytest
from fastapi.testclient import TestClient

from app import store as store_module
from app.api.routes.solve import _from_task
from app.config import Settings
from app.errors import InternalError, RequestError
from app.main import create_app
from app.store import INTERRUPTED, Store
from app.workers import TaskError, WorkerPool

PARTITION = {"problem": {"type": "partition", "numbers": [3, 1, 1, 2, 2, 1]}}


def wait_until(predicate, timeout=60.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached")


def test_a_full_sync_queue_answers_429_with_retry_after(tmp_path):
    settings = Settings(db=tmp_path / "q.db", workers=1, max_sync_queue=2)
    pool = WorkerPool(Store(settings.db), settings)  # not started: nothing drains the queue
    pool.submit_sync("solve", {})
    pool.submit_sync("solve", {})
    with pytest.raises(RequestError) as err:
        pool.submit_sync("solve", {})
    assert (err.value.status, err.value.field, err.value.limit) == (429, "queue", 2)
    assert err.value.headers["Retry-After"]


def test_a_bug_is_a_500_with_a_request_id_and_the_traceback_only_in_the_log(tmp_path, caplog):
    app = create_app(Settings(db=tmp_path / "bug.db", workers=1))

    def broken():
        raise ZeroDivisionError("secret detail")

    def broken_in_a_worker():
        raise _from_task(TaskError({"status": 500, "error": "internal", "message": "internal error",
                                    "traceback": "Traceback: worker secret"}))

    app.add_api_route("/v1/broken", broken)
    app.add_api_route("/v1/broken-worker", broken_in_a_worker)
    with TestClient(app) as client, caplog.at_level(logging.ERROR, logger="landscape"):
        for path, secret in (("/v1/broken", "ZeroDivisionError"), ("/v1/broken-worker", "worker secret")):
            response = client.get(path, headers={"X-Request-ID": "abc-123"})
            assert response.status_code == 500
            body = response.json()
            assert body["error"] == "internal" and body["request_id"] == "abc-123"
            assert "secret" not in response.text and "Traceback" not in response.text
            assert response.headers["x-request-id"] == "abc-123"
            assert any(secret in record.getMessage() and "abc-123" in record.getMessage()
                       for record in caplog.records)
        odd = client.get("/v1/broken", headers={"X-Request-ID": "bad id\nwith newline"})
        assert odd.json()["request_id"] != "bad id\nwith newline"  # a malformed id is replaced, never echoed
    assert isinstance(_from_task(TaskError({"status": 500})), InternalError)
    passed_on = _from_task(TaskError({"status": 503, "field": "executor", "message": "m", "retry_after": "10"}))
    assert passed_on.status == 503 and passed_on.headers == {"Retry-After": "10"}


def test_a_job_running_past_the_time_cap_is_killed_and_failed(tmp_path):
    settings = Settings(db=tmp_path / "kill.db", workers=1, max_job_time_limit=1, job_kill_grace=0)
    # statevector evolution has no time limit of its own: 16 qubits x 10^6 steps would run for minutes
    long_job = {"problem": {"type": "maxcut", "edges": [[i, i + 1] for i in range(15)]}, "solver": "statevector",
                "params": {"num_steps": 1_000_000}}
    with TestClient(create_app(settings)) as client:
        wait_until(lambda: client.get("/v1/health").json()["workers"]["ready"] == 1, timeout=180)
        job_id = client.post("/v1/jobs", json=long_job).json()["id"]
        failed = wait_until(lambda: (job := client.get(f"/v1/jobs/{job_id}").json())["status"] == "FAILED" and job,
                            timeout=60)
        assert "time limit" in failed["error"] and "killed" in failed["error"]
        assert failed["finished_at"] - failed["started_at"] < 20
        after = client.post("/v1/jobs", json=PARTITION).json()["id"]
        done = wait_until(lambda: (job := client.get(f"/v1/jobs/{after}").json())["status"] == "COMPLETED" and job,
                          timeout=180)
        assert done["result"]["answer"]["difference"] == 0
        assert client.get("/v1/health").json()["workers"]["replaced"] >= 1


def test_a_read_only_database_at_start_up_serves_reads_and_recovers(tmp_path, monkeypatch):
    db = tmp_path / "ro.db"
    seed = Store(db)
    interrupted = seed.create_job("solve_job", PARTITION, owner=None)
    assert seed.claim_next()["id"] == interrupted  # IN_PROGRESS when the "previous process" died
    seed.close()
    real_connect = sqlite3.connect
    read_only = {"on": True}

    def connect(path, *args, **kwargs):  # what opening a file on a read-only mount gives: reads only
        if read_only["on"] and str(path) == str(db):
            return real_connect(f"file:{db}?mode=ro", *args, uri=True, **kwargs)
        return real_connect(path, *args, **kwargs)

    monkeypatch.setattr(store_module.sqlite3, "connect", connect)
    with TestClient(create_app(Settings(db=db, workers=1))) as client:
        health = client.get("/v1/health")
        assert health.status_code == 503 and "read-only" in health.json()["database_error"]
        assert health.headers["retry-after"]
        assert client.get(f"/v1/jobs/{interrupted}").json()["status"] == "IN_PROGRESS"  # reads are served
        refused = client.post("/v1/jobs", json=PARTITION)
        assert refused.status_code == 503 and refused.json()["field"] == "database"
        assert "read-only" in refused.json()["message"] and refused.headers["retry-after"]
        read_only["on"] = False  # the mount becomes writable: start-up completes by itself
        wait_until(lambda: client.get("/v1/health").status_code == 200, timeout=180)
        job = client.get(f"/v1/jobs/{interrupted}").json()
        assert job["status"] == "FAILED" and job["error"] == INTERRUPTED
        accepted = client.post("/v1/jobs", json=PARTITION).json()["id"]
        done = wait_until(lambda: (j := client.get(f"/v1/jobs/{accepted}").json())["status"] == "COMPLETED" and j)
        assert done["result"]["feasible"]


def test_a_full_disk_answers_503_keeps_results_and_heals(tmp_path):
    db = tmp_path / "full.db"
    with TestClient(create_app(Settings(db=db, workers=1))) as client:
        wait_until(lambda: client.get("/v1/health").status_code == 200, timeout=180)
        store = client.app.state.store
        first = client.post("/v1/jobs", json=PARTITION).json()["id"]
        wait_until(lambda: client.get(f"/v1/jobs/{first}").json()["status"] == "COMPLETED")
        with store._lock:  # SQLite's own page cap: every write that needs a new page fails as on a full disk
            pages = store._connect().execute("PRAGMA page_count").fetchone()[0]
            store._connect().execute(f"PRAGMA max_page_count = {pages}")
        big = {"problem": {"type": "maxcut", "edges": [[i, (i * 7 + 1) % 1000] for i in range(1000)]},
               "params": {"num_reads": 1, "num_sweeps": 10}}  # a request of several pages
        refused = client.post("/v1/jobs", json=big)
        assert refused.status_code == 503 and "disk is full" in refused.json()["message"]
        health = client.get("/v1/health")
        assert health.status_code == 503 and "full" in health.json()["database_error"]
        assert client.get(f"/v1/jobs/{first}").json()["result"]["feasible"]  # results stay readable
        with store._lock:
            store._connect().execute("PRAGMA max_page_count = 1073741823")
        wait_until(lambda: client.get("/v1/health").status_code == 200, timeout=30)
        assert client.post("/v1/jobs", json=big).status_code == 202


def test_store_writes_are_single_statements_with_a_sequence():
    store = Store(":memory:")
    ids = [store.create_job("solve", {"k": k}, owner=None) for k in range(3)]
    listed, total = store.list_jobs(None, 10, 0)
    assert total == 3 and [job["id"] for job in listed] == ids[::-1]  # newest first, by sequence
    assert json.loads(json.dumps(store.get_job(ids[0], with_request=True)))["request"] == {"k": 0}


def test_every_setting_is_documented():
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "service.md").read_text()
    missing = [name for name in Settings.model_fields if f"LANDSCAPE_{name.upper()}" not in text]
    assert not missing, f"settings missing from docs/service.md: {missing}"
