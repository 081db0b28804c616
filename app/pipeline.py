"""compile -> sample -> decode, usable without HTTP.

>>> result = solve({"type": "maxcut", "edges": [[0, 1], [1, 2], [2, 0]]}, solver="exact")
>>> result["answer"]["cut"], result["solver"]
(2.0, 'exact')
"""

from __future__ import annotations

import dataclasses
import math
import re
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


def tsp_options(spec: Mapping | Problem) -> tuple[float | None, bool]:
    """``(lagrange, repair)`` of a TSP's wire form: the QUBO route's penalty weight (None: automatic) and
    whether a broken sample is repaired to the nearest valid tour (flagged ``repaired``).

    >>> tsp_options({"type": "tsp", "coordinates": [[0, 0], [1, 1]], "lagrange": 3, "repair": True})
    (3.0, True)
    """
    if not isinstance(spec, Mapping) or spec.get("type") != "tsp":
        return None, False
    lagrange, repair = spec.get("lagrange"), spec.get("repair", False)
    if not isinstance(repair, bool):
        raise RequestError("problem.repair", f"must be true or false, got {repair!r}")
    if lagrange is None:
        return None, repair
    if isinstance(lagrange, bool) or not isinstance(lagrange, (int, float)) or not math.isfinite(lagrange) \
            or lagrange <= 0:
        raise RequestError("problem.lagrange", f"must be a positive finite number, got {lagrange!r}")
    return float(lagrange), repair


def build_problem(spec: Mapping, settings: Settings | None = None) -> Problem:
    """A problem object from its wire form (``{"type": ..., ...}``).

    Sizes that would make parsing itself expensive are checked first, on the raw input: the cities of a
    TSP (``settings.max_cities``, before any n x n distance matrix exists; for TSPLIB text its
    ``DIMENSION``) and the vertex count in a G-set header (``settings.max_variables``).
    """
    if not isinstance(spec, Mapping):
        raise RequestError("problem", "must be an object with a 'type'")
    settings = settings or Settings()
    kind = spec.get("type")
    try:
        if kind == "maxcut":
            source = _one_of(spec, ("edges", "gset"), kind)
            if source == "edges":
                return MaxCut(spec["edges"])
            text = _as_text(spec["gset"])
            _check_gset_size(text, settings)
            return MaxCut.from_gset(text)
        if kind == "partition":
            return NumberPartitioning(spec.get("numbers"))
        if kind == "tsp":
            source = _one_of(spec, ("coordinates", "distance_matrix", "tsplib"), kind)
            _check_cities(spec[source], source, settings)
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


def tsplib_dimension(text: str) -> int | None:
    """The largest ``DIMENSION`` a TSPLIB text declares, read without parsing the rest (None: none readable).

    Lines are split and keywords read exactly as :func:`problems.tsplib.parse_tsplib` does, so the
    count it will allocate for can never be larger than this one.

    >>> tsplib_dimension("NAME: x\\nDIMENSION : 20000\\nEDGE_WEIGHT_TYPE: EUC_2D\\n")
    20000
    """
    found = []
    for raw in text.splitlines():
        line = raw.strip()
        if line == "EOF":
            break
        if ":" in line:
            keyword, value = line.split(":", 1)
            if keyword.strip().upper() == "DIMENSION":
                try:
                    found.append(int(value.strip()))
                except ValueError:
                    continue  # the parser reports it, naming DIMENSION
    return max(found) if found else None


def _check_cities(value: Any, source: str, settings: Settings) -> None:
    """Reject a TSP over ``settings.max_cities`` before anything of size n x n is allocated."""
    if source == "tsplib":
        count = tsplib_dimension(value) if isinstance(value, str) else None
        what = f"DIMENSION {count}"
    else:
        count = len(value) if isinstance(value, (list, tuple)) or hasattr(value, "__len__") else None
        what = f"{count} {'cities' if source == 'coordinates' else 'rows'}"
    if count is not None and count > settings.max_cities:
        raise RequestError(f"problem.{source}", f"{what}: at most {settings.max_cities} cities are accepted on this "
                           "server", limit=settings.max_cities)


def _check_gset_size(text: str, settings: Settings) -> None:
    """A G-set header ``N E`` over ``settings.max_variables`` is rejected before N vertices are created."""
    header = next((line.split() for line in text.splitlines() if line.strip()), [])
    try:
        declared = int(header[0])
    except (IndexError, ValueError):
        return  # the parser reports it, naming the header
    if declared > settings.max_variables:
        raise RequestError("problem.gset", f"the header declares {declared} vertices; at most "
                           f"{settings.max_variables} variables are accepted on this server",
                           limit=settings.max_variables)


def tsp_qubo_size(num_cities: int) -> tuple[int, int]:
    """Variables and (at most) couplings of the position-based TSP QUBO, without building it.

    ``(n-1)**2`` variables; couplings: one-hot pairs within each row and each column,
    ``2 (n-1) C(n-1, 2)``, plus consecutive-step distance terms, ``(n-2) (n-1) (n-2)``.

    >>> tsp_qubo_size(100)
    (9801, 1911294)
    """
    free = max(num_cities - 1, 0)
    return free * free, 2 * free * (free * (free - 1) // 2) + max(free - 1, 0) * free * max(free - 1, 0)


def check_model_size(num_variables: int, num_interactions: int, settings: Settings, field: str = "problem") -> None:
    """The service-wide caps on a compiled model (``max_variables``, ``max_interactions``)."""
    if num_variables > settings.max_variables:
        raise RequestError(field, f"the compiled model has {num_variables} variables; at most "
                           f"{settings.max_variables} are accepted on this server", limit=settings.max_variables)
    if num_interactions > settings.max_interactions:
        raise RequestError(field, f"the compiled model has {num_interactions} couplings; at most "
                           f"{settings.max_interactions} are accepted on this server",
                           limit=settings.max_interactions)


def compile_problem(problem: Problem, settings: Settings | None = None, **options) -> dimod.BinaryQuadraticModel:
    """``problem.to_bqm()`` within the service's size limits, its input errors turned into 400s naming the field.

    A TSP's QUBO is sized (:func:`tsp_qubo_size`) and checked before a single coupling is built.
    """
    settings = settings or Settings()
    if problem.kind == "tsp":
        check_model_size(*tsp_qubo_size(problem.num_cities), settings)
    try:
        bqm = problem.to_bqm(**options)
    except ProblemError as err:
        raise RequestError(f"problem.{err.field}", err.message) from None
    check_model_size(bqm.num_variables, bqm.num_interactions, settings)
    return bqm


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
            what = "num_steps x 2^variables" if solver == "statevector" else "num_reads x num_sweeps x variables"
            raise RequestError("params", f"{what} = {work:.3g} exceeds the work budget {settings.max_work:.3g}",
                               limit=settings.max_work)
    return {k: v for k, v in checked.items() if v is not None}


@dataclasses.dataclass
class Plan:
    """What a request will run: the solver, its checked parameters, and the compiled model (BQM routes)."""

    problem: Problem
    solver: str
    params: dict[str, Any]
    bqm: dimod.BinaryQuadraticModel | None
    chosen_by_auto: bool
    compile_ns: int = 0
    #: TSP QUBO route: the penalty weight used (given or automatic) and whether broken samples are repaired
    lagrange: float | None = None
    repair: bool = False


def plan(problem: Mapping | Problem, solver: str = AUTO, params: Mapping | None = None, return_samples: int = 10,
         settings: Settings | None = None, time_cap: float | None = None, build_tsp_qubo: bool = True) -> Plan:
    """Every check a request must pass before it runs, cheapest first; raises :class:`RequestError`.

    Used by :func:`solve` and, with ``build_tsp_qubo=False`` for a TSP QUBO (counted, not built), to validate a
    job before it is accepted. Sizes are checked before the allocations they bound: cities before a
    distance matrix, a TSP QUBO's variables, couplings and work budget before its couplings.
    """
    settings = settings or Settings()
    time_cap = settings.max_sync_time_limit if time_cap is None else time_cap
    start = time.perf_counter_ns()
    if isinstance(return_samples, bool) or not isinstance(return_samples, int) or return_samples < 0:
        raise RequestError("return_samples", f"must be a non-negative int, got {return_samples!r}")
    if return_samples > settings.max_return_samples:
        raise RequestError("return_samples", f"must be at most {settings.max_return_samples} on this server",
                           limit=settings.max_return_samples)
    if params is not None and not isinstance(params, Mapping):
        raise RequestError("params", "must be an object of solver parameters")
    lagrange, repair = tsp_options(problem)
    problem = problem if isinstance(problem, Problem) else build_problem(problem, settings)
    if solver != AUTO and solver not in SOLVERS:
        raise RequestError("solver", f"unknown solver {solver!r}; choose from {', '.join([AUTO, *SOLVERS])}")
    if solver != AUTO and problem.kind not in SOLVERS[solver].kinds:
        raise RequestError("solver", f"solver {solver!r} does not accept {problem.kind} problems")
    if solver == "tour" or (solver == AUTO and problem.kind == "tsp"):
        if lagrange is not None or repair:
            raise RequestError("problem.lagrange" if lagrange is not None else "problem.repair",
                               "'lagrange' and 'repair' belong to the QUBO route; the native tour annealer always "
                               "returns a valid tour (choose solver sa, sqa, statevector or exact for the QUBO)")
        checked = check_params("tour", params, problem.num_cities, settings, time_cap)
        return Plan(problem, "tour", checked, None, solver == AUTO)
    if problem.kind == "tsp":  # the QUBO route, on a named BQM solver: size it before building it
        num_variables, num_interactions = tsp_qubo_size(problem.num_cities)
        check_model_size(num_variables, num_interactions, settings)
        checked = check_params(solver, params, num_variables, settings, time_cap)
        penalty = lagrange if lagrange is not None else problem.default_lagrange()
        bqm = compile_problem(problem, settings, lagrange=penalty) if build_tsp_qubo else None
        return Plan(problem, solver, checked, bqm, False, time.perf_counter_ns() - start, penalty, repair)
    bqm = compile_problem(problem, settings)
    compile_ns = time.perf_counter_ns() - start
    chosen = choose_solver(problem.kind, bqm.num_variables, settings, params) if solver == AUTO else solver
    if solver == AUTO and chosen == "exact":
        params = {k: v for k, v in (params or {}).items() if k not in AUTO_DROPPABLE}
    checked = check_params(chosen, params, bqm.num_variables, settings, time_cap)
    return Plan(problem, chosen, checked, bqm, solver == AUTO, compile_ns)


def solve(problem: Mapping | Problem, solver: str = AUTO, params: Mapping | None = None, return_samples: int = 10,
          settings: Settings | None = None, time_cap: float | None = None) -> dict[str, Any]:
    """Compile, sample and decode; returns the wire-format result (a JSON-ready dict)."""
    settings = settings or Settings()
    planned = plan(problem, solver, params, return_samples, settings, time_cap)
    if planned.solver == "tour":
        return _solve_tour(planned, settings)
    problem, chosen, checked, bqm = planned.problem, planned.solver, planned.params, planned.bqm
    sampler = SOLVERS[chosen].build(settings)
    try:
        sampleset = execution.sample(chosen, sampler, bqm, checked, settings)
    except (ValueError, TypeError) as err:
        raise sampler_error(err, chosen, params) from None
    answer = _decode(problem, sampleset, repair=planned.repair, lagrange=planned.lagrange) \
        if problem.kind == "tsp" else _decode(problem, sampleset)
    info = _jsonable(dict(sampleset.info))
    info.setdefault("timing", {})["compile_ns"] = planned.compile_ns
    info["model"] = {"num_variables": bqm.num_variables, "num_interactions": bqm.num_interactions,
                     "vartype": bqm.vartype.name}
    info["params"] = _jsonable({k: v for k, v in checked.items() if k != "initial_states"})
    if planned.chosen_by_auto:
        info["auto_reason"] = _auto_reason(problem.kind, bqm.num_variables, chosen)
    return {
        "solver": chosen,
        "feasible": bool(answer.feasible),
        "energy": float(sampleset.first.energy),
        "answer": answer.to_dict(),
        "samples": _samples(sampleset, return_samples),
        "info": info,
    }


def _solve_tour(planned: Plan, settings: Settings) -> dict[str, Any]:
    problem, checked = planned.problem, planned.params
    try:
        result = execution.solve_tour(problem, checked, settings)
    except (ValueError, TypeError) as err:
        raise sampler_error(err, "tour", checked) from None
    answer = _decode(problem, result.tour)
    info = _jsonable(dict(result.info))
    info["model"] = {"num_variables": problem.num_cities, "num_interactions": 0, "vartype": "PERMUTATION"}
    info["params"] = _jsonable(checked)
    info["restart_lengths"] = _jsonable(result.restart_lengths)
    if planned.chosen_by_auto:
        info["auto_reason"] = "TSP goes to the native tour annealer; ask for a BQM solver to use the QUBO route"
    return {"solver": "tour", "feasible": bool(answer.feasible), "energy": float(answer.length),
            "answer": answer.to_dict(), "samples": None, "info": info}


_QUOTED = re.compile(r"'(\w+)'")


def sampler_error(err: Exception, solver: str, params: Mapping | None) -> Exception:
    """Classify a ``ValueError``/``TypeError`` raised while sampling.

    The samplers raise these for input they cannot use, naming the parameter (``The 'beta_range'
    parameter must ...``) or the model's size (qubits, variables, memory). Those become a 400 naming
    ``params.<name>`` or ``problem``. Anything else is not the client's fault: the exception is returned
    unchanged, to be raised and reported as an internal error (500, logged with its traceback).
    """
    if isinstance(err, ProblemError):
        return RequestError(f"problem.{err.field}", err.message)
    message = str(err)
    known = SOLVERS[solver].params
    named = [name for name in _QUOTED.findall(message) if name in known]
    if named:
        given = [name for name in named if name in (params or {})]
        return RequestError(f"params.{(given or named)[0]}", message)
    if re.search(r"\b(variables|qubits|GiB)\b", message):
        return RequestError("problem", message)
    return err


def _decode(problem: Problem, result, **options) -> Any:
    """Decode a sampler's output. The input was validated, so a failure here is ours, not the client's."""
    try:
        return problem.decode(result, **options)
    except ProblemError as err:
        raise RuntimeError(f"decoding the {problem.kind} solver's output failed: {err}") from err


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

