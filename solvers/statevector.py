"""Exact statevector quantum annealing: Schrodinger evolution of ``H(s) = A(s) H_D + B(s) H_C``.

The state starts in ``|+>^n``, the ground state of the driver ``H_D = -sum_i X_i``,
and evolves for ``s = t / T`` from 0 to 1 (units: hbar = 1, energies in the
model's units, time in inverse energy units). Each of ``num_steps`` steps of
``dt = T / num_steps`` is a second-order (Strang) Trotter step at the midpoint
``s_k = (k + 1/2) / num_steps``::

    exp(-i dt/2 B H_C) exp(-i dt A H_D) exp(-i dt/2 B H_C)

The problem Hamiltonian ``H_C`` is diagonal, so the half steps are elementwise
phases (adjacent half steps are merged); its energies are factorised once over
the low and high bits of the basis index (:class:`EnergyFactors`), so the phase
costs a few multiplications per amplitude and no ``2**n`` energy array is kept.
``exp(-i dt A H_D)`` is the exact rotation ``exp(+i dt A X)`` on every qubit,
cache-blocked: the 14 low qubits in the same pass over memory as the phase,
the others in groups of up to 7 per pass. The state is two float64 arrays
(16 bytes per amplitude); it must fit ``memory_limit`` (half of RAM by default).

Basis convention: bit ``i`` of a basis index is the i-th variable of
``bqm.variables``; bit 1 means spin +1 (binary 1), bit 0 spin -1 (binary 0).

>>> import dimod
>>> bqm = dimod.BQM({}, {('a', 'b'): 1.0}, 0, 'SPIN')
>>> ss = StatevectorAnnealingSampler().sample(bqm, annealing_time=20, num_reads=5, seed=3)
>>> round(ss.info['ground_state_probability'], 3), float(ss.first.energy)
(0.999, -1.0)
"""

from __future__ import annotations

import dataclasses
import math
import os

import dimod
import numba
import numpy as np

from energy.model import IsingModel
from solvers import _statevector_kernels as kernels
from solvers._base import COMMON_PARAMS, StageTimer, sampleset_from_spins
from solvers.params import Param, validate

#: Amplitudes per cache block (2**14 amplitudes = 256 KiB of re + im, half an L2 cache here).
BLOCK_BITS = 14
#: Largest number of high qubits rotated together in one pass over memory.
MAX_GROUP_BITS = 7
#: Smaller states run on one thread: a parallel region per step costs more than it saves.
PARALLEL_MIN_QUBITS = 17
#: The real array starts on a page, the imaginary one this many bytes past the page after it ends: half a
#: page plus a cache line. With ``im[k]`` exactly ``2**(n+3)`` bytes after ``re[k]`` (same cache sets,
#: 4K aliasing), a step at n = 25 took 13x as long as at n = 24 instead of 2x.
IMAG_SKEW = 2048 + 64
#: Bytes per page (alignment of the real array).
PAGE = 4096
#: Default share of physical memory a statevector may use.
MEMORY_FRACTION = 0.5
#: The driver-only/problem-only endpoints of the default linear schedule.
LINEAR_SCHEDULE = ((0.0, 1.0, 0.0), (1.0, 0.0, 1.0))


def total_memory_bytes() -> int:
    """Physical memory of this machine."""
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def default_memory_limit() -> int:
    """``MEMORY_FRACTION`` of physical memory, in bytes."""
    return int(MEMORY_FRACTION * total_memory_bytes())


def _pair_layout(size: int) -> tuple[int, int]:
    """(start of the imaginary array, float64 count of the buffer) for ``size`` amplitudes, see ``_aligned_pair``."""
    im_start = (-(-8 * size // PAGE) * PAGE + IMAG_SKEW) // 8
    return im_start, im_start + size + PAGE // 8


def statevector_bytes(num_qubits: int) -> int:
    """Memory :func:`evolve` allocates for ``num_qubits``: the amplitudes (with their padding) and energy factors."""
    low = min(num_qubits, BLOCK_BITS)
    factors = (1 << low) + ((low + 1) << (num_qubits - low))
    return 8 * (_pair_layout(1 << num_qubits)[1] + factors)


def qubits_that_fit(memory_limit: int) -> int:
    """Largest ``n`` (at least 0) whose statevector fits ``memory_limit`` bytes."""
    n = 0
    while statevector_bytes(n + 1) <= memory_limit:
        n += 1
    return n


def check_memory(num_qubits: int, memory_limit: int | None = None) -> None:
    """Raise ``ValueError`` if ``num_qubits`` would not fit in ``memory_limit`` bytes."""
    limit = default_memory_limit() if memory_limit is None else int(memory_limit)
    need = statevector_bytes(num_qubits)
    if need > limit:
        raise ValueError(
            f"A statevector of {num_qubits} qubits needs {need / 2**30:.3g} GiB "
            f"(two float64 arrays of amplitudes and the energy factors), over the memory limit of "
            f"{limit / 2**30:.3g} GiB; at most {qubits_that_fit(limit)} qubits fit."
        )


def check_schedule(schedule) -> np.ndarray:
    """Validate custom ``[[s, A, B], ...]`` points: finite, ``s`` from 0 to 1 strictly increasing.

    ``|+>^n`` is the ground state of ``H(0)`` only if ``A(0) > 0`` and ``B(0) = 0``;
    other starting values are allowed (e.g. to build a Landau-Zener sweep).
    """
    try:
        points = np.array(schedule, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"The 'schedule' parameter must be a list of [s, A, B] points. Got {schedule!r} instead."
        ) from None
    if points.ndim != 2 or points.shape[1] != 3 or points.shape[0] < 2 or points.shape[0] > 100_000:
        raise ValueError("The 'schedule' parameter must be a list of 2 to 100000 [s, A, B] points.")
    if not np.all(np.isfinite(points)):
        raise ValueError("The 'schedule' parameter must hold finite numbers.")
    s = points[:, 0]
    if s[0] != 0.0 or s[-1] != 1.0 or np.any(np.diff(s) <= 0):
        raise ValueError("The 'schedule' parameter must have s strictly increasing from 0 to 1.")
    return points


def schedule_at(points: np.ndarray, s) -> tuple[np.ndarray, np.ndarray]:
    """``(A(s), B(s))`` by linear interpolation of the schedule points."""
    return np.interp(s, points[:, 0], points[:, 1]), np.interp(s, points[:, 0], points[:, 2])


def default_num_steps(annealing_time: float) -> int:
    """``max(100, ceil(10 T))``: a time step ``dt <= 0.1`` (in inverse energy units)."""
    return max(100, math.ceil(10.0 * annealing_time))


@dataclasses.dataclass(frozen=True, eq=False)
class EnergyFactors:
    """``H_C`` factorised over low/high index bits (see :mod:`solvers._statevector_kernels`)."""

    low: np.ndarray  # float64[2**low_bits]: energy of the low variables
    high_energy: np.ndarray  # float64[2**(n - low_bits)]: energy of the high variables + offset
    field: np.ndarray  # float64[2**(n - low_bits), low_bits]: fields of high on low variables

    @classmethod
    def from_model(cls, model: IsingModel) -> "EnergyFactors":
        low_bits = min(model.num_variables, BLOCK_BITS)
        args = (model.h, model.indptr, model.indices, model.data)
        high_energy, field = _kernel("high_terms", model.num_variables)(*args, model.offset, low_bits)
        return cls(kernels.low_energies(*args, low_bits), high_energy, field)

    @property
    def low_bits(self) -> int:
        return int(self.field.shape[1])

    @property
    def num_qubits(self) -> int:
        return self.low_bits + int(self.high_energy.size).bit_length() - 1

    def diagonal(self) -> np.ndarray:
        """All ``2**n`` energies (allocates 8 bytes per basis state)."""
        out = np.empty(self.low.size * self.high_energy.size)
        _kernel("diagonal_energies", self.num_qubits)(self.low, self.high_energy, self.field, out)
        return out

    def ground_energy(self) -> float:
        return float(_kernel("block_minima", self.num_qubits)(self.low, self.high_energy, self.field).min())


def _kernel(name: str, num_qubits: int):
    """The multi-threaded kernel ``name``, or its serial twin below ``PARALLEL_MIN_QUBITS``."""
    return getattr(kernels, name if num_qubits >= PARALLEL_MIN_QUBITS else f"{name}_serial")


def diagonal(model: IsingModel) -> np.ndarray:
    """The ``2**n`` energies of ``H_C`` in basis-index order (float64)."""
    return EnergyFactors.from_model(model).diagonal()


def _high_qubit_groups(n: int, block_bits: int) -> list[tuple[np.ndarray, int]]:
    """Split qubits ``block_bits..n-1`` into near-equal groups of at most ``MAX_GROUP_BITS``.

    Each group comes with its chunk size (bits) so a group's block is
    ``2**block_bits`` amplitudes.
    """
    high = list(range(block_bits, n))
    if not high:
        return []
    count = -(-len(high) // MAX_GROUP_BITS)
    groups = np.array_split(np.array(high, dtype=np.int64), count)
    return [(group, block_bits - group.size) for group in groups]


@dataclasses.dataclass(frozen=True, eq=False)
class AnnealedState:
    """Final state of an evolution (real and imaginary parts) with the model it was run on."""

    re: np.ndarray  # float64[2**n]
    im: np.ndarray  # float64[2**n]
    factors: EnergyFactors
    model: IsingModel
    schedule: np.ndarray  # float64[k, 3]

    @property
    def state(self) -> np.ndarray:
        """The amplitudes as one complex128 array (a copy)."""
        return self.re + 1j * self.im


def evolve(model: IsingModel, annealing_time: float, num_steps: int, schedule=None,
           memory_limit: int | None = None) -> AnnealedState:
    """Run the Trotterised evolution on ``model`` and return the final state.

    >>> import dimod
    >>> model = IsingModel.from_bqm(dimod.BQM({'a': 1.0}, {}, 0, 'SPIN'))
    >>> out = evolve(model, annealing_time=30.0, num_steps=300)
    >>> round(float(abs(out.state[0]) ** 2), 3)  # bit 0 = spin -1, the ground state
    1.0
    """
    n = model.num_variables
    check_memory(n, memory_limit)
    points = check_schedule(LINEAR_SCHEDULE if schedule is None else schedule)
    factors = EnergyFactors.from_model(model)
    re, im = initial_state(n)
    dt = annealing_time / num_steps
    a, b = schedule_at(points, (np.arange(num_steps) + 0.5) / num_steps)
    trotter_steps(re, im, factors, dt * b, dt * a)
    return AnnealedState(re, im, factors, model, points)


def initial_state(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``|+>^n`` as (re, im) float64 arrays, page-aligned."""
    re, im = _aligned_pair(1 << n)
    re.fill(2.0 ** (-n / 2))
    im.fill(0.0)
    return re, im


def trotter_steps(re: np.ndarray, im: np.ndarray, factors: EnergyFactors, thetas: np.ndarray,
                  phis: np.ndarray) -> None:
    """Strang steps in place: step k is ``P(thetas[k]/2) R(phis[k]) P(thetas[k]/2)``.

    ``P(theta) = exp(-i theta H_C)``, ``R(phi) = exp(-i phi H_D)``; adjacent half
    phases are merged, so each step is one fused phase + low-qubit pass plus one
    pass per group of high qubits.
    """
    n = factors.num_qubits
    groups = _high_qubit_groups(n, factors.low_bits)
    if n < PARALLEL_MIN_QUBITS:  # the whole loop in numba on one thread
        starts = np.cumsum([0] + [q.size for q, _ in groups]).astype(np.int64)
        qubits = np.concatenate([q for q, _ in groups] or [np.zeros(0, np.int64)])
        chunk_bits = np.array([c for _, c in groups], dtype=np.int64)
        kernels.anneal_serial(re, im, factors.low, factors.high_energy, factors.field, thetas, phis,
                              qubits, starts, chunk_bits)
        return
    workers = numba.get_num_threads()
    previous = 0.0
    for theta, phi in zip(thetas, phis):
        c, s = math.cos(phi), math.sin(phi)
        kernels.phase_and_low_rotations(re, im, factors.low, factors.high_energy, factors.field,
                                        0.5 * (previous + theta), c, s, True, workers)
        for qubits, chunk_bits in groups:
            kernels.high_rotations(re, im, qubits, chunk_bits, c, s)
        previous = theta
    kernels.phase_and_low_rotations(re, im, factors.low, factors.high_energy, factors.field,
                                    0.5 * previous, 1.0, 0.0, False, workers)


def _aligned_pair(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Two float64 arrays of ``size`` in one allocation: ``re`` on a page, ``im`` ``IMAG_SKEW`` past one.

    Large numpy buffers start 16 bytes into a page; unaligned vector loads that
    straddle cache lines made the rotation kernels several times slower.
    """
    im_start, total = _pair_layout(size)
    raw = np.empty(total)
    start = (-raw.ctypes.data % PAGE) // 8
    return raw[start:start + size], raw[start + im_start:start + im_start + size]


def basis_spins(indices: np.ndarray, n: int) -> np.ndarray:
    """Spin rows (-1/+1, int8) of basis indices."""
    bits = (np.asarray(indices, dtype=np.int64)[:, None] >> np.arange(n, dtype=np.int64)) & 1
    return (2 * bits - 1).astype(np.int8)


class StatevectorAnnealingSampler(dimod.Sampler):
    """Exact (Trotterised) quantum annealing on the full ``2**n`` statevector.

    Parameters: ``annealing_time`` T (default 10), ``num_steps`` (default
    ``max(100, ceil(10 T))``), ``schedule`` (``[[s, A, B], ...]``, linear
    ``A = 1 - s, B = s`` by default), ``num_reads`` bitstrings drawn from
    ``|psi|^2`` with ``seed``, ``num_top_states`` for ``info['top_states']``.

    ``info``: ``ground_energy`` (the diagonal's minimum), ``ground_state_probability``
    (total ``|psi|^2`` on every basis state at that energy), ``expected_energy``,
    ``norm``, ``top_states`` (``{"sample": values in the order of the SampleSet's
    variables, "probability", "energy"}``, most probable first), ``schedule``,
    ``annealing_time``, ``num_steps`` and ``timing``.

    ``max_qubits`` caps the model size (default: what fits ``memory_limit``
    bytes, itself by default half of this machine's memory).

    >>> import dimod
    >>> sampler = StatevectorAnnealingSampler(max_qubits=20)
    >>> ss = sampler.sample_ising({'a': -1.0}, {}, annealing_time=30, num_reads=3, seed=0)
    >>> ss.record.sample.ravel().tolist(), round(ss.info['ground_state_probability'], 3)
    ([1, 1, 1], 1.0)
    """

    PARAMS = {
        "num_reads": Param(int, low=1, high=1_000_000, default=1, description="bitstrings sampled from |psi|^2"),
        "seed": COMMON_PARAMS["seed"],
        "annealing_time": Param(float, low=0.0, high=1e6, default=10.0,
                                description="total time T (hbar = 1, inverse energy units)"),
        "num_steps": Param(int, low=1, high=10_000_000, default=None,
                           description="second-order Trotter steps (default max(100, ceil(10 T)))"),
        "schedule": Param(object, default=None,
                          description="[[s, A, B], ...] points, s from 0 to 1 (default linear A=1-s, B=s)"),
        "num_top_states": Param(int, low=0, high=1000, default=10,
                                description="largest-probability basis states reported in info"),
    }

    def __init__(self, max_qubits: int | None = None, memory_limit: int | None = None):
        self.memory_limit = default_memory_limit() if memory_limit is None else int(memory_limit)
        fit = qubits_that_fit(self.memory_limit)
        self.max_qubits = fit if max_qubits is None else int(max_qubits)

    @property
    def parameters(self) -> dict:
        return {name: [] for name in self.PARAMS}

    @property
    def properties(self) -> dict:
        return {"max_qubits": self.max_qubits, "memory_limit_bytes": self.memory_limit}

    def sample(self, bqm: dimod.BinaryQuadraticModel, **params) -> dimod.SampleSet:
        timer = StageTimer()
        p = validate(self.PARAMS, params)
        n = bqm.num_variables
        if n > self.max_qubits:
            raise ValueError(
                f"StatevectorAnnealingSampler is limited to {self.max_qubits} qubits; the model has {n} variables."
            )
        check_memory(n, self.memory_limit)
        points = check_schedule(LINEAR_SCHEDULE if p["schedule"] is None else p["schedule"])
        num_steps = p["num_steps"] or default_num_steps(p["annealing_time"])
        model = IsingModel.from_bqm(bqm)
        timer.stop("preprocessing_ns")

        result = evolve(model, p["annealing_time"], num_steps, points, self.memory_limit)
        timer.stop("sampling_ns")

        info = _summary(result, p["num_top_states"], bqm.vartype)
        info.update(annealing_time=p["annealing_time"], num_steps=num_steps, schedule=points.tolist())
        rng = np.random.default_rng(p["seed"])
        cumulative = np.cumsum(info.pop("_block_probabilities"))
        targets = np.sort(rng.random(p["num_reads"])) * cumulative[-1]
        indices = kernels.sample_indices(result.re, result.im, cumulative, targets, result.factors.low_bits)
        spins = basis_spins(rng.permutation(indices), n)
        sampleset = sampleset_from_spins(spins, model, bqm, info)
        position = {v: k for k, v in enumerate(model.variables)}
        columns = [position[v] for v in sampleset.variables]
        for state in sampleset.info["top_states"]:  # in the SampleSet's variable order
            state["sample"] = [state["sample"][k] for k in columns]
        timer.stop("postprocessing_ns")
        sampleset.info["timing"] = timer.timing
        return sampleset


def _summary(result: AnnealedState, num_top_states: int, vartype: dimod.Vartype) -> dict:
    """Ground-state probability, expected energy, norm and top states of a final state."""
    n = result.model.num_variables
    factors = result.factors
    ground_energy = factors.ground_energy()
    tolerance = 1e-9 * (1.0 + abs(ground_energy))
    stats = _kernel("block_statistics", n)(result.re, result.im, factors.low, factors.high_energy, factors.field,
                                     ground_energy, tolerance)
    norm = float(stats[:, 0].sum())
    info = {
        "ground_energy": ground_energy,
        "ground_state_probability": float(stats[:, 2].sum()) / norm,
        "expected_energy": float(stats[:, 1].sum()) / norm,
        "norm": math.sqrt(norm),
        "_block_probabilities": stats[:, 0],
    }
    keep = min(num_top_states, 1 << n)
    top = []
    if keep:
        indices, probs = _kernel("block_top_states", n)(result.re, result.im, keep, factors.low_bits)
        indices, probs = indices.ravel(), probs.ravel()
        order = np.argsort(-probs, kind="stable")[:keep]
        spins = basis_spins(indices[order], n)
        energies = result.model.energies(spins) if n else np.full(keep, result.model.offset)
        values = spins if vartype is dimod.SPIN else (spins + 1) // 2
        for row, prob, energy in zip(values, probs[order], energies):
            top.append({"sample": row.tolist(), "probability": float(prob) / norm, "energy": float(energy)})
    info["top_states"] = top
    return info
