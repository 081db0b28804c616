"""LandscapeSampler is a dimod sampler: dimod's own sampler test-suite, run against the real server."""

from __future__ import annotations

import unittest

import dimod
import dimod.testing
import pytest
from serverproc import API_KEY, URL, ServerProcess, free_port

import landscape_client as lc

SAMPLER = lc.LandscapeSampler(base_url=URL, api_key=API_KEY, solver="sa")


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory):
    """A second real server that returns at most 5 samples per solve."""
    db = tmp_path_factory.mktemp("capped-server") / "landscape.db"
    with ServerProcess(db, free_port(), LANDSCAPE_MAX_RETURN_SAMPLES="5", LANDSCAPE_WORKERS="1") as launched:
        yield launched.wait_ready()


@pytest.mark.usefixtures("server")
@dimod.testing.load_sampler_bqm_tests(SAMPLER)
class TestLandscapeSamplerWithDimodsSuite(unittest.TestCase):
    pass


def test_sampler_returns_every_requested_read_and_the_server_info(server):
    bqm = dimod.generators.ran_r(1, 12, seed=5)
    sampleset = SAMPLER.sample(bqm, num_reads=20, num_sweeps=200, seed=3)
    assert isinstance(sampleset, dimod.SampleSet)
    assert sampleset.record.num_occurrences.sum() == 20
    dimod.testing.assert_sampleset_energies(sampleset, bqm)
    assert sampleset.first.energy == pytest.approx(dimod.ExactSolver().sample(bqm).first.energy)
    assert sampleset.info["solver"] == "sa" and "sampling_ns" in sampleset.info["timing"]
    assert {"num_reads", "num_sweeps", "seed"} <= set(SAMPLER.parameters)


def test_sample_qubo_and_ising_go_through_the_same_route(server):
    ising = SAMPLER.sample_ising({"a": 1.0}, {("a", "b"): -1.0}, num_reads=5, seed=1)
    assert ising.first.sample == {"a": -1, "b": -1} and ising.first.energy == -2.0
    qubo = SAMPLER.sample_qubo({(0, 0): -1.0, (1, 1): -1.0, (0, 1): 3.0}, num_reads=5, seed=1)
    assert qubo.first.energy == -1.0 and qubo.vartype is dimod.BINARY


def test_unknown_parameters_are_rejected_by_the_server(server):
    with pytest.raises(lc.ValidationError) as caught:
        SAMPLER.sample_ising({"a": 1.0}, {}, trotter_slices=4)
    assert "trotter_slices" in caught.value.message


def test_the_sampler_asks_a_capped_server_for_at_most_its_max_return_samples(capped_server):
    bqm = dimod.generators.ran_r(1, 12, seed=5)
    with lc.Client(capped_server.url, api_key=API_KEY) as client:
        assert client.limits().max_return_samples == 5
        with pytest.raises(lc.ValidationError) as caught:  # what the sampler used to send
            client.solve_qubo(bqm, solver="sa", num_reads=50, return_samples=50)
        assert (caught.value.field, caught.value.limit) == ("return_samples", 5)
        with lc.LandscapeSampler(client, solver="sa") as sampler:
            with pytest.warns(UserWarning, match="max_return_samples=5"):
                sampleset = sampler.sample(bqm, num_reads=50, num_sweeps=200, seed=3)
            assert sampler.max_return_samples == 5
            few = sampler.sample(bqm, num_reads=4, num_sweeps=200, seed=3)
    assert len(sampleset) == 5 and sampleset.record.num_occurrences.sum() < 50
    assert sampleset.info["returned_samples"] == 5 and sampleset.info["max_return_samples"] == 5
    dimod.testing.assert_sampleset_energies(sampleset, bqm)
    assert sampleset.first.energy == pytest.approx(dimod.ExactSolver().sample(bqm).first.energy)
    assert few.record.num_occurrences.sum() == 4 and "returned_samples" not in few.info
