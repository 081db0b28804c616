"""Bad input, one row each: the status code, and a message that names the field."""

from __future__ import annotations

import httpx
import pytest

from live_server import ServerProcess

MAXCUT = {"type": "maxcut", "edges": [[0, 1], [1, 2]]}


def solve_body(problem=MAXCUT, **extra):
    return {"problem": problem, **extra}


ROWS = [
    # (name, method, path, json body or raw bytes, status, field fragment)
    ("malformed JSON", "POST", "/v1/solve", b'{"problem": {"type": "maxcut", "edges": [[0, 1]', 422, "body"),
    ("duplicate JSON key", "POST", "/v1/solve",
     b'{"problem": {"type": "qubo", "linear": {"a": 1, "b": 2, "a": -5}}}', 422, "body"),
    ("unknown problem type", "POST", "/v1/solve", solve_body({"type": "knapsack", "items": []}), 422, "problem"),
    ("unknown solver", "POST", "/v1/solve", solve_body(solver="dwave"), 400, "solver"),
    ("solver does not take the problem", "POST", "/v1/solve", solve_body(solver="tour"), 400, "solver"),
    ("NaN weight", "POST", "/v1/solve", b'{"problem": {"type": "maxcut", "edges": [[0, 1, NaN]]}}', 400,
     "problem.edges[0]"),
    ("infinite weight", "POST", "/v1/solve", b'{"problem": {"type": "maxcut", "edges": [[0, 1, Infinity]]}}', 400,
     "problem.edges[0]"),
    ("self-loop", "POST", "/v1/solve", solve_body({"type": "maxcut", "edges": [[3, 3]]}), 400, "problem.edges[0]"),
    ("vertex out of range", "POST", "/v1/solve", solve_body({"type": "maxcut", "gset": "3 1\n1 4 1\n"}), 400,
     "problem."),
    ("empty partition", "POST", "/v1/solve", solve_body({"type": "partition", "numbers": []}), 400, "problem.numbers"),
    ("negative time limit", "POST", "/v1/solve", solve_body(solver="sa", params={"time_limit": -1}), 400,
     "params.time_limit"),
    ("time limit over the cap", "POST", "/v1/solve", solve_body(solver="sa", params={"time_limit": 1e6}), 400,
     "params.time_limit"),
    ("unknown parameter", "POST", "/v1/solve", solve_body(solver="sa", params={"sweeps": 5}), 400, "params"),
    ("num_reads over the limit", "POST", "/v1/solve", solve_body(solver="sa", params={"num_reads": 10**6}), 400,
     "params.num_reads"),
    ("too many variables for exact", "POST", "/v1/solve",
     solve_body({"type": "maxcut", "edges": [[i, i + 1] for i in range(40)]}, solver="exact"), 400, "problem"),
    ("too many qubits for statevector", "POST", "/v1/solve",
     solve_body({"type": "maxcut", "edges": [[i, i + 1] for i in range(40)]}, solver="statevector"), 400, "problem"),
    ("return_samples negative", "POST", "/v1/solve", solve_body(return_samples=-1), 422, "return_samples"),
    ("asymmetric TSP", "POST", "/v1/solve", solve_body({"type": "tsp", "distance_matrix": [[0, 1, 2], [5, 0, 1],
                                                                                          [2, 1, 0]]}), 400,
     "problem.distance_matrix"),
    ("job with bad params", "POST", "/v1/jobs", solve_body(solver="sa", params={"num_sweeps": 0}), 400,
     "params.num_sweeps"),
    ("too many cities", "POST", "/v1/solve", solve_body({"type": "tsp", "coordinates": [[k, 0] for k in range(2001)]}),
     400, "problem.coordinates"),
    ("TSPLIB DIMENSION over the limit (before parsing)", "POST", "/v1/solve",
     solve_body({"type": "tsp", "tsplib": "NAME: x\nTYPE: TSP\nDIMENSION: 100000\nEDGE_WEIGHT_TYPE: EUC_2D\n"}),
     400, "problem.tsplib"),
    ("G-set header over the variable limit", "POST", "/v1/solve", solve_body({"type": "maxcut", "gset": "300000 1\n1 2 1\n"}),
     400, "problem.gset"),
    ("TSP QUBO too large (counted, not built)", "POST", "/v1/jobs",
     solve_body({"type": "tsp", "coordinates": [[k, k % 7] for k in range(500)]}, solver="sa"), 400, "problem"),
    ("lagrange on the native tour route", "POST", "/v1/solve",
     solve_body({"type": "tsp", "coordinates": [[0, 0], [1, 0], [1, 1]], "lagrange": 5}), 400, "problem.lagrange"),
    ("statevector work over the budget", "POST", "/v1/solve",
     solve_body({"type": "maxcut", "edges": [[i, i + 1] for i in range(19)]}, solver="statevector",
                params={"num_steps": 10_000_000}), 400, "params"),
    ("weight over the magnitude bound", "POST", "/v1/solve", solve_body({"type": "maxcut", "edges": [[0, 1, 1e300]]}),
     400, "problem.edges[0]"),
    ("ragged Hopfield image", "POST", "/v1/hopfield/networks", {"patterns": [[[1, -1], [1]], [[1, 1], [1, -1]]]},
     400, "patterns"),
    ("batch recall of an unknown network", "POST", "/v1/hopfield/networks/0000/recall_batch",
     {"pattern_indices": [0]}, 404, "id"),
    ("unknown job", "GET", "/v1/jobs/0000", None, 404, "job_id"),
    ("cancel unknown job", "DELETE", "/v1/jobs/0000", None, 404, "job_id"),
    ("bad job status filter", "GET", "/v1/jobs?status=DONE", None, 422, "status"),
]


@pytest.mark.parametrize("name, method, path, body, status, field", ROWS, ids=[r[0] for r in ROWS])
def test_bad_input(http, name, method, path, body, status, field):
    if isinstance(body, bytes):
        response = http.request(method, path, content=body, headers={"content-type": "application/json"})
    else:
        response = http.request(method, path, json=body)
    assert response.status_code == status, response.text
    payload = response.json()
    assert field in payload["field"], payload
    assert payload["message"]


def test_duplicate_keys_name_the_key(http):
    response = http.post("/v1/solve", content=b'{"problem": {"type": "maxcut", "edges": [[0, 1]]}, "solver": "sa",'
                                              b' "solver": "exact"}', headers={"content-type": "application/json"})
    assert response.status_code == 422 and "duplicate key 'solver'" in response.json()["message"]


def test_oversized_body_is_413(http):
    huge = b'{"problem": {"type": "partition", "numbers": [' + b"1," * (9 * 1024 * 1024) + b"1]}}"
    response = http.post("/v1/solve", content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["field"] == "body" and response.json()["limit"] == 16 * 1024 * 1024


def test_api_keys(tmp_path):
    with ServerProcess(tmp_path / "keys.db", LANDSCAPE_API_KEYS="k1,k2", LANDSCAPE_WORKERS="1") as server:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            assert http.get("/v1/health").status_code == 200  # health stays open
            missing = http.get("/v1/solvers")
            assert missing.status_code == 401 and missing.json()["field"] == "Authorization"
            wrong = http.get("/v1/solvers", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            ok = http.post("/v1/solve", json=solve_body(), headers={"Authorization": "Bearer k2"})
            assert ok.status_code == 200 and ok.json()["answer"]["cut"] == 2
        assert "k2" not in server.log.read_text()
