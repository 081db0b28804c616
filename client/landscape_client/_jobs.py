"""Handles on server-side jobs: poll, wait with exponential backoff, fetch the result, cancel.

Example (``client`` is a :class:`~landscape_client.Client`)::

    job = client.submit({"type": "partition", "numbers": [3, 1, 1, 2, 2, 1]}, solver="sa", seed=1)
    job.wait(timeout=60).info.status   # 'COMPLETED'
    job.result().answer.difference     # 0
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any, Generic, TypeVar

from landscape_client._exceptions import JobError, TimeoutError
from landscape_client._models import JobInfo, SolveResult, TrainResult
from landscape_client._wire import Request

#: first pause between polls (seconds); doubled after each poll up to ``MAX_POLL_INTERVAL``
POLL_INTERVAL = 0.05
MAX_POLL_INTERVAL = 2.0


def _parse_info(data: Any, client: Any) -> JobInfo:
    return JobInfo.model_validate(data)


def get_request(job_id: str) -> Request:
    return Request("GET", f"/v1/jobs/{job_id}", _parse_info)


def cancel_request(job_id: str) -> Request:
    return Request("DELETE", f"/v1/jobs/{job_id}", _parse_info)


def job_result(info: JobInfo) -> SolveResult | TrainResult | dict:
    """A COMPLETED job's result: :class:`SolveResult` for solves, :class:`TrainResult` for predictive-coding
    training, the raw dict for kinds this client does not know."""
    if info.status != "COMPLETED":
        raise JobError(info.id, info.status, info.error or ("not finished yet" if not info.done else None))
    result = info.result or {}
    if "answer" in result:
        return SolveResult.model_validate(result)
    if "history" in result and "model_id" in result:
        return TrainResult.model_validate(result)
    return result


class _Waiter:
    """The backoff arithmetic both job classes share."""

    def __init__(self, timeout: float | None, poll_interval: float, max_interval: float):
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.interval = poll_interval
        self.max_interval = max_interval
        self.timeout = timeout

    def next_pause(self, job_id: str) -> float:
        pause = self.interval
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"job {job_id} did not finish within {self.timeout} s")
            pause = min(pause, remaining)
        self.interval = min(self.interval * 2, self.max_interval)
        return pause


class Job:
    """A job on the server. ``info`` is the last status fetched; every method but ``result`` after a
    final status asks the server again."""

    def __init__(self, client: Any, info: JobInfo):
        self._client = client
        self.info = info

    @property
    def id(self) -> str:
        return self.info.id

    def refresh(self) -> JobInfo:
        self.info = self._client._send(get_request(self.id))
        return self.info

    def status(self) -> str:
        """The job's current status (PENDING, IN_PROGRESS, COMPLETED, FAILED or CANCELLED)."""
        return self.refresh().status

    def wait(self, timeout: float | None = None, poll_interval: float = POLL_INTERVAL,
             max_interval: float = MAX_POLL_INTERVAL) -> Job:
        """Poll until the job is final (pauses double from ``poll_interval`` up to ``max_interval``);
        returns the job. Raises :class:`TimeoutError` after ``timeout`` seconds."""
        waiter = _Waiter(timeout, poll_interval, max_interval)
        while not self.refresh().done:
            time.sleep(waiter.next_pause(self.id))
        return self

    def result(self, timeout: float | None = None) -> SolveResult | TrainResult | dict:
        """Wait for the job and return its result; raises :class:`JobError` if it FAILED or was CANCELLED."""
        if not self.info.done:
            self.wait(timeout)
        elif self.info.status == "COMPLETED" and self.info.result is None:
            self.refresh()
        return job_result(self.info)

    def cancel(self) -> JobInfo:
        """Cancel a pending or running job; :class:`ConflictError` if it already finished."""
        self.info = self._client._send(cancel_request(self.id))
        return self.info

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.info.status}>"


class AsyncJob:
    """:class:`Job` for :class:`AsyncClient`: the same methods, awaitable."""

    def __init__(self, client: Any, info: JobInfo):
        self._client = client
        self.info = info

    @property
    def id(self) -> str:
        return self.info.id

    async def refresh(self) -> JobInfo:
        self.info = await self._client._send(get_request(self.id))
        return self.info

    async def status(self) -> str:
        return (await self.refresh()).status

    async def wait(self, timeout: float | None = None, poll_interval: float = POLL_INTERVAL,
                   max_interval: float = MAX_POLL_INTERVAL) -> AsyncJob:
        waiter = _Waiter(timeout, poll_interval, max_interval)
        while not (await self.refresh()).done:
            await asyncio.sleep(waiter.next_pause(self.id))
        return self

    async def result(self, timeout: float | None = None) -> SolveResult | TrainResult | dict:
        if not self.info.done:
            await self.wait(timeout)
        elif self.info.status == "COMPLETED" and self.info.result is None:
            await self.refresh()
        return job_result(self.info)

    async def cancel(self) -> JobInfo:
        self.info = await self._client._send(cancel_request(self.id))
        return self.info

    def __repr__(self) -> str:
        return f"<AsyncJob {self.id} {self.info.status}>"


J = TypeVar("J", Job, AsyncJob)


@dataclasses.dataclass
class JobPage(Generic[J]):
    """One page of ``client.jobs(...)``: iterate it for the jobs; ``total`` counts all that match."""

    jobs: list[J]
    total: int
    limit: int
    offset: int

    def __iter__(self):
        return iter(self.jobs)

    def __len__(self) -> int:
        return len(self.jobs)
