"""solvers._anneal_kernels drivers: the fused first call, and kernel-call boundaries through the sampler."""

from __future__ import annotations

import dimod
import numpy as np

from energy.model import IsingModel
from energy.rng import stream_seeds
from solvers import _anneal_kernels
from solvers.simulated_annealing import SCHEDULE_BLOCK, SimulatedAnnealingSampler


def test_splitting_the_schedule_between_start_and_anneal_reads_changes_nothing():
    """start_reads over all betas == start_reads over a prefix, then anneal_reads over the rest."""
    model = IsingModel.from_bqm(dimod.generators.gnp_random_bqm(30, 0.3, "SPIN", random_state=4))
    arrays = (model.h, model.indptr, model.indices.astype(np.uint32), model.data)
    seeds, betas, m, n = stream_seeds(11, 3), np.geomspace(0.1, 5.0, 50), 3, model.num_variables

    def buffers():
        return [np.empty((m, n), np.int8), np.empty((m, n)), np.empty((m, 4), np.uint64), np.empty((m, n), np.int8),
                np.empty(m), np.zeros(m, np.int64)]

    for initial in (np.zeros((0, n), dtype=np.int8), np.random.default_rng(0).choice([-1, 1], (m, n)).astype(np.int8)):
        whole, split = buffers(), buffers()
        _anneal_kernels.start_reads(seeds, initial, betas, *arrays, model.offset, *whole)
        _anneal_kernels.start_reads(seeds, initial, betas[:17], *arrays, model.offset, *split)
        spins, fields, rng, best_spins, best_energies, accepted = split
        _anneal_kernels.anneal_reads(betas[17:], spins, fields, rng, *arrays, model.offset, best_spins,
                                     best_energies, accepted)
        for got, want in zip(whole, split):
            assert np.allclose(got, want)
        assert np.array_equal(whole[0], split[0]) and np.array_equal(whole[3], split[3])
        assert np.allclose(whole[4], model.energies(whole[3]))


def test_kernel_call_boundaries_do_not_change_samples():
    """Blocks of SCHEDULE_BLOCK sweeps (no time limit) and timed chunks (time limit) give the same reads."""
    bqm = dimod.generators.gnp_random_bqm(6, 0.8, "SPIN", random_state=2)
    schedule = np.geomspace(0.1, 3.0, SCHEDULE_BLOCK + 500)
    params = dict(num_reads=2, beta_schedule_type="custom", beta_schedule=schedule, seed=8)
    blocked = SimulatedAnnealingSampler().sample(bqm, **params)
    chunked = SimulatedAnnealingSampler().sample(bqm, **params, time_limit=600.0)
    assert chunked.info["num_sweeps_completed"] == blocked.info["num_sweeps_completed"] == schedule.size
    assert np.array_equal(blocked.record.sample, chunked.record.sample)
