"""``LandscapeSampler``: a dimod sampler that anneals on a Landscape server (needs dimod).

Example (any Ocean code that takes a sampler takes this one)::

    sampler = LandscapeSampler(base_url="http://127.0.0.1:8000", solver="sa")
    sampleset = sampler.sample_ising({"a": 1.0}, {("a", "b"): -1.0}, num_reads=10, seed=1)
    sampleset.first.energy   # -2.0
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import dimod

from landscape_client._client import DEFAULT_URL, Client

#: the most samples one solve returns, assumed of a server that does not report ``max_return_samples``
DEFAULT_MAX_RETURN_SAMPLES = 1000


class LandscapeSampler(dimod.Sampler):
    """Sends each BQM to ``POST /v1/solve`` (as ``{"type": "qubo"|"ising", "bqm": ...}``) and returns a
    :class:`dimod.SampleSet` of the distinct samples found (``num_occurrences`` counts repeats), with the
    server's ``info`` (timing, solver, model size). ``sample()`` keeps no state but the server's
    ``max_return_samples``, fetched once.

    The server returns at most ``max_return_samples`` distinct samples per solve, the best ones. When
    ``num_reads`` is larger, the SampleSet's ``info`` has ``max_return_samples`` and ``returned_samples``
    (the distinct samples it holds), and a warning says so if reads were left out (the ``num_occurrences``
    then sum to less than ``num_reads``).

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

    @functools.cached_property
    def max_return_samples(self) -> int:
        """The most distinct samples the server returns for one solve (its ``limits``; 1000 if it does not
        say), fetched at first use.

        Example::

            LandscapeSampler(base_url="http://127.0.0.1:8000").max_return_samples   # 1000
        """
        cap = self.client.limits().max_return_samples
        return DEFAULT_MAX_RETURN_SAMPLES if cap is None else cap

    @property
    def properties(self) -> dict[str, Any]:
        return {"solver": self.solver, "base_url": self.client.base_url}

    def sample(self, bqm: dimod.BinaryQuadraticModel, **parameters: Any) -> dimod.SampleSet:
        """Solve ``bqm`` remotely; ``parameters`` are the solver's (``num_reads``, ``num_sweeps``, ``seed``...).

        Example::

            sampler.sample(dimod.BQM({"a": 1.0}, {}, 0.0, "SPIN"), num_reads=10).first.sample   # {'a': -1}
        """
        if bqm.num_variables == 0:  # nothing to anneal: the one empty sample, with the offset as energy
            return dimod.SampleSet.from_samples_bqm([{}], bqm, info={"solver": self.solver})
        cap = self.max_return_samples
        num_reads = parameters.get("num_reads")
        # at least 1, so a server that returns no samples (max_return_samples=0) says so itself
        return_samples = max(1, min(int(num_reads or cap), cap))
        result = self.client.solve_qubo(bqm, solver=self.solver, return_samples=return_samples, **parameters)
        samples = result.samples
        info = {**result.info, "solver": result.solver}
        if num_reads is not None and int(num_reads) > cap:
            info.update(max_return_samples=cap, returned_samples=len(samples))
            kept = int(samples.record.num_occurrences.sum())
            if kept < int(num_reads):
                warnings.warn(f"num_reads={num_reads} is more than the server returns (max_return_samples={cap}): "
                              f"the SampleSet holds the best {len(samples)} distinct samples, {kept} of the "
                              f"{num_reads} reads", stacklevel=2)
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
