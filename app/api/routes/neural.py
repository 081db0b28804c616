"""Hopfield associative memory and predictive-coding models: stored objects, recall, train, infer."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Response, status

from app.api.deps import OwnerDep, PoolDep, SettingsDep, StoreDep
from app.api.strict_json import StrictJSONRoute
from app.api.routes.jobs import enqueue
from app.api.routes.solve import _from_task
from app.errors import RequestError
from app.neural_tasks import field_error
from app.schemas import (
    ErrorBody, HopfieldCreate, HopfieldNetworkInfo, HopfieldRecall, HopfieldRecallBatch, HopfieldRecallBatchResult,
    HopfieldRecallResult, JobCreated, PCCreate,
    PCInfer, PCInference, PCModelInfo, PCTrain,
)
from app.workers import TaskError
from neural.predictive_coding import PredictiveCodingNetwork

router = APIRouter(prefix="/v1", tags=["neural"], route_class=StrictJSONRoute)
ERRORS = {400: {"model": ErrorBody}, 401: {"model": ErrorBody}, 404: {"model": ErrorBody},
          409: {"model": ErrorBody}, 429: {"model": ErrorBody}, 503: {"model": ErrorBody}, 504: {"model": ErrorBody}}
TASK_TIMEOUT = 120.0


async def run_task(pool, settings, kind: str, payload: dict) -> dict:
    """Run a task in a worker process and wait for it (bounded)."""
    task = pool.submit_sync(kind, payload)
    wait = min(TASK_TIMEOUT, settings.max_sync_time_limit + 30)
    try:
        return await asyncio.wait_for(asyncio.wrap_future(task.future), timeout=wait)
    except asyncio.TimeoutError:
        pool.abandon(task)
        raise RequestError("request", f"did not finish within {wait:.0f} s", status=504) from None
    except TaskError as err:
        raise _from_task(err) from None


def _stored(store, kind: str, object_id: str) -> dict:
    found = store.get_object(kind, object_id)
    if found is None:
        raise RequestError("id", f"no {'Hopfield network' if kind == 'hopfield' else 'model'} {object_id!r}",
                           status=404)
    return found[0]


# ---- Hopfield ------------------------------------------------------------------------------------

@router.post("/hopfield/networks", status_code=status.HTTP_201_CREATED, response_model=HopfieldNetworkInfo,
             responses=ERRORS, summary="Store patterns in a new Hopfield network (or give its weights)")
async def create_hopfield(request: HopfieldCreate, store: StoreDep, pool: PoolDep, settings: SettingsDep,
                          _: OwnerDep) -> dict:
    created = await run_task(pool, settings, "hopfield_create", request.model_dump(exclude_none=True))
    meta = {**created["summary"], "version": 0, "created_at": time.time()}
    object_id = store.put_object("hopfield", meta, created["config"].encode())
    return {"id": object_id, **meta}


@router.get("/hopfield/networks/{network_id}", response_model=HopfieldNetworkInfo, responses=ERRORS,
            summary="A stored network's size, load and rule")
def get_hopfield(network_id: str, store: StoreDep, _: OwnerDep) -> dict:
    return {"id": network_id, **_stored(store, "hopfield", network_id)}


@router.delete("/hopfield/networks/{network_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS,
               summary="Delete a stored network")
def delete_hopfield(network_id: str, store: StoreDep, _: OwnerDep) -> Response:
    if not store.delete_object("hopfield", network_id):
        raise RequestError("id", f"no Hopfield network {network_id!r}", status=404)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/hopfield/networks/{network_id}/recall", response_model=HopfieldRecallResult, responses=ERRORS,
             summary="Recall from a cue, or from a corrupted stored pattern")
async def recall(network_id: str, request: HopfieldRecall, store: StoreDep, pool: PoolDep, settings: SettingsDep,
                 _: OwnerDep) -> dict:
    meta = _stored(store, "hopfield", network_id)
    payload = {"id": network_id, "version": meta.get("version", 0), "request": request.model_dump(exclude_none=True)}
    return await run_task(pool, settings, "hopfield_recall", payload)


@router.post("/hopfield/networks/{network_id}/recall_batch", response_model=HopfieldRecallBatchResult,
             responses=ERRORS, summary="Recall many cues at once (split into chunks on the executor)")
async def recall_batch(network_id: str, request: HopfieldRecallBatch, store: StoreDep, pool: PoolDep,
                       settings: SettingsDep, _: OwnerDep) -> dict:
    meta = _stored(store, "hopfield", network_id)
    payload = {"id": network_id, "version": meta.get("version", 0), "request": request.model_dump(exclude_none=True)}
    return await run_task(pool, settings, "hopfield_recall_batch", payload)


# ---- predictive coding ------------------------------------------------------------------------------

def _pc_info(model_id: str, meta: dict) -> dict:
    config = meta["config"]
    return {"id": model_id, "layers": config["layers"], "activation": config["activation"], "mode": config["mode"],
            "epochs_trained": meta.get("epochs_trained", 0), "version": meta.get("version", 0), "config": config}


@router.post("/pc/models", status_code=status.HTTP_201_CREATED, response_model=PCModelInfo, responses=ERRORS,
             summary="Create a predictive-coding network (layer sizes from input to output)")
def create_pc(request: PCCreate, store: StoreDep, settings: SettingsDep, _: OwnerDep) -> dict:
    if max(request.layers) > settings.max_pc_layer_size or min(request.layers) < 1:
        raise RequestError("layers", f"layer sizes must be in [1, {settings.max_pc_layer_size}]",
                           limit=settings.max_pc_layer_size)
    try:
        net = PredictiveCodingNetwork.from_config(request.model_dump(exclude_none=True))
    except (ValueError, TypeError) as err:
        raise field_error(err) from None
    meta = {"config": net.config, "version": 0, "epochs_trained": 0, "created_at": time.time()}
    model_id = store.put_object("pc", meta, net.to_bytes())
    return _pc_info(model_id, meta)


@router.get("/pc/models/{model_id}", response_model=PCModelInfo, responses=ERRORS, summary="A stored model")
def get_pc(model_id: str, store: StoreDep, _: OwnerDep) -> dict:
    return _pc_info(model_id, _stored(store, "pc", model_id))


@router.delete("/pc/models/{model_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS,
               summary="Delete a stored model")
def delete_pc(model_id: str, store: StoreDep, _: OwnerDep) -> Response:
    if not store.delete_object("pc", model_id):
        raise RequestError("id", f"no model {model_id!r}", status=404)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/pc/models/{model_id}/train", status_code=status.HTTP_202_ACCEPTED, response_model=JobCreated,
             responses=ERRORS, summary="Train as an asynchronous job (progress per epoch in the job)")
def train_pc(model_id: str, request: PCTrain, store: StoreDep, pool: PoolDep, settings: SettingsDep,
             owner: OwnerDep) -> dict:
    meta = _stored(store, "pc", model_id)
    layers = meta["config"]["layers"]
    if len(request.inputs) > settings.max_pc_samples:
        raise RequestError("inputs", f"{len(request.inputs)} samples exceed the limit {settings.max_pc_samples}",
                           limit=settings.max_pc_samples)
    if any(len(row) != layers[0] for row in request.inputs):
        raise RequestError("inputs", f"every input must have {layers[0]} values (the first layer)")
    if meta["config"]["mode"] == "supervised" and request.targets is None and request.labels is None:
        raise RequestError("targets", "a supervised model trains on 'targets' or 'labels'")
    payload = {"id": model_id, "version": meta.get("version", 0), "meta": meta,
               "request": request.model_dump(exclude_none=True)}
    return enqueue("pc_train", payload, store, pool, settings, owner)


@router.post("/pc/models/{model_id}/infer", response_model=PCInference, responses=ERRORS,
             summary="Inference: latents, predictions, per-layer errors and the free-energy trajectory")
async def infer_pc(model_id: str, request: PCInfer, store: StoreDep, pool: PoolDep, settings: SettingsDep,
                   _: OwnerDep) -> dict:
    meta = _stored(store, "pc", model_id)
    if len(request.inputs) > settings.max_pc_samples:
        raise RequestError("inputs", f"{len(request.inputs)} samples exceed the limit {settings.max_pc_samples}",
                           limit=settings.max_pc_samples)
    payload = {"id": model_id, "version": meta.get("version", 0), "request": request.model_dump(exclude_none=True)}
    return await run_task(pool, settings, "pc_infer", payload)
