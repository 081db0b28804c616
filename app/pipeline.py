"""compile -> sample -> decode, usable without HTTP.

>>> result = solve({"type": "maxcut", "edges": [[0, 1], [1, 2], [2, 0]]}, solver="exact")
>>> result["answer"]["cut"], result["solver"]
(2.0, 'exact')
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import dimod

from app import execution
from app.config import Settings
from app.errors import RequestError
from app.registry import AUTO, AUTO_DROPPABLE, SOLVERS, choose_solver
from problems import IsingProblem, MaxCut, NumberPartitioning, Problem, ProblemError, QuboProblem
from problems.base import _jsonable
from problems.tsp import TravelingSalesman
from solvers.params import validate

PROBLEM_TYPES = ("maxcut", "partition", "tsp", "qubo", "ising")


def _as_text(text: str) -> str:
    """File contents sent over the wire are always parsed as text, never opened as a path."""
    return text if "\n" in text else text + "\n"


def _one_of(spec: Mapping, keys: tuple[str, ...], kind: str) -> str:
    given = [k for k in keys if spec.get(k) is not None]
    if len(given) != 1:
        raise RequestError(f"problem.{keys[0]}", f"a {kind} problem needs exactly one of {', '.join(keys)}")
    return given[0]


def build_problem(spec: Mapping) -> Problem:
    """A problem object from its wire form (``{"type": ..., ...}``)."""
    if not isinstance(spec, Mapping):
        raise RequestError("problem", "must be an object with a 'type'")
    kind = spec.get("type")
    try:
        if kind == "maxcut":
            source = _one_of(spec, ("edges", "gset"), kind)
            return MaxCut(spec["edges"]) if source == "edges" else MaxCut.from_gset(_as_text(spec["gset"]))
        if kind == "partition":
            return NumberPartitioning(spec.get("numbers"))
        if kind == "tsp":
            source = _one_of(spec, ("coordinates", "distance_matrix", "tsplib"), kind)
            if source == "tsplib":
                return TravelingSalesman.from_tsplib(_as_text(spec["tsplib"]))
            return TravelingSalesman(**{source: spec[source]})
        if kind in ("qubo", "ising"):
            target = QuboProblem if kind == "qubo" else IsingProblem
            sources = [k for k in ("bqm", "coo") if spec.get(k) is not None]
            if spec.get("linear") is not None or spec.get("quadratic") is not None:
                sources.append("linear")
            if len(sources) != 1:
                raise RequestError("problem.linear", f"a {kind} problem needs exactly one of linear/quadratic, "
                                   "bqm or coo")
            source = sources[0]
            if source == "bqm":
                problem = target.from_serializable(spec["bqm"])
            elif source == "coo":
                problem = target.from_coo(_as_text(spec["coo"]), vartype=target.vartype)
            else:
                problem = target.from_dict(
                    {k: spec[k] for k in ("linear", "quadratic", "offset") if spec.get(k) is not None})
            if not isinstance(problem, target):
                raise RequestError("problem.bqm.vartype", f"a {kind} problem must be {target.vartype.name}")
            return problem
    except ProblemError as err:
        raise RequestError(f"problem.{err.field}", err.message) from None
    raise RequestError("problem.type", f"unknown problem type {kind!r}; expected one of {', '.join(PROBLEM_TYPES)}")


def compile_problem(problem: Problem, **options) -> dimod.BinaryQuadraticModel:
    """``problem.to_bqm()`` with its input errors turned into 400s naming the field."""
    try:
        return problem.to_bqm(**options)
    except ProblemError as err:
        raise RequestError(f"problem.{err.field}", err.message) from None


def check_params(solver: str, params: Mapping | None, num_variables: int, settings: Settings,
                 time_cap: float) -> dict[str, Any]:
    """Validate solver parameters against the solver's table and the service limits."""
    spec = SOLVERS[solver]
    params = dict(params or {})
    try:
        checked = validate(spec.params, params)
    except (ValueError, TypeError) as err:
        name = next((k for k in params if f"'{k}'" in str(err)), None)
        raise RequestError(f"params.{name}" if name else "params", str(err)) from None
    limits = {"num_reads": settings.max_reads, "num_sweeps": settings.max_sweeps}
    for name, limit in limits.items():
        if checked.get(name) is not None and checked[name] > limit:
            raise RequestError(f"params.{name}", f"must be at most {limit} on this server", limit=limit)
    if checked.get("time_limit") is not None and checked["time_limit"] > time_cap:
        raise RequestError("params.time_limit", f"must be at most {time_cap} seconds here", limit=time_cap)
    if "time_limit" in spec.params and checked.get("time_limit") is None:
        checked["time_limit"] = time_cap
    max_n = spec.max_variables(settings)
    if num_variables > max_n:
        raise RequestError("problem", f"the compiled model has {num_variables} variables; solver {solver!r} "
                           f"accepts at most {max_n}", limit=max_n)
    if spec.work is not None:
        work = spec.work(checked, num_variables)
        if work > settings.max_work:
            raise RequestError("params", f"num_reads x num_sweeps x variables = {work:.3g} exceeds the work "
                               f"budget {settings.max_work:.3g}", limit=settings.max_work)
    return {k: v for k, v in checked.items() if v is not None}


def solve(problem: Mapping | Problem, solver: str = AUTO, params: Mapping | None = None, return_samples: int = 10,
          settings: Settings | None = None, time_cap: float | None = None) -> dict[str, Any]:
    """Compile, sample and decode; returns the wire-format result (a JSON-ready dict)."""
    settings = settings or Settings()
    time_cap = settings.max_sync_time_limit if time_cap is None else time_cap
    start = time.perf_counter_ns()
    problem = problem if isinstance(problem, Problem) else build_problem(problem)
    if solver != AUTO and solver not in SOLVERS:
        raise RequestError("solver", f"unknown solver {solver!r}; choose from {', '.join([AUTO, *SOLVERS])}")
    if solver != AUTO and problem.kind not in SOLVERS[solver].kinds:
        raise RequestError("solver", f"solver {solver!r} does not accept {problem.kind} problems")
    if solver == "tour" or (solver == AUTO and problem.kind == "tsp"):
        return _solve_tour(problem, params, settings, time_cap, start, chosen_by_auto=solver == AUTO)

    bqm = compile_problem(problem)
    compiled_ns = time.perf_counter_ns() - start
    chosen = choose_solver(problem.kind, bqm.num_variables, settings, params) if solver == AUTO else solver
    if solver == AUTO and chosen == "exact":
        params = {k: v for k, v in (params or {}).items() if k not in AUTO_DROPPABLE}
    checked = check_params(chosen, params, bqm.num_variables, settings, time_cap)
    sampler = SOLVERS[chosen].build(settings)
    try:
        sampleset = execution.sample(chosen, sampler, bqm, checked, settings)
    except (ValueError, TypeError) as err:
        raise RequestError("params", str(err)) from None
    answer = problem.decode(sampleset)
    info = _jsonable(dict(sampleset.info))
    info.setdefault("timing", {})["compile_ns"] = compiled_ns
    info["model"] = {"num_variables": bqm.num_variables, "num_interactions": bqm.num_interactions,
                     "vartype": bqm.vartype.name}
    info["params"] = _jsonable({k: v for k, v in checked.items() if k != "initial_states"})
    if solver == AUTO:
        info["auto_reason"] = _auto_reason(problem.kind, bqm.num_variables, chosen)
    return {
        "solver": chosen,
        "feasible": bool(answer.feasible),
        "energy": float(sampleset.first.energy),
        "answer": answer.to_dict(),
        "samples": _samples(sampleset, return_samples),
        "info": info,
    }


def _solve_tour(problem: TravelingSalesman, params, settings, time_cap, start, chosen_by_auto) -> dict[str, Any]:
    checked = check_params("tour", params, problem.num_cities, settings, time_cap)
    result = execution.solve_tour(problem, checked, settings)
    answer = problem.decode(result.tour)
    info = _jsonable(dict(result.info))
    info["model"] = {"num_variables": problem.num_cities, "num_interactions": 0, "vartype": "PERMUTATION"}
    info["params"] = _jsonable(checked)
    info["restart_lengths"] = _jsonable(result.restart_lengths)
    if chosen_by_auto:
        info["auto_reason"] = "TSP goes to the native tour annealer; ask for a BQM solver to use the QUBO route"
    return {"solver": "tour", "feasible": bool(answer.feasible), "energy": float(answer.length),
            "answer": answer.to_dict(), "samples": None, "info": info}


def _auto_reason(kind: str, n: int, chosen: str) -> str:
    if chosen == "exact":
        return f"{n} variables: small enough to enumerate exactly"
    return f"{n} variables: simulated annealing"


def _samples(sampleset: dimod.SampleSet, count: int) -> dict[str, Any] | None:
    """The best ``count`` distinct samples as dimod's serializable SampleSet (no info)."""
    if count <= 0:
        return None
    best = sampleset.aggregate().truncate(count)
    plain = dimod.SampleSet(best.record, best.variables, {}, best.vartype)
    return plain.to_serializable(pack_samples=False)

