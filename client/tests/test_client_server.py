"""The sync client against the real server over a loopback socket: every method round-trips and returns
what the server's own pipeline computes for the same seed."""

from __future__ import annotations

import itertools
import time
import warnings

import dimod
import networkx as nx
import numpy as np
import pytest
from serverproc import API_KEY

import landscape_client as lc
from app import API_VERSION as SERVER_API_VERSION
from app import __version__ as server_version
from app import pipeline

SA = {"num_reads": 8, "num_sweeps": 300, "seed": 7}


def expected(problem: dict, solver: str, params: dict, return_samples: int = 10) -> dict:
    """What the server computes, run here in-process."""
    return pipeline.solve(problem, solver, params, return_samples)


def same_samples(result: lc.SolveResult, reference: dict) -> None:
    ours = result.samples
    theirs = dimod.SampleSet.from_serializable(reference["samples"])
    assert isinstance(ours, dimod.SampleSet)
    assert sorted(ours.record.energy.tolist()) == pytest.approx(sorted(theirs.record.energy.tolist()))
    assert len(ours) == len(theirs)


def test_health_reports_the_server_and_api_versions(client):
    health = client.health()
    assert health.status == "ok"
    assert health.version == server_version == lc.__version__
    assert health.api_version == SERVER_API_VERSION == lc.API_VERSION


def test_a_different_api_version_warns_once_at_the_first_call(server, monkeypatch):
    monkeypatch.setattr("landscape_client._client.API_VERSION", "999")
    with lc.Client(server.url, api_key=API_KEY) as client:
        with pytest.warns(lc.VersionMismatchWarning, match="API version 1"):
            client.solvers()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            client.solvers()


def test_the_same_version_does_not_warn(server):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with lc.Client(server.url, api_key=API_KEY) as client:
            client.solvers()


def test_solvers_lists_every_solver_with_its_parameters(client):
    solvers = {spec.name: spec for spec in client.solvers()}
    assert {"auto", "sa", "sqa", "statevector", "exact", "tour"} <= set(solvers)
    assert "num_sweeps" in solvers["sa"].parameters
    assert solvers["tour"].problem_types == ["tsp"]


def test_maxcut_of_a_networkx_graph_equals_the_pipeline(client):
    graph = nx.gnp_random_graph(14, 0.4, seed=3)
    for u, v in graph.edges:
        graph.edges[u, v]["weight"] = 1 + (u * v) % 3
    result = client.solve_maxcut(graph, solver="sa", **SA)
    reference = expected({"type": "maxcut", "edges": [[u, v, w] for u, v, w in graph.edges(data="weight")]},
                         "sa", SA)
    assert isinstance(result.answer, lc.MaxCutAnswer)
    assert result.solver == "sa" and result.feasible
    assert result.answer.cut == reference["answer"]["cut"]
    assert result.energy == reference["energy"]
    assert sorted(map(sorted, result.answer.sides)) == sorted(map(sorted, reference["answer"]["sides"]))
    side = set(result.answer.sides[0])
    assert result.answer.cut == nx.cut_size(graph, side, weight="weight")
    same_samples(result, reference)
    assert set(result.timing) >= {"preprocessing_ns", "sampling_ns", "postprocessing_ns"}


def test_maxcut_keeps_tuple_node_labels_of_a_grid_graph(client):
    graph = nx.grid_2d_graph(3, 3)  # bipartite: the maximum cut takes every edge
    result = client.solve_maxcut(graph, solver="sa", **SA)
    assert result.answer.cut == graph.number_of_edges()
    assert set(itertools.chain(*result.answer.sides)) == set(graph.nodes)
    assert set(result.samples.variables) == set(graph.nodes)


def test_maxcut_from_an_edge_list_with_numpy_weights(client):
    edges = [(0, 1, np.float64(2.0)), (1, 2), (2, 0, np.int64(3))]
    result = client.solve_maxcut(edges, solver="exact")
    assert result.answer.cut == 5.0  # {0} against {1, 2}
    assert result.answer.cut == max(
        sum(w for u, v, w in [(0, 1, 2), (1, 2, 1), (2, 0, 3)] if (u in side) != (v in side))
        for side in [set(s) for r in range(4) for s in itertools.combinations(range(3), r)])


def test_tsp_from_coordinates_matrix_and_tsplib_file_equals_the_pipeline(client, tmp_path):
    coordinates = np.random.default_rng(0).random((9, 2))
    params = {"seed": 4, "num_restarts": 2, "num_sweeps": 50}
    result = client.solve_tsp(coordinates=coordinates, **params)
    reference = expected({"type": "tsp", "coordinates": coordinates.tolist()}, "auto", params)
    assert result.solver == "tour"
    assert isinstance(result.answer, lc.TspAnswer)
    assert result.answer.tour == reference["answer"]["tour"]
    assert result.answer.length == pytest.approx(reference["answer"]["length"])
    assert sorted(result.answer.tour) == list(range(9))

    matrix = np.linalg.norm(coordinates[:, None] - coordinates[None], axis=-1)
    by_matrix = client.solve_tsp(distance_matrix=matrix, **params)
    assert by_matrix.answer.length == pytest.approx(
        sum(matrix[a, b] for a, b in zip(by_matrix.answer.tour, np.roll(by_matrix.answer.tour, -1))))

    lines = ["NAME: square", "TYPE: TSP", "DIMENSION: 4", "EDGE_WEIGHT_TYPE: EUC_2D", "NODE_COORD_SECTION",
             "1 0 0", "2 0 10", "3 10 10", "4 10 0", "EOF"]
    path = tmp_path / "square.tsp"
    path.write_text("\n".join(lines) + "\n")
    assert client.solve_tsp(tsplib_path=path, seed=1).answer.length == 40
    with pytest.raises(TypeError, match="exactly one"):
        client.solve_tsp(coordinates=coordinates, distance_matrix=matrix)


def test_partition_equals_the_pipeline_and_is_a_split_of_the_numbers(client):
    numbers = np.array([3, 1, 1, 2, 2, 1, 9, 4, 4, 7])
    result = client.solve_partition(numbers, solver="sa", **SA)
    reference = expected({"type": "partition", "numbers": numbers.tolist()}, "sa", SA)
    assert isinstance(result.answer, lc.PartitionAnswer)
    assert result.answer.difference == reference["answer"]["difference"]
    assert result.answer.subsets == reference["answer"]["subsets"]
    left, right = result.answer.subsets
    assert sorted(left + right) == sorted(numbers.tolist())
    assert result.answer.difference == abs(sum(left) - sum(right))


def test_qubo_dict_and_bqm_equal_the_pipeline_and_keep_their_labels(client):
    Q = {(0, 0): -3.0, (1, 1): 2.0, (2, 2): -1.0, (0, 1): 4.0, (1, 2): -2.5, (0, 2): 1.5}
    bqm = dimod.BQM.from_qubo(Q)
    result = client.solve_qubo(Q, solver="sa", **SA)
    reference = expected({"type": "qubo", "bqm": bqm.to_serializable()}, "sa", SA)
    assert isinstance(result.answer, lc.SampleAnswer)
    assert result.answer.sample == {int(k): v for k, v in reference["answer"]["sample"].items()}
    assert result.energy == pytest.approx(reference["energy"])
    ground = dimod.ExactSolver().sample(bqm).first
    assert result.energy == pytest.approx(ground.energy)
    assert bqm.energy(result.answer.sample) == pytest.approx(result.answer.energy)

    labelled = dimod.BQM({("x", 1): 1.0, "y": -1.0}, {(("x", 1), "y"): -2.0}, 0.5, "BINARY")
    by_bqm = client.solve_qubo(labelled, solver="exact")
    assert set(by_bqm.answer.sample) == {("x", 1), "y"}
    assert by_bqm.energy == pytest.approx(dimod.ExactSolver().sample(labelled).first.energy)
    same_samples(by_bqm, expected({"type": "qubo", "bqm": labelled.relabel_variables(
        {("x", 1): 0, "y": 1}, inplace=False).to_serializable()}, "exact", {}))


def test_ising_reaches_the_exact_ground_state(client):
    rng = np.random.default_rng(2)
    h = {f"s{i}": float(rng.normal()) for i in range(8)}
    J = {(f"s{i}", f"s{j}"): float(rng.normal()) for i in range(8) for j in range(i + 1, 8) if rng.random() < 0.5}
    result = client.solve_ising(h, J, solver="sa", **SA)
    ground = dimod.ExactSolver().sample_ising(h, J).first
    assert result.energy == pytest.approx(ground.energy)
    assert dimod.BQM.from_ising(h, J).energy(result.answer.sample) == pytest.approx(result.energy)
    assert client.solve_ising([1.0, -0.5], {(0, 1): -1.0}, solver="exact").answer.sample == {0: -1, 1: -1}


def test_compile_returns_the_bqm_the_server_builds(client):
    problem = {"type": "maxcut", "edges": [[0, 1, 2.0], [1, 2, 1.0], [2, 0, 1.0]]}
    compiled = client.compile(problem)
    bqm = compiled.to_bqm()
    assert bqm == pipeline.build_problem(problem).to_bqm()
    assert (compiled.num_variables, compiled.num_interactions, compiled.vartype) == (3, 3, "SPIN")
    tsp = client.compile({"type": "tsp", "coordinates": [[0, 0], [0, 1], [1, 1], [1, 0]]}, lagrange=3.0)
    assert tsp.lagrange == 3.0 and tsp.num_variables == 9


def test_submit_waits_for_a_completed_job_equal_to_the_pipeline(client):
    problem = {"type": "maxcut", "edges": [[i, (i * 7 + 3) % 20] for i in range(20)] + [[i, i + 1] for i in range(19)]}
    job = client.submit(problem, solver="sa", **SA)
    assert isinstance(job, lc.Job) and job.info.status == "PENDING"
    assert job.wait(timeout=60) is job
    assert job.info.status == "COMPLETED" and job.status() == "COMPLETED"
    result = job.result()
    reference = expected(problem, "sa", SA)
    assert result.answer.cut == reference["answer"]["cut"] and result.energy == reference["energy"]
    assert client.job(job.id).info.status == "COMPLETED"
    page = client.jobs(status="COMPLETED", limit=500)
    assert job.id in {listed.id for listed in page} and page.total >= 1
    assert all(listed.info.status == "COMPLETED" for listed in page)
    with pytest.raises(lc.ConflictError) as caught:
        job.cancel()
    assert caught.value.field == "job_id"


def test_cancel_stops_a_long_job(client):
    graph = nx.random_regular_graph(3, 2000, seed=1)
    job = client.submit({"type": "maxcut", "edges": [list(e) for e in graph.edges]}, solver="sa",
                        num_reads=1, num_sweeps=1_000_000, time_limit=30, seed=1)
    deadline = time.monotonic() + 20
    while job.status() == "PENDING" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.info.status == "IN_PROGRESS"
    started = time.monotonic()
    assert job.cancel().status == "CANCELLED"
    assert job.wait(timeout=5).info.status == "CANCELLED"
    assert time.monotonic() - started < 5
    with pytest.raises(lc.JobError, match="CANCELLED"):
        job.result()
    # the worker was really stopped: a quick job still runs at once
    quick = client.submit({"type": "maxcut", "edges": [[0, 1], [1, 2]]}, solver="exact")
    assert quick.result(timeout=30).answer.cut == 2


@pytest.mark.parametrize(("call", "status", "field"), [
    (lambda c: c.solve_maxcut([(0, 1)], solver="sa", num_reads=0), 400, "params.num_reads"),
    (lambda c: c.solve_maxcut([(0, 1)], solver="quantum-magic"), 400, "solver"),
    (lambda c: c.solve_maxcut([(0, 0)], solver="sa"), 400, "problem.edges"),
    (lambda c: c.solve_partition([1, 2, 3], solver="sa", time_limit=-1), 400, "params.time_limit"),
    (lambda c: c.solve({"type": "maxcut", "edges": "zero-one"}), 422, "problem.maxcut.edges"),
    (lambda c: c.solve({"type": "knapsack", "items": []}), 422, "problem"),
])
def test_bad_input_raises_validation_error_naming_the_field(client, call, status, field):
    with pytest.raises(lc.ValidationError) as caught:
        call(client)
    err = caught.value
    assert err.status == status
    assert err.field.startswith(field), err.field
    assert err.message
    if status == 422:
        assert isinstance(err.detail, list) and err.detail


def test_too_many_variables_names_the_limit(client):
    with pytest.raises(lc.ValidationError) as caught:
        client.solve_maxcut([(i, i + 1) for i in range(40)], solver="exact")
    assert caught.value.field == "problem" and caught.value.limit == 30


def test_unknown_job_raises_not_found(client):
    with pytest.raises(lc.NotFoundError) as caught:
        client.job("no-such-job")
    assert caught.value.status == 404 and caught.value.field == "job_id"


def test_a_missing_or_wrong_api_key_raises_authentication_error(server):
    for key in (None, "wrong"):
        with lc.Client(server.url, api_key=key) as client:
            assert client.health().status == "ok"  # health is open
            with pytest.raises(lc.AuthenticationError) as caught:
                client.solvers()
            assert caught.value.status == 401 and caught.value.field == "Authorization"


def test_an_unreachable_server_raises_connection_error_after_retries():
    from serverproc import free_port

    with lc.Client(f"http://127.0.0.1:{free_port()}", retries=2, backoff=0.01) as client:
        with pytest.raises(lc.ConnectionError) as caught:
            client.solvers()
    assert isinstance(caught.value, ConnectionError) and isinstance(caught.value, lc.LandscapeError)


def test_a_request_timeout_raises_timeout_error(server):
    with lc.Client(server.url, api_key=API_KEY, timeout=0.2, retries=0) as client:
        with pytest.raises(lc.TimeoutError):
            client.solve_maxcut([(i, (i + 1) % 3000) for i in range(3000)], solver="sa", num_reads=4,
                                num_sweeps=1_000_000, time_limit=3, seed=0)
