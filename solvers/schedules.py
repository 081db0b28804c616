"""Annealing schedules: positions along a schedule, their values, and the default beta range of a model.

A schedule is a curve from its start value (position 0) to its end value
(position 1); a run of ``N`` sweeps visits positions ``k / (N - 1)``. A lone
sweep sits at the end, so even the shortest anneal ends cold.

>>> schedule_values((0.1, 10.0), SchedulePositions(3).between(0, 3), "geometric").round(3).tolist()
[0.1, 1.0, 10.0]
>>> schedule_values((0.1, 10.0), SchedulePositions(1).between(0, 1), "geometric").tolist()
[10.0]
"""

from __future__ import annotations

import math

import numpy as np

from energy.model import IsingModel

SCHEDULE_TYPES = ("linear", "geometric", "custom")


def default_beta_range(model: IsingModel) -> tuple[float, float]:
    """(hot, cold) inverse temperatures for a model.

    Hot: the largest possible single-flip energy increase is accepted with
    probability 1/2. Cold: a flip costing ``2 b`` is accepted with probability
    1%, where ``b`` is the median over spins of the spin's smallest non-zero
    bias (its ``|h_i|`` or a ``|J_ij|``). When all biases share one magnitude
    (unweighted Max-Cut, +-J glasses) ``2 b`` is the smallest flip cost; with
    continuous weights the single smallest bias of the model is an outlier
    (often orders of magnitude below the rest) that would spend much of the
    schedule frozen.
    """
    smallest = _smallest_bias_per_spin(model)
    smallest = smallest[np.isfinite(smallest)]
    if smallest.size == 0:
        return 0.1, 1.0
    hot = math.log(2.0) / (2.0 * model.max_abs_field())
    cold = math.log(100.0) / (2.0 * float(np.median(smallest)))
    return hot, max(cold, hot)


def _smallest_bias_per_spin(model: IsingModel) -> np.ndarray:
    """Per spin, the smallest non-zero ``|h_i|`` or ``|J_ij|`` (``inf`` if it has none)."""
    smallest = np.abs(model.h)
    smallest[smallest == 0.0] = np.inf
    couplings = np.abs(model.data)
    couplings[couplings == 0.0] = np.inf
    has_neighbours = np.diff(model.indptr) > 0
    if has_neighbours.any():
        per_row = np.minimum.reduceat(couplings, model.indptr[:-1][has_neighbours])
        smallest[has_neighbours] = np.minimum(smallest[has_neighbours], per_row)
    return smallest


class SchedulePositions:
    """Positions in [0, 1] of the sweeps of a run whose length a time limit may change while it runs.

    A run of ``total`` sweeps visits ``k / (total - 1)``. :meth:`resize` keeps
    the sweeps already run and spreads the rest of the schedule, up to its end,
    over the new number of sweeps left.

    >>> p = SchedulePositions(5); p.between(0, 2).tolist()
    [0.0, 0.25]
    >>> p.resize(2, 3); p.between(2, 3).tolist()
    [1.0]
    """

    def __init__(self, total: int):
        self.total = total
        self._anchor, self._anchor_position = 0, 0.0  # sweep ``_anchor`` sits at ``_anchor_position``

    def between(self, start: int, stop: int) -> np.ndarray:
        """Positions of sweeps ``start..stop-1``."""
        span = self.total - 1 - self._anchor
        if span <= 0:
            return np.ones(stop - start)
        steps = (np.arange(start, stop, dtype=np.float64) - self._anchor) / span
        return self._anchor_position + (1.0 - self._anchor_position) * steps

    def resize(self, done: int, total: int) -> None:
        """After ``done`` sweeps, run ``total`` in all (``total > done``), still ending at position 1."""
        if done > 0:
            self._anchor_position = float(self.between(done - 1, done)[0])
            self._anchor = done - 1
        self.total = total


def schedule_values(value_range, positions: np.ndarray, schedule_type: str) -> np.ndarray:
    """Values at ``positions`` of a linear or geometric schedule from ``value_range[0]`` to ``value_range[1]``."""
    start, end = value_range
    if schedule_type == "linear":
        return start + (end - start) * positions
    if schedule_type == "geometric":
        return start * (end / start) ** positions
    raise ValueError(f"The schedule type must be one of {SCHEDULE_TYPES}. Got {schedule_type!r} instead.")


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
