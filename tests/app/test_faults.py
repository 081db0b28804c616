"""Faults: killed workers, a killed API process, a read-only database (issue: nothing is ever lost)."""

from __future__ import annotations

import sqlite3

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from bench.reliability import api_kill_loop, worker_sigkill


def test_worker_sigkill_fails_the_job_and_the_pool_heals(tmp_path):
    result = worker_sigkill(tmp_path)
    assert result["killed_job_status"] == "FAILED"
    assert "killed by signal 9" in result["reason"]
    assert result["later_jobs_completed"] == result["later_jobs"] == 4
    assert result["workers_replaced"] >= 2


def test_api_kill_loop_loses_nothing_and_keeps_the_database_sound(tmp_path):
    result = api_kill_loop(tmp_path, iterations=3)
    assert result["integrity_check"] == "ok"
    assert result["lost"] == 0 and result["pending"] == 0 and result["in_progress"] == 0
    assert result["completed"] + result["failed"] == result["jobs"]
    assert result["completed"] > 0
    assert all("server stopped" in reason for reason in result["failed_reasons"])


def test_read_only_database_answers_503_with_a_message(tmp_path):
    db = tmp_path / "ro.db"
    app = create_app(Settings(db=db, workers=1))
    with TestClient(app) as client:
        app.state.store._db = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False,
                                              isolation_level=None)
        response = client.post("/v1/jobs", json={"problem": {"type": "partition", "numbers": [1, 2, 3]}})
        assert response.status_code == 503
        assert response.json()["field"] == "database" and "readonly" in response.json()["message"]
        assert response.headers["retry-after"]
        # reads still work and the dispatcher keeps running
        assert client.get("/v1/jobs").status_code == 200
