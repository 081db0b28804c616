"""Load every sampler kernel once, so no request or timed call pays for numba compilation.

Kernels are compiled with ``cache=True``: the first process on a machine compiles
them (a few seconds each) and later ones load them from the cache (milliseconds).
Either way the cost lands on the first call of each code path, and a ``time_limit``
would count it. The service calls :func:`warm_up` in every worker before it takes
work; the test suite calls it once per test process.

>>> warm_up()  # milliseconds once the kernels are cached
"""

from __future__ import annotations

import dimod
import numba
import numpy as np

from energy.model import IsingModel
from solvers._base import MIN_PARALLEL_WORK, sweep_work
from solvers.exact import ExactSolver
from solvers.path_integral import MIN_PARALLEL_SLICE_WORK, PathIntegralAnnealingSampler
from solvers.simulated_annealing import SimulatedAnnealingSampler
from solvers.statevector import PARALLEL_MIN_QUBITS, StatevectorAnnealingSampler
from solvers.tour import TourAnnealer


def _ring(n: int) -> dimod.BinaryQuadraticModel:
    return dimod.BQM({}, {(i, (i + 1) % n): 1.0 for i in range(n)}, 0.0, "SPIN")


def warm_up() -> None:
    """Run each sampler once on every kernel path it can take (serial, parallel, clock-watched)."""
    triangle = _ring(3)
    sa = SimulatedAnnealingSampler()
    sa.sample(triangle, num_reads=2, num_sweeps=2, seed=0)
    # a clock-watched anneal (work >= MIN_PARALLEL_WORK) runs the schedule in resumable chunks
    ring = _ring(1024)
    sweeps = MIN_PARALLEL_WORK // sweep_work(IsingModel.from_bqm(ring), replicas=1, num_sweeps=1) + 1
    sa.sample(ring, num_reads=1, num_sweeps=sweeps, time_limit=60.0, seed=0)

    sqa = PathIntegralAnnealingSampler()
    sqa.sample(triangle, num_reads=2, num_sweeps=2, seed=0)
    if numba.get_num_threads() > 1:  # one read spread over slices
        slices = 8
        sqa.sample(_ring(2 * MIN_PARALLEL_SLICE_WORK // slices), num_reads=1, num_sweeps=1,
                   trotter_slices=slices, seed=0)

    statevector = StatevectorAnnealingSampler()
    statevector.sample(triangle, num_reads=1, num_steps=2, seed=0)
    statevector.sample(_ring(PARALLEL_MIN_QUBITS), num_reads=1, num_steps=1, seed=0)

    ExactSolver().sample(triangle)
    points = np.array([[0, 0], [0, 1], [1, 1], [1, 0], [2, 0]], dtype=float)
    distances = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1))
    TourAnnealer().solve(distances, num_restarts=1, num_sweeps=2, seed=0)
