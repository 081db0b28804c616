"""Request and response models of the HTTP API (the wire contract).

Shapes are checked here (422 on mismatch); meaning is checked by the problem
classes and solvers (400 naming the field).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

# Strict: JSON true/false is not a number or a label (pydantic would otherwise read it as 1/0).
Label = StrictInt | StrictStr
Number = StrictFloat | StrictInt


class _Problem(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MaxCutProblem(_Problem):
    type: Literal["maxcut"]
    edges: list[list[Label | Number]] | None = Field(
        None, description="[[u, v], ...] or [[u, v, w], ...]; w defaults to 1", examples=[[[0, 1], [1, 2], [2, 0, 2.5]]])
    gset: str | None = Field(None, description="a G-set file's text")


class PartitionProblem(_Problem):
    type: Literal["partition"]
    numbers: list[Number] = Field(..., examples=[[4, 5, 6, 7, 8]])


class TspProblem(_Problem):
    type: Literal["tsp"]
    coordinates: list[list[Number]] | None = Field(None, examples=[[[0, 0], [0, 1], [1, 1], [1, 0]]])
    distance_matrix: list[list[Number]] | None = None
    tsplib: str | None = Field(None, description="a TSPLIB95 file's text")
    lagrange: float | None = Field(None, gt=0, description="QUBO route only: the one-hot penalty weight "
                                   "(default: automatic, 1.5 x the longest edge; reported in the answer)")
    repair: bool = Field(False, description="QUBO route only: turn a broken sample into the nearest valid tour "
                         "(flagged 'repaired') instead of answering feasible=false")


class ModelProblem(_Problem):
    type: Literal["qubo", "ising"]
    linear: dict[str, Number] | None = Field(None, examples=[{"a": -1.0, "b": 0.5}])
    quadratic: list[list[Label | Number]] | None = Field(None, examples=[[["a", "b", 2.0]]])
    offset: Number = 0.0
    bqm: dict[str, Any] | None = Field(None, description="dimod BQM JSON (BinaryQuadraticModel.to_serializable())")
    coo: str | None = Field(None, description="COO text: 'i j bias' lines")


Problem = Annotated[MaxCutProblem | PartitionProblem | TspProblem | ModelProblem, Field(discriminator="type")]

_MAXCUT_EXAMPLE = {
    "problem": {"type": "maxcut", "edges": [[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]]},
    "solver": "sa",
    "params": {"num_reads": 10, "num_sweeps": 1000, "seed": 1},
    "return_samples": 3,
}


#: One ready-to-run request per problem type, offered by /docs ("Try it out" starts from the first, a Max-Cut).
SOLVE_EXAMPLES = {
    "maxcut": {"summary": "Max-Cut of a 5-edge graph (simulated annealing)", "value": _MAXCUT_EXAMPLE},
    "partition": {"summary": "Number partitioning", "value": {
        "problem": {"type": "partition", "numbers": [4, 5, 6, 7, 8]}, "solver": "auto"}},
    "tsp": {"summary": "TSP on 6 cities (native tour annealer)", "value": {
        "problem": {"type": "tsp", "coordinates": [[0, 0], [3, 0], [6, 1], [6, 4], [3, 5], [0, 3]]},
        "solver": "tour", "params": {"seed": 1}}},
    "tsp_qubo": {"summary": "TSP on 5 cities through its QUBO (exact enumeration)", "value": {
        "problem": {"type": "tsp", "distance_matrix": [[0, 2, 9, 10, 7], [2, 0, 6, 4, 3], [9, 6, 0, 8, 5],
                                                       [10, 4, 8, 0, 6], [7, 3, 5, 6, 0]], "repair": True},
        "solver": "exact"}},
    "qubo": {"summary": "A QUBO from linear and quadratic terms", "value": {
        "problem": {"type": "qubo", "linear": {"x": -1.0, "y": -1.0, "z": 2.0},
                    "quadratic": [["x", "y", 2.0], ["y", "z", -1.5]], "offset": 0.0},
        "solver": "sa", "params": {"num_reads": 20, "seed": 3}}},
    "ising": {"summary": "An Ising model (path-integral quantum annealing)", "value": {
        "problem": {"type": "ising", "linear": {"0": 0.5}, "quadratic": [[0, 1, -1.0], [1, 2, 1.0], [2, 0, 1.0]]},
        "solver": "sqa", "params": {"num_reads": 8, "seed": 2}}},
}


class SolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_MAXCUT_EXAMPLE]})

    problem: Problem
    solver: str = Field("auto", description="auto, sa, sqa, statevector, exact or tour (GET /v1/solvers)")
    params: dict[str, Any] = Field(default_factory=dict, description="solver parameters (Ocean names)")
    return_samples: int = Field(10, ge=0, strict=True, description="best distinct samples to return (at most "
                                "LANDSCAPE_MAX_RETURN_SAMPLES, 1000 by default: GET /v1/solvers lists it)")


class SolveResponse(BaseModel):
    solver: str
    feasible: bool
    energy: float | None
    answer: dict[str, Any]
    samples: dict[str, Any] | None = Field(None, description="dimod SampleSet.to_serializable(pack_samples=False)")
    info: dict[str, Any]


class CompileRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    problem: Problem
    lagrange: float | None = Field(None, gt=0, description="TSP penalty weight (default: automatic)")


class CompileResponse(BaseModel):
    bqm: dict[str, Any]
    num_variables: int
    num_interactions: int
    vartype: str
    lagrange: float | None = None


JobStatusName = Literal["PENDING", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED"]


class JobCreated(BaseModel):
    id: str
    status: JobStatusName


class Job(BaseModel):
    id: str
    kind: str
    status: JobStatusName
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    progress: dict[str, Any] | None = None
    result: dict[str, Any] | None = None


class JobList(BaseModel):
    jobs: list[Job]
    total: int
    limit: int
    offset: int


class ErrorBody(BaseModel):
    error: str
    field: str
    message: str
    limit: Any = None


# ---- Hopfield associative memory ------------------------------------------------------------

Pattern = list[Number] | list[list[Number]]


class HopfieldCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"patterns": [[1, -1, 1, -1, 1, -1], [1, 1, 1, -1, -1, -1]], "rule": "hebbian"}]})

    patterns: list[Pattern] | None = Field(None, description="+-1 or 0/1 vectors, or 2-D arrays (images)")
    rule: Literal["hebbian", "storkey", "pseudoinverse", "modern"] = "hebbian"
    beta: float = Field(1.0, gt=0, le=1e6, description="inverse temperature of the modern rule")
    weights: list[list[Number]] | None = Field(None, description="a user-supplied weight matrix instead of patterns")
    thresholds: list[Number] | None = None


class HopfieldNetworkInfo(BaseModel):
    id: str
    rule: str
    num_neurons: int
    num_patterns: int
    alpha: float
    capacity: float | None = None
    capacity_warning: str | None = None
    shape: list[int] | None = None
    encoding: str | None = None
    symmetric: bool
    beta: float
    created_at: float | None = None


class HopfieldRecall(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"pattern_index": 0, "corruption": 0.2, "seed": 1, "mode": "async", "temperature": 0}]})

    cue: Pattern | None = None
    pattern_index: int | None = Field(None, ge=0)
    corruption: float | None = Field(None, ge=0, le=1, description="fraction of flipped bits of the stored pattern")
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    mode: Literal["async", "sync"] | None = None
    temperature: float = Field(0.0, ge=0, le=1e6)
    max_sweeps: int = Field(100, ge=1, le=1000)


class HopfieldRecallBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"pattern_indices": [0, 1, 0, 1], "corruption": 0.2, "seed": 1}]})

    cues: list[Pattern] | None = Field(None, description="states to recall from (vectors or images)")
    pattern_indices: list[Annotated[int, Field(ge=0)]] | None = Field(
        None, description="stored patterns to corrupt and recall from (repeats allowed)")
    corruption: float | None = Field(None, ge=0, le=1, description="fraction of flipped bits (pattern_indices)")
    seed: int | None = Field(None, ge=0, le=2**53, description="cue k recalls with its own seed derived from "
                             "(seed, k), reported per result; drawn and reported when omitted")
    mode: Literal["async", "sync"] | None = None
    temperature: float = Field(0.0, ge=0, le=1e6)
    max_sweeps: int = Field(100, ge=1, le=1000)


class HopfieldRecallResult(BaseModel):
    seed: int | None = Field(None, description="batch recalls: the seed that reproduces this result alone")
    state: list[Any]
    energy: float | None
    energy_trajectory: list[float | None]
    energy_is_lyapunov: bool
    converged: bool
    num_sweeps: int
    cycle_length: int | None = None
    overlaps: list[float]
    matched_pattern: int | None = None
    nearest_pattern: int | None = None
    kind: str | None = None
    mode: str
    temperature: float


class HopfieldRecallBatchResult(BaseModel):
    results: list[HopfieldRecallResult]
    seed: int
    info: dict[str, Any]


# ---- predictive coding ------------------------------------------------------------------------

class PCCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"layers": [64, 64, 10], "activation": "tanh"}]})

    layers: list[int] = Field(..., min_length=2, max_length=16, description="sizes from input to output")
    activation: Literal["linear", "tanh", "relu", "sigmoid"] = "tanh"
    mode: Literal["supervised", "generative"] = "supervised"
    precision: float | None = Field(None, gt=0, le=1e6, description="error precision (default: see docs)")
    inference_steps: int | None = Field(None, ge=0, le=10_000)
    inference_rate: float | None = Field(None, gt=0, le=10)
    learning_rate: float | None = Field(None, gt=0, le=10)
    optimizer: Literal["adam", "sgd"] | None = None
    batch_size: int | None = Field(None, ge=1, le=100_000)
    seed: int | None = Field(None, ge=0, le=2**63 - 1)


class PCModelInfo(BaseModel):
    id: str
    layers: list[int]
    activation: str
    mode: str
    epochs_trained: int
    version: int
    config: dict[str, Any]


class PCTrain(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: list[list[Number]] = Field(..., min_length=1)
    targets: list[list[Number]] | None = Field(None, description="one-hot or real-valued outputs")
    labels: list[int] | None = Field(None, description="class indices (instead of targets)")
    epochs: int = Field(1, ge=1, le=10_000)


class PCInfer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inputs: list[list[Number]] = Field(..., min_length=1)
    targets: list[list[Number]] | None = None
    inference_steps: int | None = Field(None, ge=0, le=10_000)


class PCInference(BaseModel):
    predictions: list[list[float]]
    latents: list[list[list[float]]]
    errors: list[list[list[float]]]
    free_energy: list[float] = Field(..., description="F of the initial state, then after each accepted "
                                   "inference step (a step that would raise F is not taken), averaged over the inputs")
    free_energy_per_input: list[float]
    inference_steps: int
    classes: list[int] | None = None
