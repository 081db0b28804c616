"""Hopfield and predictive-coding endpoints over the real server."""

from __future__ import annotations

import time

import httpx
import numpy as np
from sklearn.datasets import load_digits


def wait_job(http, job_id, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = http.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} not finished")


def test_hopfield_store_recall_and_delete(http):
    patterns = np.random.default_rng(0).choice([-1, 1], size=(5, 100))
    created = http.post("/v1/hopfield/networks", json={"patterns": patterns.tolist(), "rule": "storkey"})
    assert created.status_code == 201, created.text
    info = created.json()
    assert info["num_neurons"] == 100 and info["num_patterns"] == 5 and info["alpha"] == 0.05
    assert info["capacity_warning"] is None
    recalled = http.post(f"/v1/hopfield/networks/{info['id']}/recall",
                         json={"pattern_index": 3, "corruption": 0.1, "seed": 4}).json()
    assert recalled["matched_pattern"] == 3 and recalled["kind"] == "stored" and recalled["converged"]
    assert recalled["state"] == patterns[3].tolist()
    assert len(recalled["overlaps"]) == 5 and recalled["overlaps"][3] == 1.0
    trajectory = recalled["energy_trajectory"]
    assert all(b <= a + 1e-9 for a, b in zip(trajectory, trajectory[1:]))  # async, T = 0: never uphill
    cue = patterns[1].copy()
    cue[:8] *= -1
    by_cue = http.post(f"/v1/hopfield/networks/{info['id']}/recall", json={"cue": cue.tolist()}).json()
    assert by_cue["matched_pattern"] == 1
    assert http.get(f"/v1/hopfield/networks/{info['id']}").json()["rule"] == "storkey"
    assert http.delete(f"/v1/hopfield/networks/{info['id']}").status_code == 204
    assert http.post(f"/v1/hopfield/networks/{info['id']}/recall", json={"pattern_index": 0}).status_code == 404


def test_hopfield_images_capacity_warning_and_bad_input(http):
    images = np.random.default_rng(1).choice([0, 1], size=(3, 8, 8))
    info = http.post("/v1/hopfield/networks", json={"patterns": images.tolist()}).json()
    assert info["shape"] == [8, 8] and info["encoding"] == "binary"
    state = http.post(f"/v1/hopfield/networks/{info['id']}/recall", json={"pattern_index": 2}).json()["state"]
    assert state == images[2].tolist()
    overloaded = np.random.default_rng(2).choice([-1, 1], size=(20, 50))
    warned = http.post("/v1/hopfield/networks", json={"patterns": overloaded.tolist()}).json()
    assert warned["alpha"] == 0.4 and "0.138" in warned["capacity_warning"]
    ragged = http.post("/v1/hopfield/networks", json={"patterns": [[1, -1, 1], [1, -1]]})
    assert ragged.status_code == 400 and "patterns" in ragged.json()["field"]
    bad_cue = http.post(f"/v1/hopfield/networks/{info['id']}/recall", json={"cue": [1, 0, 1]})
    assert bad_cue.status_code == 400 and "cue" in bad_cue.json()["field"]
    both = http.post(f"/v1/hopfield/networks/{info['id']}/recall", json={"cue": [1] * 64, "pattern_index": 0})
    assert both.status_code == 400


def test_predictive_coding_train_job_and_infer(http):
    digits = load_digits()
    x = digits.data / 16.0
    y = digits.target
    created = http.post("/v1/pc/models", json={"layers": [64, 32, 10], "activation": "tanh", "seed": 0, "learning_rate": 0.01})
    assert created.status_code == 201, created.text
    model = created.json()
    job = http.post(f"/v1/pc/models/{model['id']}/train",
                    json={"inputs": x[:1400].tolist(), "labels": y[:1400].tolist(), "epochs": 8})
    assert job.status_code == 202
    done = wait_job(http, job.json()["id"])
    assert done["status"] == "COMPLETED", done
    assert done["progress"]["epoch"] == 8 and len(done["result"]["history"]) == 8
    assert http.get(f"/v1/pc/models/{model['id']}").json()["epochs_trained"] == 8
    inferred = http.post(f"/v1/pc/models/{model['id']}/infer", json={"inputs": x[1400:].tolist()}).json()
    assert np.array(inferred["predictions"]).shape == (397, 10)
    accuracy = np.mean(np.array(inferred["classes"]) == y[1400:])
    assert accuracy > 0.85  # held-out digits; chance is 0.1
    assert len(inferred["latents"]) == 1 and len(inferred["errors"]) == 2
    wrong = http.post(f"/v1/pc/models/{model['id']}/infer", json={"inputs": [[0.0] * 63]})
    assert wrong.status_code == 400 and "inputs" in wrong.json()["field"]
    assert http.post("/v1/pc/models", json={"layers": [64]}).status_code == 422
    assert http.delete(f"/v1/pc/models/{model['id']}").status_code == 204


def test_hopfield_batch_recall_equals_the_library_and_survives_a_restart(tmp_path):
    """A batch recall over HTTP gives what HopfieldNetwork.recall_batch gives for the same seed (cue k owns
    seed cue_seeds(seed, k)); chunking (LANDSCAPE_CHUNK_RECALLS) does not change it; networks and
    predictive-coding models persist across a restart."""
    from live_server import ServerProcess
    from neural.hopfield import HopfieldNetwork, cue_seeds

    patterns = np.random.default_rng(5).choice([-1, 1], size=(12, 120))
    local = HopfieldNetwork.from_patterns(patterns, rule="storkey")
    indices = [int(k) for k in np.random.default_rng(6).integers(0, 12, 40)]
    expected = local.recall_batch(pattern_indices=indices, corruption=0.15, temperature=0.2, max_sweeps=40, seed=77)
    body = {"pattern_indices": indices, "corruption": 0.15, "temperature": 0.2, "max_sweeps": 40, "seed": 77}
    db = tmp_path / "batch.db"
    with ServerProcess(db, LANDSCAPE_CHUNK_RECALLS="7", LANDSCAPE_WORKERS="1") as server:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            network_id = http.post("/v1/hopfield/networks", json={"patterns": patterns.tolist(),
                                                                  "rule": "storkey"}).json()["id"]
            answer = http.post(f"/v1/hopfield/networks/{network_id}/recall_batch", json=body)
            assert answer.status_code == 200, answer.text
            batch = answer.json()
            too_many = http.post(f"/v1/hopfield/networks/{network_id}/recall_batch",
                                 json={"pattern_indices": [0] * 10_001})
            assert too_many.status_code == 400 and too_many.json()["field"] == "pattern_indices"
            bad = http.post(f"/v1/hopfield/networks/{network_id}/recall_batch", json={"pattern_indices": [0, 12]})
            assert bad.status_code == 400 and bad.json()["field"] == "pattern_indices[1]"
            model_id = http.post("/v1/pc/models", json={"layers": [4, 3, 2], "seed": 1}).json()["id"]
            before = http.post(f"/v1/pc/models/{model_id}/infer", json={"inputs": [[0.1, 0.2, 0.3, 0.4]]}).json()
    assert batch["seed"] == 77 and batch["info"]["execution"]["chunks"] == 6  # ceil(40 / 7)
    assert [r["seed"] for r in batch["results"]] == cue_seeds(77, 0, 40).tolist()
    for mine, theirs in zip(batch["results"], expected):
        assert mine["state"] == theirs.state.tolist() and mine["num_sweeps"] == theirs.num_sweeps
        assert mine["energy_trajectory"] == theirs.energy_trajectory.tolist()
    with ServerProcess(db, LANDSCAPE_WORKERS="1") as restarted:  # stored networks survive a restart
        with httpx.Client(base_url=restarted.url, timeout=120) as http:
            assert http.get(f"/v1/hopfield/networks/{network_id}").json()["num_patterns"] == 12
            again = http.post(f"/v1/hopfield/networks/{network_id}/recall_batch", json=body).json()
            assert [r["state"] for r in again["results"]] == [r["state"] for r in batch["results"]]
            after = http.post(f"/v1/pc/models/{model_id}/infer", json={"inputs": [[0.1, 0.2, 0.3, 0.4]]}).json()
            assert after["predictions"] == before["predictions"]
