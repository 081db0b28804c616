"""Problems compiled to dimod BQMs and decoded back into answers."""

from problems.base import Answer, Problem
from problems.errors import ProblemError
from problems.maxcut import MaxCut, MaxCutAnswer
from problems.partition import NumberPartitioning, PartitionAnswer
from problems.qubo import IsingProblem, ModelAnswer, QuboProblem, RawModel
from problems.tsp import TourAnswer, TravelingSalesman

__all__ = [
    "Answer",
    "IsingProblem",
    "MaxCut",
    "MaxCutAnswer",
    "ModelAnswer",
    "NumberPartitioning",
    "PartitionAnswer",
    "Problem",
    "ProblemError",
    "QuboProblem",
    "RawModel",
    "TourAnswer",
    "TravelingSalesman",
]
