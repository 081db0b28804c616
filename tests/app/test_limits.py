"""Queue length and per-key job limits answer 429 with Retry-After; each API key sees only its own jobs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

EDGES = [[i, (i * 7 + 13) % 1500] for i in range(1500) if i != (i * 7 + 13) % 1500]
LONG_JOB = {"problem": {"type": "maxcut", "edges": EDGES}, "solver": "sa",
            "params": {"num_reads": 2, "num_sweeps": 1_000_000, "time_limit": 60}}


def test_queue_and_per_key_limits(tmp_path):
    settings = Settings(db=tmp_path / "limits.db", workers=1, max_queue=3, max_jobs_per_key=2, api_keys=["k1", "k2"])
    with TestClient(create_app(settings)) as client:
        k1, k2 = {"Authorization": "Bearer k1"}, {"Authorization": "Bearer k2"}
        ids = [client.post("/v1/jobs", json=LONG_JOB, headers=k1).json()["id"] for _ in range(2)]
        per_key = client.post("/v1/jobs", json=LONG_JOB, headers=k1)
        assert per_key.status_code == 429 and per_key.json()["field"] == "Authorization"
        assert per_key.json()["limit"] == 2 and per_key.headers["retry-after"]
        # k2 may still submit until the queue holds max_queue PENDING jobs (one job may be running meanwhile)
        responses = []
        while not responses or (responses[-1].status_code == 202 and len(responses) < 4):
            responses.append(client.post("/v1/jobs", json=LONG_JOB, headers=k2))
        full = responses[-1]
        assert full.status_code == 429 and full.json()["field"] == "queue" and full.json()["limit"] == 3
        assert full.headers["retry-after"]
        # each key lists, reads and cancels only its own jobs
        pending = [client.get("/v1/jobs", params={"status": "PENDING"}, headers=key).json()["total"]
                   for key in (k1, k2)]
        assert sum(pending) == 3
        own = {key["Authorization"]: {job["id"] for job in client.get("/v1/jobs", headers=key).json()["jobs"]}
               for key in (k1, k2)}
        k2_ids = [response.json()["id"] for response in responses[:-1]]
        assert own["Bearer k1"] == set(ids) and own["Bearer k2"] == set(k2_ids)
        assert client.get(f"/v1/jobs/{k2_ids[0]}", headers=k1).status_code == 404
        assert client.delete(f"/v1/jobs/{k2_ids[0]}", headers=k1).status_code == 404
        for key, job_ids in ((k1, ids), (k2, k2_ids)):
            for job_id in job_ids:
                assert client.delete(f"/v1/jobs/{job_id}", headers=key).json()["status"] == "CANCELLED"
        assert client.post("/v1/jobs", json=LONG_JOB, headers=k1).status_code == 202
