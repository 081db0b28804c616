"""Request and response models of the HTTP API (the wire contract).

Shapes are checked here (422 on mismatch); meaning is checked by the problem
classes and solvers (400 naming the field).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Label = int | str
Number = float | int


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


class SolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_MAXCUT_EXAMPLE]})

    problem: Problem
    solver: str = Field("auto", description="auto, sa, sqa, statevector, exact or tour (GET /v1/solvers)")
    params: dict[str, Any] = Field(default_factory=dict, description="solver parameters (Ocean names)")
    return_samples: int = Field(10, ge=0, le=1000, strict=True, description="best distinct samples to return")


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
