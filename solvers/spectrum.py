"""Low-lying spectrum of ``H(s) = A(s) H_D + B(s) H_C`` along an anneal, and its minimum gap.

The adiabatic theorem says an anneal of time ``T`` ends in the ground state when
``T >> 1 / Delta_min**2``, with ``Delta_min`` the smallest gap between the
instantaneous ground state and the first excited state *the evolution can
reach*. Two things make the naive gap misleading, and both are handled:

* **Symmetry.** With no linear biases (``h = 0``) both ``H_D = -sum X_i`` and
  ``H_C`` commute with the global flip ``prod_i X_i``; ``|+>^n`` is flip-even,
  so the odd levels are never populated (and the odd partner of the ground
  state closes the gap to zero at ``s = 1``). Then the spectrum is computed in
  the flip-even sector only, a basis of ``2**(n-1)`` states ``(|b> + |~b>)/sqrt 2``
  (``sector = "flip-even"``). Other symmetries (e.g. graph automorphisms) are not
  detected; their levels appear in the spectrum and can only make the reported
  gap smaller (conservative).
* **Degenerate ground states of H_C.** If ``H_C`` has ``d`` ground states in the
  sector, ``d`` levels merge into the ground level at ``s = 1``; ending in any of
  them is success. The gap is therefore ``E_d(s) - E_0(s)`` (levels counted from 0).

Small sectors (``<= 256`` states) are diagonalised densely (``numpy.linalg.eigvalsh``),
larger ones with Lanczos (``scipy.sparse.linalg.eigsh``) on a matrix-free
operator. The endpoints are exact: ``H(s)`` is diagonal where ``A = 0`` and a
pure driver (eigenvalues ``-A (n - 2w)``, ``w`` = number of ``|->`` factors) where ``B = 0``.

>>> import dimod
>>> bqm = dimod.BQM({}, {(0, 1): 1.0}, 0, 'SPIN')  # gap 2 sqrt(s^2 + 4 (1-s)^2)
>>> result = spectrum(bqm, num_points=21)
>>> result.sector, round(result.min_gap, 4), round(result.s_min_gap, 3)
('flip-even', 1.7889, 0.8)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import dimod
import numpy as np
import scipy.optimize
import scipy.sparse.linalg

from energy.model import IsingModel
from solvers import _statevector_kernels as kernels
from solvers.statevector import LINEAR_SCHEDULE, check_schedule, diagonal, schedule_at

#: Sectors up to this many states are diagonalised densely.
DENSE_MAX_DIMENSION = 256
#: Matrix-vector products switch to the multi-threaded kernel from this dimension.
PARALLEL_MIN_DIMENSION = 1 << 18
#: Largest model :func:`spectrum` accepts by default (Lanczos vectors of 2**n floats).
MAX_QUBITS = 20


@dataclasses.dataclass
class Spectrum:
    """Lowest levels of ``H(s)`` on a grid of ``s``, the gap and the adiabatic time scale."""

    s: np.ndarray  # (num_points,)
    a: np.ndarray  # A(s)
    b: np.ndarray  # B(s)
    energies: np.ndarray  # (num_points, num_levels), ascending per row
    gap: np.ndarray  # (num_points,): E_d - E_0 with d the ground degeneracy of H_C in the sector
    min_gap: float  # refined between grid points; inf if every state of the sector is a ground state
    s_min_gap: float
    adiabatic_time: float  # 1 / min_gap**2
    ground_degeneracy: int
    sector: str  # "full" or "flip-even"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (arrays as lists, non-finite numbers as None)."""

        def clean(value):
            if isinstance(value, np.ndarray):
                return [clean(v) for v in value.tolist()]
            if isinstance(value, list):
                return [clean(v) for v in value]
            if isinstance(value, float) and not math.isfinite(value):
                return None
            return value

        return {field.name: clean(getattr(self, field.name)) for field in dataclasses.fields(self)}


class _Sector:
    """``H(s)`` restricted to the full space or to the flip-even sector, as diagonal + flip masks."""

    def __init__(self, model: IsingModel, flip_even: bool):
        n = model.num_variables
        energies = diagonal(model)
        if flip_even:
            # basis: indices with bit n-1 clear; X_{n-1} maps b to ~b ~ (b with all other bits flipped)
            self.energies = np.ascontiguousarray(energies[: 1 << (n - 1)])
            masks = [1 << i for i in range(n - 1)] + [(1 << (n - 1)) - 1]
        else:
            self.energies = energies
            masks = [1 << i for i in range(n)]
        self.masks = np.array(masks, dtype=np.int64)
        self.num_qubits = n
        self.flip_even = flip_even
        self.dimension = self.energies.size
        self._dense_driver = None
        self._previous = None

    def dense_driver(self) -> np.ndarray:
        if self._dense_driver is None:
            driver = np.zeros((self.dimension, self.dimension))
            rows = np.arange(self.dimension)
            for mask in self.masks:
                np.add.at(driver, (rows, rows ^ mask), -1.0)
            self._dense_driver = driver
        return self._dense_driver

    def driver_levels(self, a: float, count: int) -> np.ndarray:
        """Lowest ``count`` eigenvalues of ``a * H_D`` in the sector (exact, with multiplicity)."""
        n = self.num_qubits
        weights = [w for w in range(n + 1) if not (self.flip_even and w % 2)]
        levels = np.concatenate([np.full(math.comb(n, w), -a * (n - 2 * w)) for w in weights])
        return np.sort(levels)[:count]

    def levels(self, a: float, b: float, count: int) -> np.ndarray:
        """Lowest ``count`` eigenvalues of ``a H_D + b H_C`` in the sector, ascending."""
        if a == 0.0:
            return np.sort(b * self.energies)[:count]
        if b == 0.0:
            return self.driver_levels(a, count)
        if self.dimension <= DENSE_MAX_DIMENSION or count >= self.dimension - 1:
            matrix = a * self.dense_driver() + np.diag(b * self.energies)
            return np.linalg.eigvalsh(matrix)[:count]
        out = np.empty(self.dimension)
        parallel = self.dimension >= PARALLEL_MIN_DIMENSION
        apply = kernels.hamiltonian_matvec if parallel else kernels.hamiltonian_matvec_serial

        def matvec(x):
            x = np.ascontiguousarray(x, dtype=np.float64).ravel()
            apply(x, self.energies, self.masks, a, b, out)
            return out.copy()

        operator = scipy.sparse.linalg.LinearOperator((self.dimension,) * 2, matvec=matvec, dtype=np.float64)
        values, vectors = scipy.sparse.linalg.eigsh(operator, k=count, which="SA", v0=self._start_vector(),
                                                    tol=1e-10, ncv=min(self.dimension, max(2 * count + 1, 40)))
        self._previous = vectors[:, np.argmin(values)]
        return np.sort(values)

    def _start_vector(self) -> np.ndarray:
        """Lanczos start: the last ground vector (continuation along s) plus a fixed random part
        so that no level is missed by symmetry."""
        noise = np.random.default_rng(0).standard_normal(self.dimension)
        if self._previous is None:
            return noise
        return self._previous + 1e-3 * noise / np.linalg.norm(noise)


def spectrum(bqm: dimod.BinaryQuadraticModel, num_points: int = 101, num_levels: int = 4, schedule=None,
             flip_symmetry: bool | None = None, max_qubits: int = MAX_QUBITS) -> Spectrum:
    """Lowest ``num_levels`` levels of ``H(s)`` at ``num_points`` values of ``s`` in [0, 1].

    ``schedule`` is the statevector sampler's ``[[s, A, B], ...]`` (default linear).
    ``flip_symmetry``: ``None`` uses the flip-even sector exactly when every linear
    bias of the spin model is zero; ``True`` insists on it (``ValueError`` if
    ``h != 0``), ``False`` uses the full space. At least ``d + 1`` levels are
    computed when ``H_C`` has ``d`` ground states in the sector.
    """
    if isinstance(num_points, bool) or not isinstance(num_points, int) or num_points < 2:
        raise ValueError(f"The 'num_points' parameter must be an int >= 2. Got {num_points!r} instead.")
    if isinstance(num_levels, bool) or not isinstance(num_levels, int) or num_levels < 2:
        raise ValueError(f"The 'num_levels' parameter must be an int >= 2. Got {num_levels!r} instead.")
    model = IsingModel.from_bqm(bqm)
    n = model.num_variables
    if n == 0 or n > max_qubits:
        raise ValueError(f"spectrum() needs a model with 1 to {max_qubits} variables; this one has {n}.")
    points = check_schedule(LINEAR_SCHEDULE if schedule is None else schedule)
    no_fields = not np.any(model.h)
    if flip_symmetry and not no_fields:
        raise ValueError("flip_symmetry=True needs a model without linear biases (h = 0 in spin form).")
    sector = _Sector(model, no_fields if flip_symmetry is None else bool(flip_symmetry))

    ground = float(sector.energies.min())
    degeneracy = int(np.count_nonzero(sector.energies <= ground + 1e-9 * (1.0 + abs(ground))))
    count = min(sector.dimension, max(num_levels, degeneracy + 1))

    s = np.linspace(0.0, 1.0, num_points)
    a, b = schedule_at(points, s)
    energies = np.array([sector.levels(float(ai), float(bi), count) for ai, bi in zip(a, b)])
    if degeneracy >= sector.dimension:
        gap = np.full(num_points, np.nan)
        min_gap, s_min, adiabatic_time = math.inf, math.nan, 0.0
    else:
        gap = energies[:, degeneracy] - energies[:, 0]
        min_gap, s_min = _refine_minimum(sector, points, s, gap, degeneracy, count)
        adiabatic_time = 1.0 / min_gap**2 if min_gap > 0 else math.inf
    return Spectrum(s, a, b, energies, gap, min_gap, s_min, adiabatic_time, degeneracy,
                    "flip-even" if sector.flip_even else "full")


def _refine_minimum(sector: _Sector, points, s, gap, degeneracy: int, count: int) -> tuple[float, float]:
    """Polish the grid minimum of the gap with a bounded Brent search between its neighbours."""
    i = int(np.argmin(gap))
    lo, hi = s[max(i - 1, 0)], s[min(i + 1, s.size - 1)]

    def gap_at(x: float) -> float:
        ax, bx = schedule_at(points, x)
        levels = sector.levels(float(ax), float(bx), count)
        return float(levels[degeneracy] - levels[0])

    best_gap, best_s = float(gap[i]), float(s[i])
    if hi > lo:
        found = scipy.optimize.minimize_scalar(gap_at, bounds=(lo, hi), method="bounded",
                                               options={"xatol": 1e-6})
        if found.fun < best_gap:
            best_gap, best_s = float(found.fun), float(found.x)
    return best_gap, best_s
