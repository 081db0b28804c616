"""Python client for the Landscape energy-minimisation service.

    import landscape_client as lc
    with lc.Client("http://127.0.0.1:8000") as client:
        result = client.solve_maxcut([(0, 1), (1, 2), (2, 0)], solver="exact")
        print(result.answer.cut, result.answer.sides)

``LandscapeSampler`` (a ``dimod.Sampler``) needs the ``dimod`` extra:
``pip install landscape-client[dimod]``.
"""

from landscape_client._client import DEFAULT_TIMEOUT, DEFAULT_URL, AsyncClient, Client
from landscape_client._exceptions import (APIError, AuthenticationError, ConflictError, ConnectionError, JobError,
                                          LandscapeError, NotFoundError, RateLimitError, TimeoutError,
                                          ValidationError, VersionMismatchWarning)
from landscape_client._jobs import AsyncJob, Job, JobPage
from landscape_client._models import (CompileResult, Health, HopfieldNetwork, InferResult, JobInfo, Limits,
                                      MaxCutAnswer, PartitionAnswer, PCModel, RecallBatch, RecallResult, SampleAnswer,
                                      SolverInfo,
                                      SolveResult, TrainResult, TspAnswer)
from landscape_client._version import API_VERSION, __version__

__all__ = [
    "API_VERSION", "DEFAULT_TIMEOUT", "DEFAULT_URL", "APIError", "AsyncClient", "AsyncJob", "AuthenticationError",
    "Client", "CompileResult", "ConflictError", "ConnectionError", "Health", "HopfieldNetwork", "InferResult",
    "Job", "JobError", "JobInfo", "JobPage", "LandscapeError", "LandscapeSampler", "Limits", "MaxCutAnswer",
    "NotFoundError", "PCModel", "PartitionAnswer", "RateLimitError", "RecallBatch", "RecallResult", "SampleAnswer", "SolveResult",
    "SolverInfo", "TimeoutError", "TrainResult", "TspAnswer", "ValidationError", "VersionMismatchWarning",
    "__version__",
]


def __getattr__(name: str):
    """``LandscapeSampler`` is imported on first use, so the package works without dimod."""
    if name == "LandscapeSampler":
        from landscape_client._sampler import LandscapeSampler

        return LandscapeSampler
    raise AttributeError(f"module 'landscape_client' has no attribute {name!r}")
