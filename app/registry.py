"""The solvers the service offers: name, what they accept, parameters, limits.

Each :class:`SolverSpec` is the single source for ``GET /v1/solvers``, for
request validation and for building the sampler in a worker process.

>>> from app.config import Settings
>>> spec = SOLVERS["sa"]
>>> "maxcut" in spec.kinds, spec.max_variables(Settings()) > 1000
(True, True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from app.config import Settings
from solvers.exact import ExactSolver
from solvers.params import Param
from solvers.path_integral import DEFAULT_SLICES, PathIntegralAnnealingSampler
from solvers.simulated_annealing import SimulatedAnnealingSampler
from solvers.statevector import StatevectorAnnealingSampler, default_num_steps
from solvers.tour import TourAnnealer

BQM_KINDS = ("maxcut", "partition", "tsp", "qubo", "ising")


@dataclasses.dataclass(frozen=True)
class SolverSpec:
    """How the service runs one solver."""

    name: str
    description: str
    kinds: tuple[str, ...]
    params: dict[str, Param]
    build: Callable[[Settings], Any]
    max_variables: Callable[[Settings], int]
    #: work a request costs (spin or amplitude updates), from its validated params and model size (None: not budgeted)
    work: Callable[[dict, int], float] | None = None

    def to_dict(self, settings: Settings) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "problem_types": list(self.kinds),
            "max_variables": self.max_variables(settings),
            "parameters": {name: p.to_dict() for name, p in self.params.items()},
        }


def _annealing_work(params: dict, n: int) -> float:
    """Spin updates of an SA request: reads x sweeps x variables."""
    return float(params.get("num_reads") or 1) * (params.get("num_sweeps") or 1000) * n


def _statevector_work(params: dict, n: int) -> float:
    """Amplitude updates of a statevector request: Trotter steps x 2^n amplitudes.

    >>> _statevector_work({"annealing_time": 10.0}, 20) == 100 * 2**20
    True
    """
    steps = params.get("num_steps") or default_num_steps(params.get("annealing_time") or 10.0)
    return float(steps) * 2.0**n


def _path_integral_work(params: dict, n: int) -> float:
    """Replica-spin updates of an SQA request: SA's count times the Trotter slices."""
    return _annealing_work(params, n) * (params.get("trotter_slices") or params.get("trotter") or DEFAULT_SLICES)


SOLVERS: dict[str, SolverSpec] = {
    spec.name: spec
    for spec in [
        SolverSpec(
            "sa", "Simulated annealing: Metropolis sweeps under a rising inverse temperature (numba, reads in parallel).",
            BQM_KINDS, SimulatedAnnealingSampler.PARAMS, lambda s: SimulatedAnnealingSampler(),
            lambda s: s.max_variables, _annealing_work,
        ),
        SolverSpec(
            "sqa", "Simulated quantum annealing: path-integral Monte Carlo of the transverse-field Ising model "
            "(Suzuki-Trotter replicas, transverse field falling to 0).",
            BQM_KINDS, PathIntegralAnnealingSampler.PARAMS, lambda s: PathIntegralAnnealingSampler(),
            lambda s: s.max_variables, _path_integral_work,
        ),
        SolverSpec(
            "statevector", "Exact quantum annealing: Schrodinger evolution of the 2^n statevector under "
            "H(s) = A(s) H_D + B(s) H_C from |+>^n.",
            BQM_KINDS, StatevectorAnnealingSampler.PARAMS,
            lambda s: StatevectorAnnealingSampler(max_qubits=s.max_statevector_qubits),
            lambda s: min(s.max_statevector_qubits, StatevectorAnnealingSampler().max_qubits), _statevector_work,
        ),
        SolverSpec(
            "exact", "Exhaustive enumeration (Gray code, numba): the lowest states, exactly.",
            BQM_KINDS, ExactSolver.PARAMS, lambda s: ExactSolver(max_variables=s.max_exact_variables),
            lambda s: s.max_exact_variables,
        ),
        SolverSpec(
            "tour", "Native TSP annealer over permutations: 2-opt and or-opt moves with neighbour lists, "
            "parallel restarts, final local descent.",
            ("tsp",), TourAnnealer.PARAMS, lambda s: TourAnnealer(), lambda s: s.max_cities,
        ),
    ]
}

AUTO = "auto"


#: Parameters ``auto`` may drop when it picks the exact solver (which needs neither).
AUTO_DROPPABLE = ("seed", "time_limit")


def choose_solver(kind: str, num_variables: int, settings: Settings, params: dict | None = None) -> str:
    """The solver ``auto`` picks: ``tour`` for TSP; ``exact`` for tiny models when no annealing
    parameters are given (exact takes only ``num_states``; ``seed`` and ``time_limit`` are
    dropped); else ``sa``.
    """
    if kind == "tsp":
        return "tour"
    exact_takes_all = set(params or {}) - set(AUTO_DROPPABLE) <= set(SOLVERS["exact"].params)
    if num_variables <= min(16, settings.max_exact_variables) and exact_takes_all:
        return "exact"
    return "sa"
