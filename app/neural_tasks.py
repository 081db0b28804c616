"""Worker-side tasks for Hopfield networks and predictive-coding models."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from app import execution, objects
from app.config import Settings
from app.errors import RequestError
from neural.hopfield import CAPACITY, HopfieldNetwork, pattern_limit
from neural.predictive_coding import PredictiveCodingNetwork


def field_error(err: ValueError, prefix: str = "") -> RequestError:
    """A library ValueError (``"field: message"`` or with ``.field``) as a 400 naming the field."""
    field = getattr(err, "field", None)
    message = getattr(err, "message", None)
    if field is None:
        text = str(err)
        field, _, message = text.partition(": ") if ": " in text else ("", "", text)
    return RequestError(f"{prefix}{field}".rstrip("."), message or str(err))


def hopfield_summary(net: HopfieldNetwork) -> dict[str, Any]:
    return {"rule": net.rule, "num_neurons": net.num_neurons, "num_patterns": net.num_patterns,
            "alpha": net.alpha, "capacity": CAPACITY.get(net.rule), "capacity_warning": net.capacity_warning,
            "shape": list(net.shape) if net.shape else None, "encoding": net.encoding, "symmetric": net.symmetric,
            "beta": net.beta}


def _check_network_size(payload: dict, settings: Settings) -> None:
    """The service's caps on neurons and patterns, checked on the raw input before anything is learned."""
    rows = payload.get("weights") if payload.get("weights") is not None else payload.get("patterns") or []
    neurons = _leaf_count(rows[0]) if rows else 0
    if neurons > settings.max_hopfield_neurons:
        field = "weights" if payload.get("weights") is not None else "patterns"
        raise RequestError(field, f"{neurons} neurons exceed the limit {settings.max_hopfield_neurons}",
                           limit=settings.max_hopfield_neurons)
    patterns = len(payload.get("patterns") or [])
    limit = min(settings.max_hopfield_patterns, pattern_limit(payload.get("rule", "hebbian")))
    if patterns > limit:
        raise RequestError("patterns", f"{patterns} patterns exceed the limit {limit} for the "
                           f"{payload.get('rule', 'hebbian')} rule", limit=limit)


def _leaf_count(value) -> int:
    """Numbers in a (possibly nested, possibly ragged) list: a pattern's or image's neuron count.

    >>> _leaf_count([[1, -1], [1, 1, 1]]), _leaf_count(5)
    (5, 1)
    """
    if not isinstance(value, list):
        return 1
    return sum(_leaf_count(item) for item in value)


def hopfield_create(payload: dict, settings: Settings, report) -> dict:
    """Learn the weights (checks the input) and return the summary plus the config to store."""
    _check_network_size(payload, settings)
    if payload.get("weights") is not None:
        if payload.get("rule", "hebbian") != "hebbian":
            raise RequestError("rule", "a network given by its weights has no learning rule; omit 'rule'")
        try:
            net = HopfieldNetwork.from_weights(payload["weights"], payload.get("thresholds"),
                                               patterns=payload.get("patterns"))
        except (ValueError, TypeError) as err:
            raise field_error(err) from None
    else:
        if payload.get("patterns") is None:
            raise RequestError("patterns", "give the patterns to store (or 'weights')")
        try:
            net = HopfieldNetwork.from_patterns(payload["patterns"], payload.get("rule", "hebbian"),
                                                beta=payload.get("beta", 1.0))
        except (ValueError, TypeError) as err:
            raise field_error(err) from None
    return {"summary": hopfield_summary(net), "config": json.dumps(net.to_config())}


def _hopfield(settings: Settings, payload: dict) -> HopfieldNetwork:
    return objects.load(str(settings.db), "hopfield", payload["id"], payload["version"],
                        lambda meta, blob: HopfieldNetwork.from_config(json.loads(blob)))


def hopfield_recall(payload: dict, settings: Settings, report) -> dict:
    net = _hopfield(settings, payload)
    request = payload["request"]
    try:
        result = net.recall(request.get("cue"), pattern_index=request.get("pattern_index"),
                            corruption=request.get("corruption") or 0.0, mode=request.get("mode"),
                            temperature=request.get("temperature", 0.0), max_sweeps=request.get("max_sweeps", 100),
                            seed=request.get("seed"))
    except (ValueError, TypeError) as err:
        raise field_error(err) from None
    return result.to_dict()


def hopfield_recall_batch(payload: dict, settings: Settings, report) -> dict:
    """Many recalls at once, in chunks on the executor (:func:`app.execution.recall_batch`)."""
    net = _hopfield(settings, payload)
    request = payload["request"]
    count = len(request.get("cues") or request.get("pattern_indices") or [])
    if count > settings.max_recall_batch:
        field = "cues" if request.get("cues") is not None else "pattern_indices"
        raise RequestError(field, f"{count} cues exceed the limit {settings.max_recall_batch} of one batch",
                           limit=settings.max_recall_batch)
    try:
        results, info = execution.recall_batch(net, f"{payload['id']}:{payload['version']}", request, settings)
    except (ValueError, TypeError) as err:
        raise field_error(err) from None
    return {"results": results, "seed": info["seed"], "info": info}


def _pc(settings: Settings, payload: dict) -> PredictiveCodingNetwork:
    return objects.load(str(settings.db), "pc", payload["id"], payload["version"],
                        lambda meta, blob: PredictiveCodingNetwork.from_bytes(blob))


def pc_train(payload: dict, settings: Settings, report) -> dict:
    """Train a copy of the stored model; the dispatcher stores the new version when the job completes."""
    net = PredictiveCodingNetwork.from_bytes(objects.load(
        str(settings.db), "pc", payload["id"], payload["version"], lambda meta, blob: blob))
    request = payload["request"]
    epochs = request.get("epochs", 1)

    def on_epoch(epoch: int, metrics: dict) -> None:
        report({"epoch": epoch, "epochs": epochs, **{k: v for k, v in metrics.items() if k != "epoch"}})

    try:
        history = net.train(np.asarray(request["inputs"], dtype=np.float64), request.get("targets"),
                            labels=request.get("labels"), epochs=epochs, on_epoch=on_epoch)
    except (ValueError, TypeError) as err:
        raise field_error(err) from None
    meta = {**payload["meta"], "version": payload["version"] + 1, "epochs_trained": net.epochs_trained}
    return {"model_id": payload["id"], "history": history, "epochs_trained": net.epochs_trained,
            "__object__": {"kind": "pc", "id": payload["id"], "meta": meta, "blob": net.to_bytes(),
                           "version": payload["version"]}}


def pc_infer(payload: dict, settings: Settings, report) -> dict:
    net = _pc(settings, payload)
    request = payload["request"]
    try:
        result = net.infer(np.asarray(request["inputs"], dtype=np.float64), request.get("targets"),
                           steps=request.get("inference_steps"))
    except (ValueError, TypeError) as err:
        raise field_error(err) from None
    body = result.to_dict()
    if net.mode == "supervised":
        body["classes"] = np.argmax(result.prediction, axis=1).tolist()
    return body


TASKS = {"hopfield_create": hopfield_create, "hopfield_recall": hopfield_recall,
         "hopfield_recall_batch": hopfield_recall_batch,
         "pc_train": pc_train, "pc_infer": pc_infer}
