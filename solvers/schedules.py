"""Temperature schedules and the default beta range derived from a model.

>>> beta_schedule((0.1, 10.0), 3, "geometric").round(3).tolist()
[0.1, 1.0, 10.0]
"""

from __future__ import annotations

import math

import numpy as np

from energy.model import IsingModel

SCHEDULE_TYPES = ("linear", "geometric", "custom")


def default_beta_range(model: IsingModel) -> tuple[float, float]:
    """(hot, cold) inverse temperatures for a model.

    Hot: the largest possible single-flip energy increase is accepted with
    probability 1/2. Cold: the smallest non-zero flip cost ``2 * min|bias|`` is
    accepted with probability 1%.
    """
    biases = np.abs(np.concatenate([model.h, model.data]))
    biases = biases[biases > 0]
    if biases.size == 0:
        return 0.1, 1.0
    max_delta = 2.0 * model.max_abs_field()
    min_delta = 2.0 * float(biases.min())
    hot = math.log(2.0) / max_delta
    cold = math.log(100.0) / min_delta
    return hot, max(cold, hot)


def beta_schedule(beta_range, num_sweeps: int, schedule_type: str, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Betas of sweeps ``start..stop`` of a schedule from ``beta_range[0]`` to ``beta_range[1]``.

    Computed per slice so that a long schedule is never materialised at once.
    """
    hot, cold = beta_range
    stop = num_sweeps if stop is None else stop
    fraction = np.arange(start, stop, dtype=np.float64) / max(num_sweeps - 1, 1)
    if schedule_type == "linear":
        return hot + (cold - hot) * fraction
    if schedule_type == "geometric":
        return hot * (cold / hot) ** fraction
    raise ValueError(f"The 'beta_schedule_type' parameter must be one of {SCHEDULE_TYPES}. Got {schedule_type!r} instead.")


def check_beta_range(beta_range) -> tuple[float, float]:
    """Validate a user ``beta_range``: two finite positive numbers."""
    try:
        hot, cold = (float(b) for b in beta_range)
    except (TypeError, ValueError):
        raise ValueError(f"The 'beta_range' parameter must be a pair of positive numbers. Got {beta_range!r} instead.") from None
    if not (math.isfinite(hot) and math.isfinite(cold) and hot > 0 and cold > 0):
        raise ValueError(f"The 'beta_range' parameter must be a pair of positive finite numbers. Got {beta_range!r} instead.")
    return hot, cold


def check_custom_schedule(values, name: str, max_length: int) -> np.ndarray:
    """Validate a custom per-sweep schedule: 1-D, finite, non-negative, not too long."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"The {name!r} parameter must be a list of numbers.") from None
    if array.ndim != 1 or array.size == 0 or array.size > max_length:
        raise ValueError(f"The {name!r} parameter must be a non-empty 1-D list of at most {max_length} numbers.")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"The {name!r} parameter must hold finite non-negative numbers.")
    return array
