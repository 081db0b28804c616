"""energy.model.IsingModel.from_arrays: the CSR layout against a dense reference."""

from __future__ import annotations

import numpy as np
import pytest

from energy.model import IsingModel


def test_csr_rows_are_sorted_and_match_a_dense_matrix_with_duplicates_summed():
    rng = np.random.default_rng(3)
    n = 9
    rows, cols = rng.integers(0, n, 60), rng.integers(0, n, 60)
    keep = rows != cols
    rows, cols, values = rows[keep], cols[keep], rng.normal(size=keep.sum())
    dense = np.zeros((n, n))
    np.add.at(dense, (rows, cols), values)
    dense = dense + dense.T
    model = IsingModel.from_arrays(np.zeros(n), rows, cols, values)
    rebuilt = np.zeros((n, n))
    for i in range(n):
        row = model.indices[model.indptr[i]:model.indptr[i + 1]]
        assert np.all(np.diff(row) > 0)  # strictly increasing: sorted, no duplicate entries
        rebuilt[i, row] = model.data[model.indptr[i]:model.indptr[i + 1]]
    assert np.allclose(rebuilt, dense)
    pairs = {(min(a, b), max(a, b)) for a, b in zip(rows.tolist(), cols.tolist())}
    assert model.indptr[-1] == 2 * len(pairs) and model.num_interactions == len(pairs)


@pytest.mark.parametrize("rows, cols", [([0], [3]), ([-1], [1]), ([3], [0])])
def test_out_of_range_variables_are_rejected(rows, cols):
    with pytest.raises(ValueError, match="0..2"):
        IsingModel.from_arrays(np.zeros(3), rows, cols, [1.0])
