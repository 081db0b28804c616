"""What the annealers share: BQM -> spin arrays, initial states, SampleSet out.

Samplers call these so each concern (vartype conversion, initial-state parsing,
timing) is written once. Nothing here keeps state between calls.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import dimod
import numba
import numpy as np

from energy.model import IsingModel, spins_to_vartype, vartype_to_spins
from solvers.params import Param
from solvers.schedules import SchedulePositions

#: Parameters every annealer accepts, with one definition.
COMMON_PARAMS = {
    "num_reads": Param(int, low=1, high=1_000_000, default=None,
                       description="independent anneals (default: number of initial states, else 1)"),
    "seed": Param(int, low=0, high=2**64 - 1, default=None, description="seed for reproducible samples"),
    "initial_states": Param(object, default=None, description="samples-like starting states (one per read)"),
    "time_limit": Param(float, low=0.0, high=86_400.0, default=None,
                        description="seconds from the call; the schedule is compressed to fit "
                                    "(a custom schedule stops early instead)"),
}


#: Below this much :func:`sweep_work` in a call (~10-30 ms on one core) kernels run on one thread and
#: no clock is watched: waking the thread pool can cost more than the work, especially on a busy machine.
MIN_PARALLEL_WORK = 1 << 22


def sweep_work(model: IsingModel, replicas: int, num_sweeps: int) -> int:
    """Cost of ``num_sweeps`` sweeps over ``replicas`` copies of ``model``, in memory touches.

    Every spin is visited and, at worst, every flip is accepted and updates its
    neighbours' fields: ``replicas x sweeps x (n + stored couplings)``. Counting
    couplings keeps dense models (few spins, many couplings) from passing as small.

    >>> sweep_work(IsingModel.from_arrays([0.0, 0.0], [0], [1], [1.0]), replicas=3, num_sweeps=10)
    120
    """
    return replicas * num_sweeps * (model.num_variables + int(model.indices.shape[0]))


#: Share of a ``time_limit`` given to the sweeps; the rest is left for building the SampleSet.
SWEEP_SHARE = 0.95


def kernel_thread_count(work: float, tasks: int | None = None) -> int:
    """Threads for kernels doing ``work``: one below :data:`MIN_PARALLEL_WORK`, else numba's,
    capped by ``tasks`` (independent pieces of parallel work, e.g. reads) so none is woken for nothing."""
    threads = numba.get_num_threads()
    return 1 if work < MIN_PARALLEL_WORK else min(threads, max(1, tasks or threads))


@contextlib.contextmanager
def kernel_threads(work: float, tasks: int | None = None):
    """Run numba kernels on :func:`kernel_thread_count` threads, then restore.

    numba's thread count is a per-calling-thread setting, so this is safe in a threaded server.
    """
    before = numba.get_num_threads()
    numba.set_num_threads(kernel_thread_count(work, tasks))
    try:
        yield
    finally:
        numba.set_num_threads(before)


class StageTimer:
    """Collects ``preprocessing_ns``, ``sampling_ns``, ``postprocessing_ns``.

    >>> t = StageTimer(); t.stop("preprocessing_ns"); sorted(t.timing)
    ['preprocessing_ns']
    """

    def __init__(self) -> None:
        self.timing: dict[str, int] = {}
        self._start = self._last = time.perf_counter_ns()

    def remaining(self, time_limit: float | None) -> float | None:
        """Seconds left of ``time_limit`` counted from this timer's creation."""
        if time_limit is None:
            return None
        return time_limit - (time.perf_counter_ns() - self._start) / 1e9

    def stop(self, stage: str) -> None:
        now = time.perf_counter_ns()
        self.timing[stage] = now - self._last
        self._last = now


def initial_spins(initial_states, bqm: dimod.BinaryQuadraticModel, model: IsingModel,
                  num_reads: int | None) -> tuple[np.ndarray, int]:
    """Parse ``initial_states`` into an int8 spin array in ``model.variables`` order.

    Returns ``(spins, num_reads)``; ``spins`` has zero rows when no initial
    states are given. With fewer states than reads, states are tiled.
    """
    n = model.num_variables
    if initial_states is None:
        return np.zeros((0, n), dtype=np.int8), 1 if num_reads is None else num_reads
    try:
        array, labels = dimod.as_samples(initial_states, copy=True)
    except (TypeError, ValueError) as err:
        raise ValueError(f"The 'initial_states' parameter is not samples-like: {err}") from None
    if set(labels) != set(model.variables):
        raise ValueError("The 'initial_states' parameter must assign every variable of the model and no others.")
    if array.shape[0] == 0:
        raise ValueError("The 'initial_states' parameter must hold at least one state.")
    position = {v: k for k, v in enumerate(labels)}
    array = array[:, [position[v] for v in model.variables]]
    allowed = {-1, 1} if bqm.vartype is dimod.SPIN else {0, 1}
    if not set(np.unique(array).tolist()) <= allowed:
        raise ValueError(f"The 'initial_states' parameter must hold values in {sorted(allowed)} for a {bqm.vartype.name} model.")
    spins = vartype_to_spins(array, bqm.vartype)
    reads = spins.shape[0] if num_reads is None else num_reads
    spins = np.ascontiguousarray(np.resize(spins, (reads, n)) if reads != spins.shape[0] else spins, dtype=np.int8)
    return spins, reads


def sampleset_from_spins(spins: np.ndarray, model: IsingModel, bqm: dimod.BinaryQuadraticModel,
                         info: dict, **vectors) -> dimod.SampleSet:
    """Build a SampleSet in the BQM's vartype; energies recomputed exactly from the model."""
    energies = model.energies(spins) if model.num_variables else np.full(spins.shape[0], model.offset)
    return dimod.SampleSet.from_samples(
        (spins_to_vartype(spins, bqm.vartype), model.variables),
        vartype=bqm.vartype, energy=energies, info=info, **vectors,
    )


def empty_model_sampleset(bqm: dimod.BinaryQuadraticModel, num_reads: int, info: dict) -> dimod.SampleSet:
    """A model with no variables: every read is the empty sample at energy = offset."""
    return dimod.SampleSet.from_samples(
        (np.zeros((num_reads, 0), dtype=np.int8), []), vartype=bqm.vartype,
        energy=np.full(num_reads, float(bqm.offset)), info=info,
    )


def run_chunked(total: int, run: Callable[[int, int], None], time_limit: float | None,
                target_chunk_seconds: float = 0.05) -> tuple[int, bool]:
    """Call ``run(start, stop)`` over ``range(total)`` in chunks of ~``target_chunk_seconds``.

    Stops before the next chunk would overrun ``time_limit``. Returns
    ``(completed, stopped_early)``. For schedules given sweep by sweep; a
    schedule that can be compressed runs under :func:`run_compressed` instead.
    """
    start_time = time.perf_counter()
    done, chunk = 0, 1
    while done < total:
        stop = min(total, done + chunk)
        chunk_start = time.perf_counter()
        run(done, stop)
        per_unit = max((time.perf_counter() - chunk_start) / (stop - done), 1e-9)
        done = stop
        budget = target_chunk_seconds
        if time_limit is not None:
            remaining = time_limit - (time.perf_counter() - start_time)
            if done < total and remaining < per_unit:
                return done, True
            budget = min(budget, remaining)
        chunk = max(1, int(budget / per_unit))
    return done, False


def run_compressed(run: Callable[[int, int], None], positions: SchedulePositions, time_left: float,
                   parallel_tasks: int = 1, target_chunk_seconds: float = 0.05, probe_seconds: float = 0.002) -> int:
    """Call ``run(start, stop)`` over the sweeps of ``positions`` in chunks, compressing the schedule to fit.

    ``run`` takes the schedule positions of its sweeps from ``positions``. Before
    every chunk, if the sweeps planned no longer fit in what is left of
    ``time_left`` seconds, the rest of the schedule is compressed into those that
    do (:meth:`SchedulePositions.resize`), never below one more sweep: the anneal
    always ends at the end of its schedule (cold), however slow the machine turns;
    with no time left at the start, that one sweep is all. The plan only ever
    shrinks, so the schedule stays evenly compressed and may finish early as the
    anneal cools (cold sweeps, with few flips accepted, are the cheapest).

    A sweep is costed at the larger of two rates. The hot start, the dearest part
    of an anneal, is timed first on one thread (waking other threads can cost a
    scheduler time slice on a busy machine), in chunks doubling from one sweep
    until one takes ``probe_seconds``; the fastest (so start-up costs and a stall
    do not count), spread over ``parallel_tasks`` (e.g. reads) on the threads
    available, is the floor. The mean wall time per sweep since then follows a busy
    machine. Chunks grow at most fourfold, towards lasting ``target_chunk_seconds``
    at the last chunk's wall time per sweep (few parallel regions), and shrink to a
    quarter of the time left, so a machine slowing down near the end overruns by
    little. Returns the number of sweeps run.
    """
    started = time.perf_counter()
    if time_left <= 0.0:
        positions.resize(0, 1)
    threads = numba.get_num_threads()
    done, chunk, serial_cost, probing = 0, 1, float("inf"), True
    numba.set_num_threads(1)
    try:
        while probing and done < positions.total:
            stop = min(positions.total, done + chunk)
            chunk_start = time.perf_counter()
            run(done, stop)
            elapsed = time.perf_counter() - chunk_start
            serial_cost = min(serial_cost, max(elapsed / (stop - done), 1e-9))
            done, chunk = stop, 2 * chunk
            probing = elapsed < probe_seconds and 2.0 * elapsed < (time_left - (time.perf_counter() - started)) / 10.0
    finally:
        numba.set_num_threads(threads)
    floor = serial_cost / max(1, min(threads, parallel_tasks))
    probed, probed_at = done, time.perf_counter()
    wall_per_sweep = floor  # of the last chunk: sizes the next one
    while done < positions.total:
        now = time.perf_counter()
        cost = max(floor, (now - probed_at) / (done - probed)) if done > probed else floor
        left = time_left - (now - started)
        fit = done + max(1, int(left / cost))
        if fit < positions.total:
            positions.resize(done, fit)
        chunk = max(1, min(4 * chunk, int(min(target_chunk_seconds, left / 4.0) / wall_per_sweep)))
        stop = min(positions.total, done + chunk)
        run(done, stop)
        wall_per_sweep = max((time.perf_counter() - now) / (stop - done), 1e-9)
        done = stop
    return done
