"""TSP benchmark: the native tour annealer against elkai (LKH-3), and the QUBO route.

``python -m bench tsp [--tiny] [--instances DIR] [--seeds N]``

1. TSPLIB (eil51, berlin52, st70, eil76, kroA100): ``TourAnnealer`` with default
   settings and elkai, interleaved, ``--seeds`` repeats each (the annealer's
   repeat index is its seed); gap to the published optimum and wall time, medians.
2. A random uniform 1000-city instance: the same two, tour length ratio and time.
3. QUBO route: one random uniform instance per n = 5..10, 12, 15, 20 compiled with
   ``TravelingSalesman.to_bqm()`` (automatic penalty) and sampled by SA and SQA at
   a fixed budget; fraction of valid tours, best valid length over the
   Held-Karp optimum, and time, beside the native annealer on the same instance.

``--tiny`` runs a seconds-long smoke version (eil51 from the shipped data, a
200-city instance, n = 5, 6) and writes no docs.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

from bench._common import (SHIPPED_DATA, interleaved, machine_note, markdown_table, median, save_raw,
                           timed, write_section)
from problems.tsp import TravelingSalesman
from solvers.tour import TourAnnealer

TSPLIB_SET = ("eil51", "berlin52", "st70", "eil76", "kroA100")
SHARED_TSPLIB = Path("/work/shared/benchmarks/tsplib")
QUBO_READS, QUBO_SWEEPS = 100, 1000
COMMAND = "python -m bench tsp --instances /work/shared/benchmarks/tsplib"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench tsp", description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="seconds-long smoke run; writes no docs")
    parser.add_argument("--instances", type=Path, default=None,
                        help="directory of TSPLIB .tsp files (default: the shared benchmark set, else tests/data)")
    parser.add_argument("--seeds", type=int, default=5, help="repeats per contender (default 5)")
    args = parser.parse_args(argv)
    import elkai  # the bench extra; imported here so `--help` works without it

    directory = args.instances or (SHARED_TSPLIB if SHARED_TSPLIB.is_dir() else SHIPPED_DATA / "tsplib")
    names = ("eil51",) if args.tiny else TSPLIB_SET
    seeds = 1 if args.tiny else args.seeds
    big_n = 200 if args.tiny else 1000
    qubo_sizes = (5, 6) if args.tiny else (5, 6, 7, 8, 9, 10, 12, 15, 20)
    optima = _published_optima(directory)

    TourAnnealer().solve(np.ones((5, 5)) - np.eye(5), seed=0)  # numba load outside the clock
    raw = {"machine": machine_note(), "tsplib": {}, "random": {}, "qubo": {}}

    tsplib_rows = []
    for name in names:
        problem = TravelingSalesman.from_tsplib(directory / f"{name}.tsp")
        matrix = problem.distance_matrix.tolist()
        runs = interleaved({
            "anneal": lambda seed: TourAnnealer().solve(problem, seed=seed).length,
            "elkai": lambda seed: problem.tour_length(elkai.DistanceMatrix(matrix).solve_tsp(runs=10)[:-1]),
        }, seeds)
        optimum = optima[name]
        entry = {k: {"seconds": [t for t, _ in v], "lengths": [r for _, r in v]} for k, v in runs.items()}
        raw["tsplib"][name] = dict(entry, optimum=optimum)
        gap = {k: median([100.0 * (r / optimum - 1) for r in v["lengths"]]) for k, v in entry.items()}
        sec = {k: median(v["seconds"]) for k, v in entry.items()}
        worst = max(100.0 * (r / optimum - 1) for r in entry["anneal"]["lengths"])
        tsplib_rows.append([name, problem.num_cities, optimum, f"{gap['anneal']:.2f}", f"{worst:.2f}",
                            f"{sec['anneal']:.2f}", f"{gap['elkai']:.2f}", f"{sec['elkai']:.2f}"])
        print(tsplib_rows[-1], flush=True)

    xy = np.random.default_rng(big_n).random((big_n, 2))
    big = TravelingSalesman(coordinates=xy)
    scaled = {i: (float(x * 1e6), float(y * 1e6)) for i, (x, y) in enumerate(xy)}
    big_runs = interleaved({
        "anneal": lambda seed: TourAnnealer().solve(big, seed=seed).length,
        "elkai": lambda seed: big.tour_length(elkai.Coordinates2D(scaled).solve_tsp(runs=1)[:-1]),
    }, min(seeds, 3))
    raw["random"] = {k: {"seconds": [t for t, _ in v], "lengths": [r for _, r in v]} for k, v in big_runs.items()}
    elkai_length = median(raw["random"]["elkai"]["lengths"])
    ratios = [r / elkai_length for r in raw["random"]["anneal"]["lengths"]]
    random_row = [big_n, f"{median(raw['random']['anneal']['lengths']):.4f}", f"{elkai_length:.4f}",
                  f"{100 * (median(ratios) - 1):.2f}", f"{100 * (max(ratios) - 1):.2f}",
                  f"{median(raw['random']['anneal']['seconds']):.1f}", f"{median(raw['random']['elkai']['seconds']):.1f}"]
    print(random_row, flush=True)

    qubo_rows, sampler_note = _qubo_route(qubo_sizes, raw)
    save_raw("tsp", raw)
    if args.tiny:
        return
    write_section("tsp", _markdown(tsplib_rows, random_row, qubo_rows, sampler_note, seeds, min(seeds, 3)))
    print("wrote docs/benchmarks.md section 'tsp'")


def _qubo_samplers():
    """Our SA and SQA samplers; dwave-samplers stand-ins if ours are not importable."""
    note = "SA = `solvers.SimulatedAnnealingSampler`, SQA = `solvers.path_integral.PathIntegralAnnealingSampler`"
    try:
        from solvers.path_integral import PathIntegralAnnealingSampler
        from solvers.simulated_annealing import SimulatedAnnealingSampler
    except ImportError:
        from dwave.samplers import PathIntegralAnnealingSampler, SimulatedAnnealingSampler
        note = "stand-ins: dwave-samplers' SimulatedAnnealingSampler and PathIntegralAnnealingSampler"
    return {"SA": SimulatedAnnealingSampler(), "SQA": PathIntegralAnnealingSampler()}, note


def _qubo_route(sizes, raw):
    samplers, note = _qubo_samplers()
    rows = []
    for n in sizes:
        problem = TravelingSalesman(coordinates=np.random.default_rng(n).random((n, 2)))
        optimum = _held_karp_length(problem.distance_matrix)
        bqm = problem.to_bqm()
        seconds, native = timed(lambda: TourAnnealer().solve(problem, seed=0))
        row = [n, (n - 1) ** 2, f"{problem.default_lagrange():.3f}"]
        raw["qubo"][n] = {"optimum": optimum, "lagrange": problem.default_lagrange(),
                          "native": {"seconds": seconds, "ratio": native.length / optimum}}
        for name, sampler in samplers.items():
            seconds, sampleset = timed(lambda: sampler.sample(bqm, num_reads=QUBO_READS, num_sweeps=QUBO_SWEEPS,
                                                              seed=n))
            answers = [problem.decode(dict(zip(sampleset.variables, sample)))
                       for sample in sampleset.record.sample]
            counts = sampleset.record.num_occurrences
            valid = sum(int(c) for a, c in zip(answers, counts) if a.feasible)
            lengths = [a.length for a in answers if a.feasible]
            best = min(lengths) / optimum if lengths else None
            hits = sum(int(c) for a, c in zip(answers, counts) if a.feasible and a.length <= optimum * (1 + 1e-9))
            total = int(counts.sum())
            raw["qubo"][n][name] = {"valid": valid / total, "best_ratio": best, "optimal": hits / total,
                                    "seconds": seconds}
            row += [f"{valid / total:.2f}", f"{best:.3f}" if best else "none", f"{hits / total:.2f}", f"{seconds:.2f}"]
        row += [f"{native.length / optimum:.3f}", f"{raw['qubo'][n]['native']['seconds']:.2f}"]
        rows.append(row)
        print(row, flush=True)
    return rows, note


def _held_karp_length(d: np.ndarray) -> float:
    """Optimal tour length by the Held-Karp DP (O(2^n n^2)), vectorised per subset size."""
    m = len(d) - 1  # cities 1..n-1 are bits 0..m-1
    dp = np.full((1 << m, m), np.inf)
    dp[1 << np.arange(m), np.arange(m)] = d[0, 1:]
    masks = np.arange(1 << m)
    popcount = np.zeros(1 << m, dtype=np.int64)
    for bit in range(m):
        popcount += (masks >> bit) & 1
    for size in range(2, m + 1):
        layer = masks[popcount == size]
        for j in range(m):
            with_j = layer[(layer >> j) & 1 == 1]
            dp[with_j, j] = (dp[with_j ^ (1 << j)] + d[1:, j + 1]).min(axis=1)
    return float((dp[-1] + d[1:, 0]).min())


def _published_optima(directory: Path) -> dict[str, int]:
    for manifest in (directory.parent / "manifest.csv", SHIPPED_DATA / "manifest.csv"):
        if manifest.is_file():
            with open(manifest) as fh:
                return {r["instance"]: int(r["best_known"]) for r in csv.DictReader(fh) if r["problem"] == "tsp"}
    raise FileNotFoundError("no manifest.csv with TSP optima")


def _markdown(tsplib_rows, random_row, qubo_rows, sampler_note, seeds, big_seeds) -> str:
    header = ["instance", "n", "optimum", "anneal gap % (median)", "anneal gap % (worst)", "anneal s",
              "elkai gap %", "elkai s"]
    qubo_header = ["n", "binary vars", "lagrange"]
    for name in ("SA", "SQA"):
        qubo_header += [f"{name} valid", f"{name} best/opt", f"{name} optimal", f"{name} s"]
    qubo_header += ["native best/opt", "native s"]
    return "\n\n".join([
        "## TSP: native tour annealer vs elkai (LKH-3), and the QUBO route",
        f"Regenerate: `{COMMAND}`. Measured on {machine_note()}.",
        f"**TSPLIB.** `TourAnnealer()` default settings (4 restarts in parallel on 2 cores), seeds 0..{seeds - 1}, "
        f"interleaved with `elkai.DistanceMatrix(d).solve_tsp(runs=10)` on the TSPLIB-rounded integer matrix; "
        f"medians over {seeds} repeats (wall time includes the final descent).",
        markdown_table(header, tsplib_rows),
        f"**Random uniform {random_row[0]} cities** (unit square, seed {random_row[0]}; elkai on coordinates x1e6 "
        f"with `runs=1`), medians over {big_seeds} repeats; gap is the annealer's tour over elkai's.",
        markdown_table(["n", "anneal length", "elkai length", "gap to elkai % (median)", "gap % (worst)",
                        "anneal s", "elkai s"], [random_row]),
        f"**QUBO route.** One random uniform instance per n (seed n), `to_bqm()` with the automatic penalty "
        f"(1.5 x longest edge), {QUBO_READS} reads x {QUBO_SWEEPS} sweeps, default schedules; {sampler_note}. "
        "*valid*: fraction of reads that decode to a tour; *best/opt*: best valid tour over the Held-Karp "
        "optimum; *optimal*: fraction of reads at the optimum. The native annealer (default settings) on the "
        "same instance for comparison.",
        markdown_table(qubo_header, qubo_rows),
    ])
