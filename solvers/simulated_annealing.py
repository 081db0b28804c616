"""Simulated annealing (Kirkpatrick, Gelatt & Vecchi 1983) as a dimod sampler.

Metropolis single-spin sweeps with Boltzmann acceptance ``exp(-beta dE)`` under
a rising inverse temperature; reads run in parallel on all cores and each read
has its own random stream, so a seed gives the same samples on any thread count.

>>> import dimod
>>> bqm = dimod.BQM({}, {('a', 'b'): 1.0, ('b', 'c'): 1.0}, 0, 'SPIN')
>>> ss = SimulatedAnnealingSampler().sample(bqm, num_reads=4, num_sweeps=100, seed=1)
>>> float(ss.first.energy)
-2.0
"""

from __future__ import annotations

import dimod
import numpy as np

from energy.model import IsingModel
from energy.rng import stream_seeds
from solvers import _anneal_kernels as kernels
from solvers._base import (
    COMMON_PARAMS,
    MIN_PARALLEL_WORK,
    SWEEP_SHARE,
    StageTimer,
    empty_model_sampleset,
    initial_spins,
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
    check_beta_range,
    check_custom_schedule,
    default_beta_range,
    schedule_values,
)

MAX_SWEEPS = 10_000_000
SCHEDULE_BLOCK = 65_536  # sweeps per kernel call without a time limit (bounds the betas array)


class SimulatedAnnealingSampler(dimod.Sampler):
    """Metropolis simulated annealing with Ocean's parameter names.

    Parameters: ``num_reads``, ``num_sweeps``, ``beta_range`` (default from the
    model, see :func:`solvers.schedules.default_beta_range`),
    ``beta_schedule_type`` (``linear``/``geometric``/``custom``), ``beta_schedule``,
    ``seed``, ``initial_states``, ``time_limit`` (seconds from the call, model
    conversion included).

    Under a ``time_limit`` a linear or geometric schedule is compressed to the
    sweeps that fit, re-planned as it runs, so the anneal still ends at the
    cold end; a custom ``beta_schedule`` stops early instead (``stopped_early``).
    ``info`` reports ``num_sweeps`` (the schedule's length as run),
    ``num_sweeps_completed``, ``final_beta`` and ``acceptance_rate``.
    """

    PARAMS = {
        **COMMON_PARAMS,
        "num_sweeps": Param(int, low=1, high=MAX_SWEEPS, default=1000, description="sweeps per read"),
        "beta_range": Param(object, default=None, description="[hot, cold] inverse temperatures"),
        "beta_schedule_type": Param(str, choices=SCHEDULE_TYPES, default="geometric"),
        "beta_schedule": Param(object, default=None, description="one beta per sweep (custom schedule)"),
    }

    @property
    def parameters(self) -> dict:
        return {name: [] for name in self.PARAMS}

    @property
    def properties(self) -> dict:
        return {"max_sweeps": MAX_SWEEPS}

    def sample(self, bqm: dimod.BinaryQuadraticModel, **params) -> dimod.SampleSet:
        timer = StageTimer()
        p = validate(self.PARAMS, params)
        model = IsingModel.from_bqm(bqm)
        spins0, num_reads = initial_spins(p["initial_states"], bqm, model, p["num_reads"])
        positions, betas_between, beta_range = self._schedule(model, p)
        num_sweeps = positions.total
        info = {"beta_range": list(beta_range), "beta_schedule_type": p["beta_schedule_type"],
                "num_sweeps_requested": num_sweeps}
        if model.num_variables == 0:
            timer.stop("preprocessing_ns")
            info["timing"] = timer.timing
            return empty_model_sampleset(bqm, num_reads, info)

        n = model.num_variables
        # unsigned indices and row pointers: no sign checks in the kernels' inner loops
        arrays = (model.h, model.indptr.astype(np.uint64), model.indices.astype(np.uint32), model.data)
        spins = np.empty((num_reads, n), dtype=np.int8)
        fields = np.empty((num_reads, n), dtype=np.float64)
        rng_states = np.empty((num_reads, 4), dtype=np.uint64)
        best_spins = np.empty((num_reads, n), dtype=np.int8)
        best_energies = np.empty(num_reads, dtype=np.float64)
        accepted = np.zeros(num_reads, dtype=np.int64)
        timer.stop("preprocessing_ns")

        def run(start: int, stop: int) -> None:
            kernels.anneal_reads(betas_between(start, stop), spins, fields, rng_states, *arrays, model.offset,
                                 best_spins, best_energies, accepted)

        work = sweep_work(model, num_reads, num_sweeps)
        # A small anneal ends well inside any time limit: no clock to watch. Otherwise the clock is
        # read between chunks, and a non-custom schedule is compressed to fit.
        watch_clock = p["time_limit"] is not None and work >= MIN_PARALLEL_WORK
        with kernel_threads(work, num_reads):
            # no clock to watch: initialise and anneal in big blocks, so few parallel regions
            first = 0 if watch_clock else min(num_sweeps, SCHEDULE_BLOCK)
            kernels.start_reads(stream_seeds(p["seed"], num_reads), spins0, betas_between(0, first), *arrays,
                                model.offset, spins, fields, rng_states, best_spins, best_energies, accepted)
            done, stopped_early = num_sweeps, False
            if not watch_clock:
                for start in range(first, num_sweeps, SCHEDULE_BLOCK):
                    run(start, min(num_sweeps, start + SCHEDULE_BLOCK))
            elif p["beta_schedule_type"] == "custom":
                done, stopped_early = run_chunked(num_sweeps, run, timer.remaining(SWEEP_SHARE * p["time_limit"]))
            else:
                done = run_compressed(run, positions, timer.remaining(SWEEP_SHARE * p["time_limit"]), num_reads)
        timer.stop("sampling_ns")
        info.update(num_sweeps=int(positions.total), num_sweeps_completed=int(done),
                    stopped_early=bool(stopped_early), final_beta=float(betas_between(done - 1, done)[0]),
                    acceptance_rate=float(accepted.sum() / max(1, done * n * num_reads)))
        with kernel_threads(sweep_work(model, num_reads, 1), num_reads):  # energies: about one sweep's work
            sampleset = sampleset_from_spins(best_spins, model, bqm, info)
        timer.stop("postprocessing_ns")
        sampleset.info["timing"] = timer.timing
        return sampleset

    @staticmethod
    def _schedule(model: IsingModel, p: dict):
        """Returns ``(positions, betas_between(start, stop), beta_range)``.

        ``positions`` (:class:`~solvers.schedules.SchedulePositions`) holds the
        number of sweeps, which a time limit may shrink for a non-custom schedule.
        """
        if p["beta_schedule_type"] == "custom":
            if p["beta_schedule"] is None:
                raise ValueError("The 'beta_schedule' parameter is required when beta_schedule_type='custom'.")
            betas = check_custom_schedule(p["beta_schedule"], "beta_schedule", MAX_SWEEPS)
            beta_range = (float(betas[0]), float(betas[-1]))
            return SchedulePositions(betas.size), (lambda start, stop: betas[start:stop]), beta_range
        if p["beta_schedule"] is not None:
            raise ValueError("The 'beta_schedule' parameter is only used with beta_schedule_type='custom'.")
        beta_range = default_beta_range(model) if p["beta_range"] is None else check_beta_range(p["beta_range"])
        positions, kind = SchedulePositions(p["num_sweeps"]), p["beta_schedule_type"]

        def betas_between(start: int, stop: int) -> np.ndarray:
            return schedule_values(beta_range, positions.between(start, stop), kind)

        return positions, betas_between, beta_range
