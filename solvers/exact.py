"""Exhaustive enumeration: the test oracle, and a solver for small models.

Unlike ``dimod.ExactSolver`` (which materialises all ``2**n`` states), this walks
the states in Gray-code order inside a parallel numba kernel and keeps only the
lowest ``num_states``, so memory stays small and n = 30 is within reach: its time
at n = 24, 27 and 30 is measured in docs/benchmarks.md (``python -m bench sa``).

>>> import dimod
>>> bqm = dimod.BQM({'a': -1.0}, {('a', 'b'): 2.0}, 0, 'SPIN')
>>> ss = ExactSolver().sample(bqm, num_states=2)
>>> {v: int(s) for v, s in ss.first.sample.items()}, float(ss.first.energy)
({'a': 1, 'b': -1}, -3.0)
"""

from __future__ import annotations

import dimod
import numpy as np

from energy.model import IsingModel
from solvers import _exact_kernels as kernels
from solvers._base import StageTimer, empty_model_sampleset, sampleset_from_spins
from solvers.params import Param, validate

MAX_VARIABLES = 34


class ExactSolver(dimod.Sampler):
    """Lowest ``num_states`` states of a model by exhaustive Gray-code enumeration.

    ``max_variables`` caps the model size (default 34, i.e. 1.7e10 states).
    """

    PARAMS = {
        "num_states": Param(int, low=1, high=10_000, default=16, description="how many lowest states to return"),
    }

    def __init__(self, max_variables: int = MAX_VARIABLES):
        self.max_variables = max_variables

    @property
    def parameters(self) -> dict:
        return {name: [] for name in self.PARAMS}

    @property
    def properties(self) -> dict:
        return {"max_variables": self.max_variables}

    def sample(self, bqm: dimod.BinaryQuadraticModel, **params) -> dimod.SampleSet:
        timer = StageTimer()
        p = validate(self.PARAMS, params)
        n = bqm.num_variables
        if n > self.max_variables:
            raise ValueError(
                f"ExactSolver enumerates 2**n states and is limited to {self.max_variables} variables; "
                f"the model has {n}."
            )
        model = IsingModel.from_bqm(bqm)
        timer.stop("preprocessing_ns")
        if n == 0:
            info = {"timing": timer.timing}
            return empty_model_sampleset(bqm, 1, info)
        keep = min(p["num_states"], 2**n)
        prefix_bits = min(n, 8) if n > 12 else 0
        energies, indices = kernels.enumerate_lowest(
            model.h, model.indptr, model.indices, model.data, model.offset, prefix_bits, keep
        )
        energies, indices = energies.ravel(), indices.ravel()
        chosen = np.argsort(energies, kind="stable")[:keep]
        chosen = chosen[indices[chosen] >= 0]
        bits = (indices[chosen, None] >> np.arange(n, dtype=np.int64)) & 1
        spins = (2 * bits - 1).astype(np.int8)
        timer.stop("sampling_ns")
        info = {"num_states_enumerated": 2**n}
        sampleset = sampleset_from_spins(spins, model, bqm, info)
        timer.stop("postprocessing_ns")
        sampleset.info["timing"] = timer.timing
        return sampleset
