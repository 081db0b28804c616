"""A pool of worker processes that runs jobs from the store and synchronous tasks.

One dispatcher thread owns the workers: it hands each idle worker the next
synchronous task (first) or the oldest PENDING job, collects results, and
watches every process. A worker that dies (crash, SIGKILL, out of memory) fails
its job with the reason and is replaced; cancelling a running job kills its
worker, so the CPU is really released.
"""

from __future__ import annotations

import collections
import concurrent.futures
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sqlite3
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any

from app.config import Settings
from app.errors import RequestError
from app.store import Store
from problems.errors import ProblemError

log = logging.getLogger("landscape.workers")
_CTX = multiprocessing.get_context("spawn")


#: What a client is told about a bug; the traceback goes to the server log only.
INTERNAL_MESSAGE = "internal error; the server log has the details"


class TaskError(Exception):
    """A task failed in the worker; ``error`` is the RequestError-shaped dict or a crash message."""

    def __init__(self, error: dict):
        super().__init__(error.get("message", "task failed"))
        self.error = error


def _worker_main(conn, settings_json: str) -> None:
    """Worker process: warm up, then run tasks until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from app import tasks

    settings = Settings.model_validate_json(settings_json)
    try:
        tasks.warm_up()
    except Exception:  # a broken warm-up must not crash-loop the pool; requests will report the error
        log.exception("warm-up failed")
    conn.send(("ready", None, None))
    while True:
        try:
            task_id, kind, payload = conn.recv()
        except (EOFError, OSError):
            return

        def report(progress: dict, task_id=task_id) -> None:
            conn.send(("progress", task_id, progress))

        try:
            result = tasks.TASKS[kind](payload, settings, report)
            conn.send(("ok", task_id, result))
        except RequestError as err:
            retry = {"retry_after": err.headers["Retry-After"]} if "Retry-After" in err.headers else {}
            conn.send(("error", task_id, {**err.to_dict(), "status": err.status, **retry}))
        except ProblemError as err:
            conn.send(("error", task_id, {"status": 400, "error": "bad_request", "field": f"problem.{err.field}",
                                           "message": err.message}))
        except MemoryError:
            conn.send(("error", task_id, {"status": 503, "error": "unavailable", "field": "problem",
                                           "message": "the worker ran out of memory for this request"}))
        except Exception:  # a bug, never the client's input: report it generically, keep the worker alive
            trace = traceback.format_exc()
            log.error("task %s crashed: %s", task_id, trace)
            conn.send(("crash", task_id, {"status": 500, "error": "internal", "field": "",
                                           "message": INTERNAL_MESSAGE, "traceback": trace}))


@dataclass
class _Worker:
    process: Any
    conn: Any
    ready: bool = False
    task_id: str | None = None
    job_id: str | None = None
    started: float = 0.0


@dataclass
class _SyncTask:
    task_id: str
    kind: str
    payload: dict
    future: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)


class WorkerPool:
    """Runs stored jobs and synchronous tasks on ``settings.workers`` processes."""

    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.settings = settings
        self._workers: list[_Worker] = []
        self._sync: collections.deque[_SyncTask] = collections.deque()
        self._sync_running: dict[str, _SyncTask] = {}
        self._lock = threading.RLock()
        self._wake_recv, self._wake_send = _CTX.Pipe(duplex=False)
        self._running = False
        self._thread: threading.Thread | None = None
        self.replaced_workers = 0
        #: job outcomes the database refused (read-only, full); retried until written
        self._unsaved: list[tuple[str, str, Any, str | None]] = []
        self._next_save = 0.0

    # --- lifecycle --------------------------------------------------------
    def start(self) -> None:
        self._running = True
        with self._lock:
            self._workers = [self._spawn() for _ in range(self.settings.workers)]
        self._thread = threading.Thread(target=self._loop, name="landscape-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._running = False
        self.wake()
        if self._thread:
            self._thread.join(timeout=5)
        with self._lock:
            for worker in self._workers:
                _kill(worker)
            for task in list(self._sync) + list(self._sync_running.values()):
                if not task.future.done():
                    task.future.set_exception(TaskError({"status": 503, "message": "the server is shutting down",
                                                         "retry_after": "10"}))

    def wake(self) -> None:
        try:
            self._wake_send.send_bytes(b"w")
        except OSError:
            pass

    def _spawn(self) -> _Worker:
        parent, child = _CTX.Pipe()
        process = _CTX.Process(target=_worker_main, args=(child, self.settings.model_dump_json()),
                               name="landscape-worker", daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    # --- public API -------------------------------------------------------
    def status(self) -> dict[str, int]:
        with self._lock:
            alive = sum(w.process.is_alive() for w in self._workers)
            ready = sum(w.ready for w in self._workers)
            busy = sum(w.task_id is not None for w in self._workers)
        return {"workers": len(self._workers), "alive": alive, "ready": ready, "busy": busy,
                "replaced": self.replaced_workers}

    def submit_sync(self, kind: str, payload: dict) -> _SyncTask:
        """Queue a synchronous task; 429 with ``Retry-After`` when ``max_sync_queue`` tasks already wait."""
        task = _SyncTask(uuid.uuid4().hex, kind, payload)
        limit = self.settings.max_sync_queue
        with self._lock:
            if len(self._sync) >= limit:
                raise RequestError("queue", f"{limit} synchronous requests are already waiting for a worker; "
                                   "retry later or submit a job", status=429, limit=limit,
                                   headers={"Retry-After": "2"})
            self._sync.append(task)
        self.wake()
        return task

    def abandon(self, task: _SyncTask) -> None:
        """The caller gave up waiting: drop the task, killing its worker if it runs."""
        with self._lock:
            if task in self._sync:
                self._sync.remove(task)
                return
            for worker in self._workers:
                if worker.task_id == task.task_id:
                    self._replace(worker)

    def cancel_running(self, job_id: str) -> bool:
        """Kill the worker running ``job_id`` (the caller marks the job CANCELLED first)."""
        with self._lock:
            for worker in self._workers:
                if worker.job_id == job_id:
                    self._replace(worker)
                    return True
        return False

    # --- dispatcher -------------------------------------------------------
    def _loop(self) -> None:
        while self._running:
            try:
                self._retry_unsaved()
                self._assign()
                self._collect(timeout=0.2)
            except Exception:  # the dispatcher must never die
                log.exception("dispatcher error")
                time.sleep(0.2)

    def _assign(self) -> None:
        with self._lock:
            for worker in list(self._workers):
                if not worker.ready or worker.task_id is not None:
                    continue
                if not worker.process.is_alive():
                    self._worker_died(worker)
                    continue
                if self._sync:
                    task = self._sync.popleft()
                    self._sync_running[task.task_id] = task
                    self._send(worker, task.task_id, task.kind, task.payload, job_id=None)
                    continue
                if not self.store.ready_for_jobs():
                    return  # start-up recovery has not been written yet (read-only or full database)
                try:
                    job = self.store.claim_next()
                except Exception as err:
                    log.error("cannot claim a job: %s", err)
                    return
                if job is None:
                    return
                self._send(worker, job["id"], job["kind"], job["request"], job_id=job["id"])

    def _send(self, worker: _Worker, task_id: str, kind: str, payload: dict, job_id: str | None) -> None:
        try:
            worker.conn.send((task_id, kind, payload))
        except OSError:  # died before the task reached it: the task goes back to the queue
            if job_id is not None:
                self.store.requeue(job_id)
            else:
                self._sync.appendleft(self._sync_running.pop(task_id))
            self._worker_died(worker)
            return
        worker.task_id, worker.job_id, worker.started = task_id, job_id, time.monotonic()

    def _collect(self, timeout: float) -> None:
        with self._lock:
            conns = {w.conn: w for w in self._workers}
            sentinels = {w.process.sentinel: w for w in self._workers}
        ready = multiprocessing.connection.wait([*conns, *sentinels, self._wake_recv], timeout=timeout)
        for item in ready:
            if item is self._wake_recv:
                while self._wake_recv.poll():
                    self._wake_recv.recv_bytes()
            elif item in conns:
                worker = conns[item]
                try:
                    message = item.recv()
                except (EOFError, OSError):
                    self._worker_died(worker)
                    continue
                self._handle(worker, *message)
        for sentinel in ready:
            if sentinel in sentinels and not sentinels[sentinel].process.is_alive():
                self._worker_died(sentinels[sentinel])
        self._enforce_deadlines()

    def _finish(self, job_id: str, status: str, result: Any = None, error: str | None = None) -> None:
        """``store.finish``; when the database refuses the write, keep the outcome and retry it later."""
        try:
            self.store.finish(job_id, status, result=result, error=error)
        except sqlite3.Error as err:
            log.error("cannot record job %s as %s (%s); will retry", job_id, status, err)
            with self._lock:
                self._unsaved.append((job_id, status, result, error))

    def _retry_unsaved(self) -> None:
        with self._lock:
            if not self._unsaved or time.monotonic() < self._next_save:
                return
            pending, self._unsaved = self._unsaved, []
        for index, (job_id, status, result, error) in enumerate(pending):
            try:
                self.store.finish(job_id, status, result=result, error=error)
            except sqlite3.Error:
                with self._lock:
                    self._unsaved = pending[index:] + self._unsaved
                    self._next_save = time.monotonic() + 1.0
                return

    def _handle(self, worker: _Worker, status: str, task_id: str | None, value: Any) -> None:
        if status == "ready":
            worker.ready = True
            return
        if task_id != worker.task_id:
            return  # a late message from a task that was abandoned
        if status == "progress":
            if worker.job_id:
                try:
                    self.store.set_progress(worker.job_id, value)
                except sqlite3.Error as err:  # progress is advisory; the outcome is what must be kept
                    log.warning("cannot record the progress of job %s: %s", worker.job_id, err)
            return
        job_id = worker.job_id
        worker.task_id = worker.job_id = None
        if status == "crash" and job_id is not None:  # a sync task's traceback is logged under its request id
            log.error("job %s failed with an internal error:\n%s", job_id, value.pop("traceback", ""))
            value["message"] = f"{INTERNAL_MESSAGE} (reference: job {job_id})"
        if job_id is not None:
            if status == "ok":
                stored = value.pop("__object__", None)
                try:
                    updated = stored is None or self.store.update_object(**stored)
                except sqlite3.Error as err:
                    log.error("cannot store the model of job %s: %s", job_id, err)
                    self._finish(job_id, "FAILED", error=f"the job database refused the result: {err}")
                    return
                if not updated:
                    self._finish(job_id, "FAILED", error="the model was deleted or changed during the job")
                    return
                self._finish(job_id, "COMPLETED", result=value)
            else:
                field_note = f" ({value.get('field')})" if value.get("field") else ""
                self._finish(job_id, "FAILED", error=f"{value.get('message')}{field_note}")
            return
        with self._lock:
            task = self._sync_running.pop(task_id, None)
        if task and not task.future.done():
            if status == "ok":
                task.future.set_result(value)
            else:
                task.future.set_exception(TaskError(value))

    def _enforce_deadlines(self) -> None:
        """Kill the worker of a job running ``job_kill_grace`` seconds past ``max_job_time_limit``."""
        limit = self.settings.max_job_time_limit + self.settings.job_kill_grace
        with self._lock:
            for worker in list(self._workers):
                if worker.job_id and time.monotonic() - worker.started > limit:
                    job_id = worker.job_id
                    log.warning("job %s ran %.0f s, past the limit of %g s; killing its worker", job_id,
                                time.monotonic() - worker.started, limit)
                    self._finish(job_id, "FAILED", error=f"the job exceeded the server's time limit of {limit:g} s "
                                 f"(max_job_time_limit {self.settings.max_job_time_limit:g} s + "
                                 f"{self.settings.job_kill_grace:g} s grace); its worker was killed")
                    worker.job_id = None
                    self._replace(worker)

    def _worker_died(self, worker: _Worker) -> None:
        with self._lock:
            if worker not in self._workers:
                return
            worker.process.join(timeout=1)
            code = worker.process.exitcode
            reason = f"the worker process died (exit code {code})" + (
                f", killed by signal {-code}" if code is not None and code < 0 else "")
            if worker.job_id:
                self._finish(worker.job_id, "FAILED", error=reason)
            task = self._sync_running.pop(worker.task_id, None) if worker.task_id else None
            if task and not task.future.done():
                task.future.set_exception(TaskError({"status": 503, "error": "unavailable", "field": "",
                                                     "message": reason}))
            log.warning("%s; starting a replacement", reason)
            self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            _kill(worker)
            task = self._sync_running.pop(worker.task_id, None) if worker.task_id else None
            if task and not task.future.done():
                task.future.set_exception(TaskError({"status": 504, "error": "timeout", "field": "",
                                                     "message": "the task was stopped"}))
            index = self._workers.index(worker)
            if self._running:
                self._workers[index] = self._spawn()
                self.replaced_workers += 1
            else:
                self._workers.pop(index)


def _kill(worker: _Worker) -> None:
    if worker.process.is_alive():
        try:
            os.kill(worker.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    worker.process.join(timeout=5)
    worker.conn.close()
