"""Typed results, with the server's wire names as attributes.

Unknown fields the server adds later are kept (``extra="allow"``), so an older
client still reads a newer server.

>>> result = SolveResult.model_validate({"solver": "exact", "feasible": True, "energy": -2.0,
...     "answer": {"cut": 2.0, "sides": [[0], [1, 2]]}, "samples": None, "info": {"timing": {}}})
>>> type(result.answer).__name__, result.answer.cut
('MaxCutAnswer', 2.0)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

Label = int | str
Number = int | float
JobStatus = Literal["PENDING", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED"]
FINAL_STATUSES = frozenset({"COMPLETED", "FAILED", "CANCELLED"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)


class MaxCutAnswer(_Model):
    """``cut`` (total weight across) and ``sides`` (the two vertex sets)."""

    cut: float
    sides: list[list[Any]]
    feasible: bool = True
    energy: float | None = None


class TspAnswer(_Model):
    """``tour`` (city indices in visiting order) and its ``length``."""

    tour: list[int]
    length: float
    feasible: bool = True
    violations: list[Any] = Field(default_factory=list)
    repaired: bool = False
    lagrange: float | None = None


class PartitionAnswer(_Model):
    """``subsets`` (the two groups of numbers), their ``difference`` and the ``indices`` of each group."""

    subsets: list[list[Number]]
    difference: Number
    feasible: bool = True
    indices: list[list[int]] | None = None


class SampleAnswer(_Model):
    """QUBO/Ising: the best ``sample`` ({variable: value}) and its ``energy``."""

    sample: dict[Any, int]
    energy: float
    feasible: bool = True


def _answer_kind(value: Any) -> str | None:
    keys = value.keys() if isinstance(value, dict) else vars(value).keys() if hasattr(value, "__dict__") else ()
    for key, kind in (("cut", "maxcut"), ("tour", "tsp"), ("subsets", "partition"), ("sample", "model")):
        if key in keys:
            return kind
    return "other"


Answer = Annotated[
    Annotated[MaxCutAnswer, Tag("maxcut")] | Annotated[TspAnswer, Tag("tsp")]
    | Annotated[PartitionAnswer, Tag("partition")] | Annotated[SampleAnswer, Tag("model")]
    | Annotated[dict[str, Any], Tag("other")],  # an answer shape this client does not know yet
    Discriminator(_answer_kind),
]


def _sampleset(value: Any) -> Any:
    """dimod's serializable SampleSet as a ``dimod.SampleSet`` when dimod is installed."""
    if not isinstance(value, dict):
        return value
    try:
        import dimod
    except ImportError:
        return value
    return dimod.SampleSet.from_serializable(value)


class SolveResult(_Model):
    """A solve's (or a completed job's) result: ``solver``, ``feasible``, ``energy``, ``answer``, ``samples``,
    ``info`` (``info["timing"]`` in ns, ``info["model"]`` the compiled size)."""

    solver: str
    feasible: bool
    energy: float | None
    answer: Answer
    samples: Any = Field(None, description="dimod.SampleSet if dimod is installed, else the serializable dict")
    info: dict[str, Any] = Field(default_factory=dict)

    @field_validator("samples")
    @classmethod
    def _as_sampleset(cls, value: Any) -> Any:
        return _sampleset(value)

    @property
    def timing(self) -> dict[str, Any]:
        return self.info.get("timing", {})


class CompileResult(_Model):
    """The QUBO/Ising model of a problem: ``bqm`` is dimod's BQM JSON (``to_bqm()`` needs dimod)."""

    bqm: dict[str, Any]
    num_variables: int
    num_interactions: int
    vartype: str
    lagrange: float | None = None

    def to_bqm(self):
        import dimod

        return dimod.BinaryQuadraticModel.from_serializable(self.bqm)


class Health(_Model):
    status: str
    version: str | None = None
    api_version: str | None = None
    database: bool | None = None
    workers: dict[str, Any] | None = None


class SolverInfo(_Model):
    name: str
    description: str = ""
    problem_types: list[str] = Field(default_factory=list)
    max_variables: int | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)


class Limits(_Model):
    """The server's request limits (the ``limits`` of ``GET /v1/solvers``, named as its ``LANDSCAPE_*``
    settings). Limits this client does not name yet are kept as extra fields; a server too old to report
    them leaves every field None.

    >>> Limits.model_validate({"max_return_samples": 5, "max_reads": 10000, "max_queue": 1000}).max_return_samples
    5
    """

    max_return_samples: int | None = Field(None, description="best distinct samples one solve or job returns")
    max_reads: int | None = None
    max_sweeps: int | None = None
    max_work: float | None = Field(None, description="reads x sweeps x variables (x Trotter slices)")
    max_variables: int | None = None
    max_interactions: int | None = None
    max_cities: int | None = None
    max_sync_time_limit: float | None = Field(None, description="seconds, cap on time_limit of POST /v1/solve")
    max_job_time_limit: float | None = Field(None, description="seconds, cap on time_limit of a job")
    max_body_bytes: int | None = None


class JobInfo(_Model):
    """A job as the server last reported it; ``result`` is the raw result dict when COMPLETED."""

    id: str
    status: JobStatus
    kind: str | None = None
    created_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    progress: dict[str, Any] | None = None
    result: dict[str, Any] | None = None

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATUSES


class HopfieldNetwork(_Model):
    """A stored Hopfield network: size ``num_neurons`` (N), ``num_patterns`` (P), load ``alpha`` = P/N and a
    ``capacity_warning`` when the load is past the rule's known limit."""

    id: str
    rule: str | None = None
    num_neurons: int | None = None
    num_patterns: int | None = None
    alpha: float | None = None
    capacity: float | None = None
    capacity_warning: str | None = None
    shape: list[int] | None = None


class RecallResult(_Model):
    """``state`` reached, ``energy_trajectory`` per sweep, ``converged``, ``overlaps`` with every stored
    pattern and ``matched_pattern`` (index or None)."""

    state: list[Any]
    energy_trajectory: list[float | None] = Field(default_factory=list)
    converged: bool | None = None
    overlaps: list[float] = Field(default_factory=list)
    matched_pattern: int | None = None
    energy: float | None = None
    energy_is_lyapunov: bool | None = None
    num_sweeps: int | None = None
    kind: str | None = Field(None, description="stored, negation, mixture or spurious")
    nearest_pattern: int | None = None
    cycle_length: int | None = Field(None, description="length of the cycle sync dynamics fell into")
    seed: int | None = Field(None, description="batch recalls: the seed that reproduces this result alone")


class RecallBatch(_Model):
    """``results`` of a batch recall (one :class:`RecallResult` per cue, in order), the batch ``seed`` and
    ``info`` (where it ran, in how many chunks)."""

    results: list[RecallResult]
    seed: int
    info: dict[str, Any] = Field(default_factory=dict)


class PCModel(_Model):
    """A stored predictive-coding model: its ``layers``, ``activation``, ``mode`` and ``epochs_trained``."""

    id: str
    layers: list[int] = Field(default_factory=list)
    activation: str | None = None
    mode: str | None = None
    epochs_trained: int | None = None
    config: dict[str, Any] = Field(default_factory=dict)


class TrainResult(_Model):
    """A finished training job: the ``history`` of per-epoch metrics (``free_energy``, ``loss``,
    ``accuracy``...) and the model's ``epochs_trained`` in total."""

    model_id: str
    history: list[dict[str, Any]] = Field(default_factory=list)
    epochs_trained: int | None = None


class InferResult(_Model):
    """``predictions``, ``latents``, per-layer ``errors`` and the ``free_energy`` trajectory."""

    predictions: list[Any] = Field(default_factory=list)
    latents: list[Any] = Field(default_factory=list)
    errors: list[Any] = Field(default_factory=list)
    free_energy: list[float] = Field(default_factory=list, description="F of the initial state, then after each "
                                    "accepted inference step, averaged over the inputs")
