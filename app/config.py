"""Service settings from the environment (prefix ``LANDSCAPE_``), with embedded defaults.

>>> Settings(workers=3).workers
3
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from neural.hopfield import MAX_CLASSICAL_PATTERNS, MAX_MODERN_PATTERNS, MAX_NEURONS


def _default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class Settings(BaseSettings):
    """Every limit the service enforces; each is documented in docs/service.md."""

    model_config = SettingsConfigDict(env_prefix="LANDSCAPE_", env_file=None, extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    db: Path = Field(default=Path("landscape.db"), description="SQLite file for jobs, results and networks")
    workers: int = Field(default_factory=_default_workers, ge=1, le=64)
    api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list, description="when non-empty, Bearer auth is required")
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list, description="allowed CORS origins; closed by default")

    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    max_sync_time_limit: float = Field(default=60.0, gt=0, description="cap on time_limit of POST /v1/solve")
    max_job_time_limit: float = Field(default=3600.0, gt=0, description="cap on time_limit of a job")
    job_kill_grace: float = Field(default=60.0, ge=0, description="seconds a job may run past "
                                  "max_job_time_limit before its worker is killed and the job FAILED")
    max_variables: int = Field(default=200_000, ge=1, description="variables of any compiled model")
    max_interactions: int = Field(default=2_000_000, ge=1, description="couplings of any compiled model "
                                  "(a TSP QUBO is counted before it is built)")
    max_cities: int = Field(default=2000, ge=2, description="TSP cities, checked before any n x n distance "
                            "matrix is built (coordinates, distance_matrix, tsplib DIMENSION)")
    max_reads: int = Field(default=10_000, ge=1)
    max_sweeps: int = Field(default=1_000_000, ge=1)
    max_work: float = Field(default=2e11, gt=0, description="budget on reads x sweeps x variables (x slices)")
    max_exact_variables: int = Field(default=30, ge=1, le=34)
    max_statevector_qubits: int = Field(default=24, ge=1, le=34)
    max_return_samples: int = Field(default=1000, ge=0, description="cap on return_samples of a solve or job")
    max_queue: int = Field(default=1000, ge=1, description="pending jobs before POST /v1/jobs answers 429")
    max_sync_queue: int = Field(default=64, ge=1, description="synchronous requests waiting for a worker "
                                "before POST /v1/solve answers 429")
    max_jobs_per_key: int = Field(default=100, ge=1, description="pending + running jobs per API key")
    max_hopfield_neurons: int = Field(default=MAX_NEURONS, ge=1, le=MAX_NEURONS,
                                      description="neurons of a Hopfield network (the library's bound is the cap)")
    max_hopfield_patterns: int = Field(default=MAX_CLASSICAL_PATTERNS, ge=1, le=MAX_MODERN_PATTERNS,
                                       description="stored patterns (the classical rules stop at "
                                       f"{MAX_CLASSICAL_PATTERNS}, modern at {MAX_MODERN_PATTERNS})")
    max_pc_layer_size: int = Field(default=4096, ge=1)
    max_pc_samples: int = Field(default=100_000, ge=1)

    executor: Literal["local", "dask"] = Field(default="local", description="where sampling runs (docs/scaling.md)")
    dask_scheduler: str | None = Field(default=None, description="Dask scheduler address, e.g. tcp://host:8786")
    chunk_reads: int = Field(default=8, ge=1, le=1_000_000, description="reads (or tour restarts) per chunk; "
                             "part of the reproducibility contract: results for a seed depend on it")
    dask_timeout: float = Field(default=300.0, gt=0, description="seconds a Dask request may run beyond its time limit")
    chunk_recalls: int = Field(default=256, ge=1, le=1_000_000, description="cues per chunk of a batch Hopfield "
                               "recall (results never depend on it: every cue has its own seed)")
    max_recall_batch: int = Field(default=10_000, ge=1, description="cues in one batch Hopfield recall")

    @model_validator(mode="after")
    def _dask_needs_a_scheduler(self):
        if self.executor == "dask" and not self.dask_scheduler:
            raise ValueError("LANDSCAPE_EXECUTOR=dask needs LANDSCAPE_DASK_SCHEDULER (e.g. tcp://host:8786)")
        return self

    @field_validator("api_keys", "cors_origins", mode="before")
    @classmethod
    def _split_commas(cls, value):
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
