"""Samplers (dimod) and the native tour annealer."""

from solvers.exact import ExactSolver
from solvers.simulated_annealing import SimulatedAnnealingSampler
from solvers.tour import TourAnnealer, TourResult

__all__ = ["ExactSolver", "SimulatedAnnealingSampler", "TourAnnealer", "TourResult"]
