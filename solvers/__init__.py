"""Samplers (dimod), the native tour annealer, and the spectrum of the annealing Hamiltonian."""

from solvers.exact import ExactSolver
from solvers.path_integral import PathIntegralAnnealingSampler
from solvers.simulated_annealing import SimulatedAnnealingSampler
from solvers.spectrum import Spectrum, spectrum
from solvers.statevector import StatevectorAnnealingSampler
from solvers.tour import TourAnnealer, TourResult

__all__ = [
    "ExactSolver",
    "PathIntegralAnnealingSampler",
    "SimulatedAnnealingSampler",
    "Spectrum",
    "StatevectorAnnealingSampler",
    "TourAnnealer",
    "TourResult",
    "spectrum",
]
