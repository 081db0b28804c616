"""Path-integral simulated quantum annealing (Suzuki-Trotter, Martonak-Santoro-Tosatti 2002).

The transverse-field Ising model ``H = -Gamma sum_i X_i + B H_C`` at inverse
temperature ``beta`` maps onto P classical replicas ("Trotter slices") of the
problem, each carrying ``B H_C / P``, with replica k of spin i coupled
ferromagnetically to replicas k +- 1 (periodic) by

    J_perp = -(1 / (2 beta)) ln tanh(beta Gamma / P).

The sampler runs Metropolis on this classical system at fixed ``beta`` while
the transverse field ``Gamma`` falls (``J_perp`` grows and the slices lock
together), with single-spin moves in every slice plus world-line moves that flip
a spin in all slices at once, so the dynamics stays ergodic as ``Gamma -> 0``
(where it is exactly classical Metropolis at ``beta B``).

Two ways to give the schedule (``num_sweeps`` points, one sweep each):

* ``gamma_range=[start, end]`` with ``gamma_schedule_type`` linear/geometric, or
  ``gamma_schedule_type='custom'`` and one Gamma per sweep in ``gamma_schedule``;
  the classical weight is ``B = 1`` throughout.
* ``schedule=[[s, A, B], ...]`` (s from 0 to 1, points interpolated linearly at
  ``num_sweeps`` evenly spaced s): ``Gamma = A(s)`` and the classical part is
  scaled by ``B(s)``, i.e. ``H(s) = -A(s) sum_i X_i + B(s) H_C``. This is
  D-Wave's published convention ``H = -A/2 sum X + B/2 H_C`` without the 1/2
  factors, which only rescale temperature: D-Wave's A(s), B(s) at inverse
  temperature ``b`` are reproduced by passing them with ``beta = b / 2``.
  OpenJij's ``H(s) = s H_p + Gamma (1 - s) sum X`` is ``[[0, Gamma, 0], [1, 0, 1]]``.

A ``time_limit`` (seconds from the call) compresses either schedule into the
sweeps that fit, as simulated annealing does, so the anneal still ends at its
last point (Gamma at its end, typically ~0); a custom ``gamma_schedule``, given
sweep by sweep, stops early instead (``stopped_early``).

>>> import dimod
>>> bqm = dimod.BQM({}, {('a', 'b'): 1.0, ('b', 'c'): 1.0}, 0, 'SPIN')
>>> ss = PathIntegralAnnealingSampler().sample(bqm, num_reads=4, num_sweeps=100, seed=1)
>>> float(ss.first.energy)
-2.0
"""

from __future__ import annotations

import math
from collections.abc import Callable

import dimod
import numpy as np

from energy.model import IsingModel
from energy.rng import stream_seeds
from solvers import _pimc_kernels as kernels
from solvers._base import (
    COMMON_PARAMS,
    SWEEP_SHARE,
    StageTimer,
    empty_model_sampleset,
    initial_spins,
    kernel_thread_count,
    kernel_threads,
    run_chunked,
    run_compressed,
    sampleset_from_spins,
    sweep_work,
)
from solvers.params import Param, validate
from solvers.schedules import (
    SCHEDULE_TYPES,
    SchedulePositions,
    check_custom_schedule,
    default_beta_range,
    schedule_values,
)

MAX_SWEEPS = 10_000_000
MAX_SLICES = 4096
DEFAULT_SLICES = 8
#: Cap on num_reads * trotter_slices * num_variables (each costs 9 bytes: int8 spin + float64 field).
MAX_REPLICA_SPINS = 2**28
#: With fewer reads than threads, slices run in parallel only if a colour holds at least this many
#: replica spins: each colour is one parallel region per sweep, whose start-up cost must stay small.
MIN_PARALLEL_SLICE_WORK = 1 << 16
#: ``tanh`` argument floor: keeps ``J_perp`` finite (``beta J_perp <= 345``) when Gamma reaches 0.
_MIN_TANH_ARGUMENT = 1e-300


def inter_slice_coupling(gamma: np.ndarray, beta: float, num_slices: int) -> np.ndarray:
    """``J_perp = -(1/(2 beta)) ln tanh(beta Gamma / P)`` for each Gamma (0 when P = 1).

    >>> round(float(inter_slice_coupling(np.array([1.0]), 2.0, 4)[0]), 3)
    0.193
    """
    gamma = np.asarray(gamma, dtype=np.float64)
    if num_slices == 1:
        return np.zeros_like(gamma)
    argument = np.maximum(beta * gamma / num_slices, _MIN_TANH_ARGUMENT)
    return -np.log(np.tanh(argument)) / (2.0 * beta)


def default_beta(model: IsingModel) -> float:
    """The cold end of simulated annealing's default range (:func:`solvers.schedules.default_beta_range`):

    in the classical limit the smallest non-zero single-flip cost is accepted
    with probability 1%.
    """
    return default_beta_range(model)[1]


def default_gamma_range(model: IsingModel) -> tuple[float, float]:
    """From the largest typical local field down to a thousandth of it.

    In a random state the classical field on spin i has standard deviation
    ``sqrt(h_i**2 + sum_j J_ij**2)``; the largest of these (over i) starts the
    transverse field comparable to every spin's classical field.
    """
    n = model.num_variables
    rows = np.repeat(np.arange(n), np.diff(model.indptr))
    squares = model.h**2 + np.bincount(rows, weights=model.data**2, minlength=n)
    start = math.sqrt(float(squares.max())) if n else 1.0
    start = start or 1.0
    return start, start * 1e-3


class PathIntegralAnnealingSampler(dimod.Sampler):
    """Simulated quantum annealing on P Trotter slices with Ocean-style parameters.

    Parameters: ``num_reads``, ``num_sweeps``, ``trotter_slices`` (alias
    ``trotter``, default 8), ``beta`` (default :func:`default_beta`),
    ``gamma_range`` (default :func:`default_gamma_range`),
    ``gamma_schedule_type`` (``linear`` (default) / ``geometric`` / ``custom``),
    ``gamma_schedule``, ``schedule`` (``[[s, A, B], ...]``), ``seed``,
    ``initial_states`` (every slice starts in the given state; otherwise each
    slice is random), ``time_limit`` (seconds, see the module docstring), ``return_all_slices``.

    Each read returns the lowest-energy slice seen over the whole anneal. With
    ``return_all_slices=True`` the sample set instead holds the final state of
    every slice of every read (``num_reads * P`` rows, read-major) with
    ``read`` and ``slice`` columns. ``info`` holds ``beta``,
    ``trotter_slices``, the schedule, ``num_sweeps`` (as run), ``final_gamma``
    and ``final_b`` (the schedule's last point as run), ``local_acceptance_rate``,
    ``global_acceptance_rate`` and ``timing``.
    """

    PARAMS = {
        **COMMON_PARAMS,
        "num_sweeps": Param(int, low=1, high=MAX_SWEEPS, default=1000, description="sweeps per read"),
        "trotter_slices": Param(int, low=1, high=MAX_SLICES, default=None,
                                description=f"Trotter slices P (default {DEFAULT_SLICES})"),
        "trotter": Param(int, low=1, high=MAX_SLICES, default=None, description="alias of trotter_slices"),
        "beta": Param(float, low=0.0, high=1e12, default=None,
                      description="inverse temperature (default: derived from the model)"),
        "gamma_range": Param(object, default=None, description="[start, end] transverse field, start >= end >= 0"),
        "gamma_schedule_type": Param(str, choices=SCHEDULE_TYPES, default="linear"),
        "gamma_schedule": Param(object, default=None, description="one Gamma per sweep (custom schedule)"),
        "schedule": Param(object, default=None,
                          description="[[s, A, B], ...]: Gamma = A(s), classical part scaled by B(s)"),
        "return_all_slices": Param(bool, default=False, description="return every slice's final state"),
    }

    @property
    def parameters(self) -> dict:
        return {name: [] for name in self.PARAMS}

    @property
    def properties(self) -> dict:
        return {"max_sweeps": MAX_SWEEPS, "max_trotter_slices": MAX_SLICES, "max_replica_spins": MAX_REPLICA_SPINS}

    def sample(self, bqm: dimod.BinaryQuadraticModel, **params) -> dimod.SampleSet:
        timer = StageTimer()
        explicit = {name for name, value in params.items() if value is not None}
        p = validate(self.PARAMS, params)
        num_slices = _trotter_slices(p)
        model = IsingModel.from_bqm(bqm)
        spins0, num_reads = initial_spins(p["initial_states"], bqm, model, p["num_reads"])
        n = model.num_variables
        if num_reads * num_slices * n > MAX_REPLICA_SPINS:
            raise ValueError(
                f"num_reads * trotter_slices * num_variables = {num_reads} * {num_slices} * {n} = "
                f"{num_reads * num_slices * n} replica spins exceeds the limit of {MAX_REPLICA_SPINS} "
                f"(~{9 * MAX_REPLICA_SPINS / 2**30:.1f} GiB); reduce 'num_reads' or 'trotter_slices'."
            )
        beta = default_beta(model) if p["beta"] is None else p["beta"]
        if beta <= 0.0:
            raise ValueError(f"The 'beta' parameter must be positive. Got {beta!r} instead.")
        segment, positions, compressible, info = _schedule(model, p, explicit)
        info.update(beta=float(beta), trotter_slices=num_slices, num_sweeps_requested=positions.total)
        if n == 0:
            timer.stop("preprocessing_ns")
            info.update(num_sweeps=positions.total, timing=timer.timing)
            rows = num_reads * num_slices if p["return_all_slices"] else num_reads
            return empty_model_sampleset(bqm, rows, info)

        work = sweep_work(model, num_reads * num_slices, positions.total)
        # with fewer reads than threads, large enough slices of one colour run in parallel instead
        by_slice = num_reads < kernel_thread_count(work) and n * num_slices >= 2 * MIN_PARALLEL_SLICE_WORK
        tasks = num_reads * max(1, num_slices // 2) if by_slice else num_reads
        with kernel_threads(work, tasks):
            spins, best_spins, local_accepted, global_accepted, done, stopped_early = _anneal(
                model, spins0, p["seed"], num_reads, num_slices, beta, segment, positions, compressible,
                by_slice, tasks, p["time_limit"], timer)
        final_gamma, final_scale = segment(done - 1, done)
        info.update(
            num_sweeps=int(positions.total), num_sweeps_completed=int(done), stopped_early=bool(stopped_early),
            final_gamma=float(final_gamma[0]), final_b=float(final_scale[0] * num_slices),
            local_acceptance_rate=float(local_accepted.sum() / (done * num_slices * n * num_reads)),
            global_acceptance_rate=float(global_accepted.sum() / (done * n * num_reads)),
        )
        states, vectors = best_spins, {}
        if p["return_all_slices"]:
            reads, slices = np.divmod(np.arange(num_reads * num_slices), num_slices)
            states, vectors = spins.reshape(-1, n), {"read": reads, "slice": slices}
        with kernel_threads(sweep_work(model, len(states), 1), len(states)):  # energies: about one sweep's work
            sampleset = sampleset_from_spins(states, model, bqm, info, **vectors)
        timer.stop("postprocessing_ns")
        sampleset.info["timing"] = timer.timing
        return sampleset


def _anneal(model: IsingModel, spins0: np.ndarray, seed: int | None, num_reads: int, num_slices: int, beta: float,
            segment: Callable, positions: SchedulePositions, compressible: bool, by_slice: bool, tasks: int,
            time_limit: float | None, timer: StageTimer) -> tuple:
    """Set up the replicas and run the schedule in chunks, under a time limit compressed to fit
    (``compressible``) or stopped early (a custom schedule). ``by_slice`` picks the kernel that
    runs the slices of a colour in parallel; ``tasks`` is the parallel work of one kernel region.

    Returns ``(final spins (m, P, n), best slice per read (m, n), local accepts per (read, slice),
    world-line accepts per read, sweeps done, stopped early)``.
    """
    n = model.num_variables
    # unsigned row pointers and indices: no wraparound checks in the inner loops
    args = (model.h, model.indptr.astype(np.uint64), model.indices.astype(np.uint32), model.data)
    spins = np.empty((num_reads, num_slices, n), dtype=np.int8)
    fields = np.empty((num_reads, num_slices, n), dtype=np.float64)
    rng_states = np.empty((num_reads, num_slices + 1, 4), dtype=np.uint64)
    kernels.init_reads(stream_seeds(seed, num_reads), spins0, *args, spins, fields, rng_states)
    best_spins = spins[:, 0, :].copy()
    best_energies = np.full(num_reads, np.inf)
    local_accepted = np.zeros((num_reads, num_slices), dtype=np.int64)
    global_accepted = np.zeros(num_reads, dtype=np.int64)
    anneal_chunk = kernels.anneal_chunk_by_slice if by_slice else kernels.anneal_chunk
    timer.stop("preprocessing_ns")

    def run(start: int, stop: int) -> None:
        gammas, scales = segment(start, stop)
        anneal_chunk(scales, inter_slice_coupling(gammas, beta, num_slices), beta, spins, fields, rng_states, *args,
                     model.offset, best_spins, best_energies, local_accepted, global_accepted)

    time_left = None if time_limit is None else timer.remaining(SWEEP_SHARE * time_limit)
    if compressible and time_left is not None:
        done, stopped_early = run_compressed(run, positions, time_left, tasks), False
    else:
        done, stopped_early = run_chunked(positions.total, run, time_left)
    timer.stop("sampling_ns")
    return spins, best_spins, local_accepted, global_accepted, done, stopped_early


def _trotter_slices(p: dict) -> int:
    slices, alias = p["trotter_slices"], p["trotter"]
    if slices is not None and alias is not None and slices != alias:
        raise ValueError(f"The 'trotter' parameter is an alias of 'trotter_slices'; got both, "
                         f"with different values ({alias} and {slices}).")
    for value in (slices, alias):
        if value is not None:
            return value
    return DEFAULT_SLICES


def _schedule(model: IsingModel, p: dict, explicit: set) -> tuple[Callable, SchedulePositions, bool, dict]:
    """The anneal's schedule as ``segment(start, stop) -> (gammas, scales)`` for sweeps ``start..stop-1``.

    ``scales`` is the per-slice classical weight ``B / P``. Segments are computed
    on demand so a long schedule cut short by ``time_limit`` costs nothing.
    Also returns the sweeps' :class:`~solvers.schedules.SchedulePositions`
    (their number), whether a time limit may compress the schedule (all but a
    custom one given sweep by sweep) and the schedule's ``info`` entries.
    """
    num_slices = _trotter_slices(p)
    positions = SchedulePositions(p["num_sweeps"])
    if p["schedule"] is not None:
        clash = sorted(explicit & {"gamma_range", "gamma_schedule", "gamma_schedule_type"})
        if clash:
            raise ValueError(f"The 'schedule' parameter sets Gamma = A(s); "
                             f"do not also pass {', '.join(map(repr, clash))}.")
        points = _check_ab_schedule(p["schedule"])

        def from_points(start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
            s = positions.between(start, stop)
            return np.interp(s, points[:, 0], points[:, 1]), np.interp(s, points[:, 0], points[:, 2]) / num_slices

        return from_points, positions, True, {"schedule": points.tolist(),
                                              "gamma_range": [float(points[0, 1]), float(points[-1, 1])]}
    kind = p["gamma_schedule_type"]
    if kind == "custom":
        if p["gamma_schedule"] is None:
            raise ValueError("The 'gamma_schedule' parameter is required when gamma_schedule_type='custom'.")
        if p["gamma_range"] is not None:
            raise ValueError("The 'gamma_range' parameter is not used with gamma_schedule_type='custom'.")
        gammas = check_custom_schedule(p["gamma_schedule"], "gamma_schedule", MAX_SWEEPS)

        def given(start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
            return gammas[start:stop], np.full(stop - start, 1.0 / num_slices)

        return given, SchedulePositions(gammas.size), False, {"gamma_range": [float(gammas[0]), float(gammas[-1])],
                                                               "gamma_schedule_type": kind}
    if p["gamma_schedule"] is not None:
        raise ValueError("The 'gamma_schedule' parameter is only used with gamma_schedule_type='custom'.")
    gamma_range = default_gamma_range(model) if p["gamma_range"] is None else _check_gamma_range(p["gamma_range"])
    if kind == "geometric" and gamma_range[1] <= 0.0:
        raise ValueError("The 'gamma_range' parameter must end above 0 for gamma_schedule_type='geometric'.")

    def interpolated(start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        gammas = schedule_values(gamma_range, positions.between(start, stop), kind)
        return gammas, np.full(stop - start, 1.0 / num_slices)

    return interpolated, positions, True, {"gamma_range": list(gamma_range), "gamma_schedule_type": kind}


def _check_gamma_range(gamma_range) -> tuple[float, float]:
    try:
        start, end = (float(g) for g in gamma_range)
    except (TypeError, ValueError):
        raise ValueError(
            f"The 'gamma_range' parameter must be a pair of numbers. Got {gamma_range!r} instead.") from None
    if not (math.isfinite(start) and math.isfinite(end) and start >= end >= 0.0 and start > 0.0):
        raise ValueError(f"The 'gamma_range' parameter must be [start, end] with start > 0 and start >= end >= 0. "
                         f"Got {gamma_range!r} instead.")
    return start, end


def _check_ab_schedule(schedule) -> np.ndarray:
    message = ("The 'schedule' parameter must be a list of [s, A, B] points with s increasing from 0 to 1 "
               "and finite A, B >= 0.")
    try:
        points = np.asarray(schedule, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if points.ndim != 2 or points.shape[1] != 3 or points.shape[0] < 2 or not np.all(np.isfinite(points)):
        raise ValueError(message)
    s = points[:, 0]
    if s[0] != 0.0 or s[-1] != 1.0 or np.any(np.diff(s) <= 0.0) or np.any(points[:, 1:] < 0.0):
        raise ValueError(message)
    return points
