"""Hopfield and predictive-coding methods against the real server, checked against the neural library."""

from __future__ import annotations

import numpy as np
import pytest

import landscape_client as lc
from neural.hopfield import HopfieldNetwork
from neural.predictive_coding import PredictiveCodingNetwork


def test_hopfield_create_recall_delete_equal_the_library(client):
    patterns = np.random.default_rng(0).choice([-1, 1], size=(3, 64))
    network = client.create_hopfield(patterns, rule="hebbian")
    assert isinstance(network, lc.HopfieldNetwork) and network.id
    assert (network.num_neurons, network.num_patterns, network.alpha) == (64, 3, pytest.approx(3 / 64))
    assert client.hopfield(network.id).num_patterns == 3
    result = client.recall(network.id, pattern_index=1, corruption=0.1, seed=5, mode="async", temperature=0.0)
    local = HopfieldNetwork.from_patterns(patterns, "hebbian").recall(
        pattern_index=1, corruption=0.1, seed=5, mode="async", temperature=0.0)
    assert result.state == local.state.tolist()
    assert result.matched_pattern == local.matched_pattern == 1
    assert result.overlaps == pytest.approx(local.overlaps.tolist())
    assert result.energy_trajectory == pytest.approx(local.energy_trajectory.tolist())
    cue = patterns[2].copy()
    cue[:6] *= -1
    assert client.recall(network.id, cue=cue, seed=1).matched_pattern == 2
    client.delete_hopfield(network.id)
    with pytest.raises(lc.NotFoundError):
        client.recall(network.id, pattern_index=0)


def test_hopfield_batch_recall_equals_the_library(client):
    patterns = np.random.default_rng(3).choice([-1, 1], size=(4, 80))
    network = client.create_hopfield(patterns, rule="storkey")
    cues = np.random.default_rng(4).choice([-1, 1], size=(6, 80))
    batch = client.recall_batch(network.id, cues=cues, mode="sync", seed=9)
    assert isinstance(batch, lc.RecallBatch) and batch.seed == 9 and len(batch.results) == 6
    local = HopfieldNetwork.from_patterns(patterns, "storkey").recall_batch(cues, mode="sync", seed=9)
    assert [r.state for r in batch.results] == [r.state.tolist() for r in local]
    assert [r.seed for r in batch.results] == [r.seed for r in local]
    indexed = client.recall_batch(network.id, pattern_indices=[2, 0], corruption=0.1, seed=1)
    assert [r.matched_pattern for r in indexed.results] == [2, 0]
    with pytest.raises(lc.ValidationError) as caught:
        client.recall_batch(network.id, pattern_indices=[7])
    assert caught.value.field == "pattern_indices[0]"


def test_hopfield_bad_input_names_the_field(client):
    with pytest.raises(lc.ValidationError) as caught:
        client.create_hopfield([[1, -1, 1], [1, 1]], rule="hebbian")
    assert caught.value.field.startswith("patterns")
    with pytest.raises(lc.ValidationError) as caught:
        client.create_hopfield([[1, -1, 1]], rule="no-such-rule")
    assert caught.value.field.startswith("rule")


def test_pc_train_as_a_job_then_infer_equals_the_library(client):
    rng = np.random.default_rng(1)
    inputs = rng.random((40, 4))
    labels = (inputs[:, 0] > inputs[:, 1]).astype(int)
    model = client.create_pc_model([4, 8, 2], activation="tanh")
    assert isinstance(model, lc.PCModel) and model.id
    job = client.train(model.id, inputs, labels=labels, epochs=3)
    assert isinstance(job, lc.Job)
    assert job.wait(timeout=120).info.status == "COMPLETED"
    trained = job.result()
    local = PredictiveCodingNetwork([4, 8, 2], "tanh")
    history = local.train(inputs, labels=labels, epochs=3)
    assert isinstance(trained, lc.TrainResult) and trained.model_id == model.id and trained.epochs_trained == 3
    assert [epoch["loss"] for epoch in trained.history] == pytest.approx([epoch["loss"] for epoch in history])
    assert client.pc_model(model.id).epochs_trained == 3
    out = client.infer(model.id, inputs[:5])
    assert np.allclose(out.predictions, local.infer(inputs[:5]).prediction)
    assert np.shape(out.predictions) == (5, 2)
    assert all(b <= a + 1e-9 for a, b in zip(out.free_energy, out.free_energy[1:]))
    client.delete_pc_model(model.id)
    with pytest.raises(lc.NotFoundError):
        client.infer(model.id, inputs[:1])
