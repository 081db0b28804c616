"""``LandscapeSampler``: a dimod sampler that anneals on a Landscape server (needs dimod).

Example (any Ocean code that takes a sampler takes this one)::

    sampler = LandscapeSampler(base_url="http://127.0.0.1:8000", solver="sa")
    sampleset = sampler.sample_ising({"a": 1.0}, {("a", "b"): -1.0}, num_reads=10, seed=1)
    sampleset.first.energy   # -2.0
"""

from __future__ import annotations

import functools
from typing import Any

import dimod

from landscape_client._client import DEFAULT_URL, Client

#: the most samples the server returns for one solve
MAX_RETURN_SAMPLES = 1000


class LandscapeSampler(dimod.Sampler):
    """Sends each BQM to ``POST /v1/solve`` (as ``{"type": "qubo"|"ising", "bqm": ...}``) and returns a
    :class:`dimod.SampleSet` of the distinct samples found (``num_occurrences`` counts repeats), with the
    server's ``info`` (timing, solver, model size). Stateless: ``sample()`` never writes to the sampler.

    Give a :class:`Client`, or ``base_url``/``api_key`` (and other :class:`Client` options) to make one.
    ``solver`` is any BQM solver of the server (``sa``, ``sqa``, ``statevector``, ``exact``, ``auto``).
    """

    def __init__(self, client: Client | None = None, *, solver: str = "sa", base_url: str = DEFAULT_URL,
                 api_key: str | None = None, **client_options: Any):
        self._owns_client = client is None
        self.client = client if client is not None else Client(base_url, api_key, **client_options)
        self.solver = solver

    @functools.cached_property
    def parameters(self) -> dict[str, list]:
        """The chosen solver's parameters, as the server's ``GET /v1/solvers`` lists them."""
        for spec in self.client.solvers():
            if spec.name == self.solver:
                return {name: [] for name in spec.parameters}
        return {}

    @property
    def properties(self) -> dict[str, Any]:
        return {"solver": self.solver, "base_url": self.client.base_url}

    def sample(self, bqm: dimod.BinaryQuadraticModel, **parameters: Any) -> dimod.SampleSet:
        """Solve ``bqm`` remotely; ``parameters`` are the solver's (``num_reads``, ``num_sweeps``, ``seed``...)."""
        if bqm.num_variables == 0:  # nothing to anneal: the one empty sample, with the offset as energy
            return dimod.SampleSet.from_samples_bqm([{}], bqm, info={"solver": self.solver})
        wanted = parameters.get("num_reads") or MAX_RETURN_SAMPLES
        result = self.client.solve_qubo(bqm, solver=self.solver, return_samples=min(int(wanted), MAX_RETURN_SAMPLES),
                                        **parameters)
        samples = result.samples
        info = {**result.info, "solver": result.solver}
        return dimod.SampleSet(samples.record, samples.variables, info, samples.vartype)

    def __repr__(self) -> str:
        return f"LandscapeSampler(solver={self.solver!r})"

    def close(self) -> None:
        """Close the client if this sampler made it."""
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> LandscapeSampler:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
