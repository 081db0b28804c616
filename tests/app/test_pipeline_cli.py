"""The pipeline without HTTP, the solver registry, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import Settings
from app.errors import RequestError
from app.pipeline import build_problem, solve
from app.registry import SOLVERS

ROOT = Path(__file__).resolve().parents[2]
TRIANGLE = {"type": "maxcut", "edges": [[0, 1], [1, 2], [2, 0]]}


@pytest.mark.parametrize("solver, params", [
    ("sa", {"num_reads": 4, "seed": 1}),
    ("sqa", {"num_reads": 4, "seed": 1}),
    ("statevector", {"annealing_time": 20, "num_reads": 4, "seed": 1}),
    ("exact", {}),
])
def test_every_bqm_solver_solves_a_triangle(solver, params):
    result = solve(TRIANGLE, solver, params)
    assert result["solver"] == solver and result["answer"]["cut"] == 2 and result["feasible"]


@pytest.mark.parametrize("kind, n, expected", [("maxcut", 10, "exact"), ("maxcut", 200, "sa"), ("tsp", 5, "tour")])
def test_auto_choice_is_reported(kind, n, expected):
    if kind == "maxcut":
        problem = {"type": "maxcut", "edges": [[i, (i + 1) % n] for i in range(n)]}
    else:
        problem = {"type": "tsp", "coordinates": [[i, i * i % 7] for i in range(n)]}
    result = solve(problem, "auto", {"seed": 0})
    assert result["solver"] == expected and result["info"]["auto_reason"]


def test_tsp_qubo_route_on_exact_solver_is_optimal():
    coordinates = [[0, 0], [0, 3], [4, 3], [4, 0]]
    result = solve({"type": "tsp", "coordinates": coordinates}, "exact")
    assert result["feasible"] and result["answer"]["length"] == pytest.approx(14.0)


def test_limits_name_the_field():
    with pytest.raises(RequestError) as err:
        solve(TRIANGLE, "sa", {"num_reads": 50}, settings=Settings(max_reads=10))
    assert err.value.field == "params.num_reads" and err.value.limit == 10
    with pytest.raises(RequestError) as err:
        solve(TRIANGLE, "sa", {"num_reads": 100, "num_sweeps": 100_000}, settings=Settings(max_work=1e6))
    assert err.value.field == "params"


def test_text_inputs_are_never_opened_as_paths():
    with pytest.raises(RequestError) as err:
        build_problem({"type": "tsp", "tsplib": "/etc/passwd"})
    assert "passwd" not in err.value.message or "no such file" not in err.value.message


def test_registry_describes_parameters_and_limits():
    described = SOLVERS["sa"].to_dict(Settings())
    assert described["parameters"]["num_sweeps"]["default"] == 1000
    assert SOLVERS["exact"].to_dict(Settings(max_exact_variables=20))["max_variables"] == 20


def test_cli_solves_the_bundled_example_and_prints_the_cut():
    out = subprocess.run([sys.executable, "-m", "app", "solve", "maxcut", "examples/petersen.json", "--solver", "sa",
                          "--param", "seed=1", "--param", "num_reads=8"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "cut: 12" in out.stdout  # the Petersen graph's maximum cut


def test_cli_json_output_and_errors():
    out = subprocess.run([sys.executable, "-m", "app", "solve", "partition", "[3, 1, 1, 2, 2, 1]", "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert json.loads(out.stdout)["answer"]["difference"] == 0
    bad = subprocess.run([sys.executable, "-m", "app", "solve", "maxcut", "[[1, 1]]"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "problem.edges[0]" in bad.stderr
