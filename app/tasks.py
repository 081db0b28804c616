"""Work that runs inside worker processes, by name.

A task takes its JSON payload, the settings and a ``report(progress)`` callback
and returns a JSON-ready dict. Raising :class:`~app.errors.RequestError`
becomes a 4xx (sync) or a FAILED job naming the field.
"""

from __future__ import annotations

from collections.abc import Callable

from solvers.warmup import warm_up as warm_up_solvers
from app import neural_tasks, pipeline
from app.config import Settings

Report = Callable[[dict], None]


def solve_sync(payload: dict, settings: Settings, report: Report) -> dict:
    return pipeline.solve(payload["problem"], payload.get("solver", "auto"), payload.get("params"),
                          payload.get("return_samples", 10), settings, settings.max_sync_time_limit)


def solve_job(payload: dict, settings: Settings, report: Report) -> dict:
    return pipeline.solve(payload["problem"], payload.get("solver", "auto"), payload.get("params"),
                          payload.get("return_samples", 10), settings, settings.max_job_time_limit)


def warm_up() -> None:
    """Load every numba kernel from its cache so no request pays for compilation."""
    warm_up_solvers()
    net = neural_tasks.HopfieldNetwork.from_patterns([[1, -1, 1, -1], [1, 1, -1, -1]])
    net.recall(pattern_index=0, corruption=0.25, seed=0)
    net.recall(pattern_index=0, mode="sync", seed=0)
    net.recall(pattern_index=0, temperature=0.5, seed=0)


TASKS: dict[str, Callable[[dict, Settings, Report], dict]] = {
    "solve": solve_sync,
    "solve_job": solve_job,
    **neural_tasks.TASKS,
}
