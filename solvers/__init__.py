"""Samplers (dimod) and the native tour annealer."""

from solvers.exact import ExactSolver
from solvers.path_integral import PathIntegralAnnealingSampler
from solvers.simulated_annealing import SimulatedAnnealingSampler
from solvers.tour import TourAnnealer, TourResult

__all__ = ["ExactSolver", "PathIntegralAnnealingSampler", "SimulatedAnnealingSampler", "TourAnnealer", "TourResult"]
