"""Ising models as flat arrays: the one representation every kernel reads.

``E(s) = offset + sum_i h_i s_i + sum_{i<j} J_ij s_i s_j`` with ``s_i in {-1, +1}``.
Couplings are stored in CSR form with both directions (row ``i`` lists every
neighbour ``j`` with ``J_ij``), so the local field ``h_i + sum_j J_ij s_j`` is one
row walk. Any dimod BQM converts in and out through dimod's own vartype change.

>>> import dimod
>>> bqm = dimod.BQM({'a': 1.0}, {('a', 'b'): -2.0}, 0.5, 'SPIN')
>>> model = IsingModel.from_bqm(bqm)
>>> model.num_variables, model.variables
(2, ['a', 'b'])
>>> float(model.energies(np.array([[1, 1], [-1, 1]], dtype=np.int8))[1])
1.5
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import dimod
import numpy as np

from energy import kernels


@dataclasses.dataclass(frozen=True, eq=False)
class IsingModel:
    """Spin model in CSR arrays; build it with :meth:`from_bqm` or :meth:`from_arrays`."""

    h: np.ndarray  # float64[n]
    indptr: np.ndarray  # int64[n + 1]
    indices: np.ndarray  # int32[nnz], both directions
    data: np.ndarray  # float64[nnz]
    offset: float
    variables: list

    @property
    def num_variables(self) -> int:
        return int(self.h.shape[0])

    @property
    def num_interactions(self) -> int:
        return int(self.indices.shape[0] // 2)

    @classmethod
    def from_bqm(cls, bqm: dimod.BinaryQuadraticModel) -> "IsingModel":
        """Convert any BQM (SPIN or BINARY) to spin arrays; variable order is ``bqm.variables``."""
        spin = bqm if bqm.vartype is dimod.SPIN else bqm.change_vartype(dimod.SPIN, inplace=False)
        variables = list(spin.variables)
        h, (rows, cols, values), offset = spin.to_numpy_vectors(variable_order=variables)
        return cls.from_arrays(np.asarray(h, float), rows, cols, values, float(offset), variables)

    @classmethod
    def from_arrays(
        cls,
        h: np.ndarray,
        rows: np.ndarray,
        cols: np.ndarray,
        values: np.ndarray,
        offset: float = 0.0,
        variables: Sequence | None = None,
    ) -> "IsingModel":
        """Build from linear biases and a COO list of couplings (each pair once; duplicates summed)."""
        h = np.ascontiguousarray(h, dtype=np.float64)
        n = h.shape[0]
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        values = np.asarray(values, dtype=np.float64)
        if rows.size and (rows == cols).any():
            raise ValueError("couplings must not contain self-loops (i == j)")
        if rows.size and (min(rows.min(), cols.min()) < 0 or max(rows.max(), cols.max()) >= n):
            raise ValueError(f"couplings must join variables 0..{n - 1}")
        # one int64 key per directed entry (row-major), sorted once: rows, then columns
        keys = np.concatenate([rows * n + cols, cols * n + rows])
        both_vals = np.concatenate([values, values])
        order = np.argsort(keys, kind="stable")
        keys, both_vals = keys[order], both_vals[order]
        if keys.size:
            keep = np.ones(keys.size, dtype=bool)
            keep[1:] = keys[1:] != keys[:-1]
            if not keep.all():
                both_vals = np.bincount(np.cumsum(keep) - 1, weights=both_vals)
                keys = keys[keep]
        both_rows, both_cols = np.divmod(keys, max(n, 1))
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(both_rows, minlength=n), out=indptr[1:])
        variables = list(range(n)) if variables is None else list(variables)
        return cls(h, indptr, both_cols.astype(np.int32), both_vals.astype(np.float64), float(offset), variables)

    def to_bqm(self, vartype: dimod.Vartype | str = dimod.SPIN) -> dimod.BinaryQuadraticModel:
        """Back to a dimod BQM (through dimod's vartype conversion for BINARY)."""
        rows = np.repeat(np.arange(self.num_variables), np.diff(self.indptr))
        upper = rows < self.indices
        bqm = dimod.BinaryQuadraticModel.from_numpy_vectors(
            self.h, (rows[upper], self.indices[upper], self.data[upper]), self.offset, dimod.SPIN,
            variable_order=self.variables,
        )
        return bqm.change_vartype(vartype, inplace=True)

    def energies(self, states: np.ndarray) -> np.ndarray:
        """Energies of spin configurations, one per row (values -1/+1)."""
        states = np.ascontiguousarray(np.atleast_2d(states), dtype=np.int8)
        if states.shape[1] != self.num_variables:
            raise ValueError(f"states have {states.shape[1]} columns, model has {self.num_variables} variables")
        return kernels.batch_energies(states, self.h, self.indptr, self.indices, self.data, self.offset)

    def local_fields(self, state: np.ndarray) -> np.ndarray:
        """``h_i + sum_j J_ij s_j`` for one spin configuration."""
        state = np.ascontiguousarray(state, dtype=np.int8)
        return kernels.local_fields(state, self.h, self.indptr, self.indices, self.data)

    def max_abs_field(self) -> float:
        """Largest possible ``|h_i| + sum_j |J_ij|``: bounds any single flip's energy change / 2."""
        if self.num_variables == 0:
            return 0.0
        rows = np.repeat(np.arange(self.num_variables), np.diff(self.indptr))
        row_sums = np.bincount(rows, weights=np.abs(self.data), minlength=self.num_variables)
        return float(np.max(np.abs(self.h) + row_sums))


def spins_to_vartype(states: np.ndarray, vartype: dimod.Vartype) -> np.ndarray:
    """-1/+1 spins to the values of ``vartype`` (0/1 for BINARY)."""
    if vartype is dimod.BINARY:
        return ((states + 1) // 2).astype(np.int8)
    return states.astype(np.int8, copy=False)


def vartype_to_spins(states: np.ndarray, vartype: dimod.Vartype) -> np.ndarray:
    """Values of ``vartype`` to -1/+1 spins."""
    states = np.asarray(states)
    if vartype is dimod.BINARY:
        return (2 * states - 1).astype(np.int8)
    return states.astype(np.int8)
