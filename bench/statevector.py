"""Statevector annealing: against qutip ``sesolve``, our own scaling, and success vs 1/Delta_min^2.

``python -m bench statevector [--tiny] [--max-qubits N] [--repeats 3] [--threads 1,2] [--long-qubits 24]
[--long-steps 1000] [--long-threads N]``

* Against qutip: random Sherrington-Kirkpatrick instances (``J_ij ~ N(0, 1/n)``,
  ``h_i ~ N(0, 0.1)``), linear schedule, ``T = 10``, n = 8..16. qutip evolves
  ``[[H_D, A(t)], [H_C, B(t)]]`` with its default adaptive integrator (operator
  construction not timed); ours runs the fewest Trotter steps from a doubling
  ladder whose final state has fidelity >= 1 - 1e-4 with the reference (whole
  evolution timed, diagonal factors included). The reference is our own
  evolution with 4000 steps; its convergence (against 2000 steps) and qutip's
  fidelity to it are reported too, so the two integrators check each other.
* Scaling: time per Trotter step (difference of runs with few and more steps)
  and peak resident memory, each n in a fresh process, n = 12 up to
  ``--max-qubits`` (default: the largest n that fits the default memory limit);
  a full 1000-step anneal (``evolve``, setup included) at n = 24 on every core,
  timed, against the target of 5 minutes.
* Physics: ground-state probability against ``T`` for three n = 8 instances,
  with the adiabatic scale ``1/Delta_min^2`` from :func:`solvers.spectrum.spectrum`
  marked (``docs/img/statevector_ground_probability.png``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

import dimod
import numba
import numpy as np

from bench._common import REPO, interleaved, machine_note, markdown_table, median, save_raw, write_section
from energy.model import IsingModel
from solvers.spectrum import spectrum
from solvers.statevector import (
    PARALLEL_MIN_QUBITS,
    EnergyFactors,
    StatevectorAnnealingSampler,
    check_memory,
    default_memory_limit,
    diagonal,
    evolve,
    initial_state,
    qubits_that_fit,
    statevector_bytes,
    trotter_steps,
)

ANNEALING_TIME = 10.0
TARGET_INFIDELITY = 1e-4
REFERENCE_STEPS = 4000
PLOT = REPO / "docs" / "img" / "statevector_ground_probability.png"
COMMAND = "python -m bench statevector"
#: The target: 1000 steps at n = 24 in under 5 minutes.
TARGET_QUBITS, TARGET_STEPS, TARGET_SECONDS = 24, 1000, 300.0


def sk_instance(n: int, seed: int) -> dimod.BinaryQuadraticModel:
    rng = np.random.default_rng([seed, n])
    linear = {i: float(rng.normal(0, 0.1)) for i in range(n)}
    quadratic = {(i, j): float(rng.normal(0, 1 / math.sqrt(n))) for i in range(n) for j in range(i + 1, n)}
    return dimod.BQM(linear, quadratic, 0.0, "SPIN")


def fidelity(a: np.ndarray, b: np.ndarray) -> float:
    return float(abs(np.vdot(a, b)) ** 2 / (np.vdot(a, a).real * np.vdot(b, b).real))


def qutip_evolution(model: IsingModel, annealing_time: float):
    """A callable running qutip ``sesolve`` on ``H(t) = (1 - t/T) H_D + (t/T) H_C`` in our basis."""
    import qutip
    import scipy.sparse

    n = model.num_variables
    size = 1 << n
    rows = np.arange(size)
    driver = scipy.sparse.csr_matrix(
        (-np.ones(n * size), (np.tile(rows, n), np.concatenate([rows ^ (1 << i) for i in range(n)]))),
        shape=(size, size),
    )
    problem = scipy.sparse.diags(diagonal(model)).tocsr()
    dims = [[2] * n, [2] * n]
    hamiltonian = qutip.QobjEvo([[qutip.Qobj(driver, dims=dims), lambda t: 1 - t / annealing_time],
                                 [qutip.Qobj(problem, dims=dims), lambda t: t / annealing_time]])
    start = qutip.Qobj(np.full((size, 1), 2 ** (-n / 2), dtype=complex), dims=[[2] * n, [1] * n])
    options = {"store_final_state": True, "store_states": False, "progress_bar": False}

    def run(_rep=0) -> np.ndarray:
        result = qutip.sesolve(hamiltonian, start, [0.0, annealing_time], options=options)
        return result.final_state.full().ravel()

    return run


def against_qutip(sizes: list[int], repeats: int) -> list[dict]:
    rows = []
    for n in sizes:
        model = IsingModel.from_bqm(sk_instance(n, seed=1))
        reference = evolve(model, ANNEALING_TIME, REFERENCE_STEPS).state
        half = evolve(model, ANNEALING_TIME, REFERENCE_STEPS // 2).state
        steps = 25
        while 1 - fidelity(evolve(model, ANNEALING_TIME, steps).state, reference) > TARGET_INFIDELITY:
            steps *= 2
        qutip_run = qutip_evolution(model, ANNEALING_TIME)
        runs = interleaved({
            "ours": lambda _rep: evolve(model, ANNEALING_TIME, steps).state,
            "qutip": qutip_run,
        }, repeats)
        ours_s = median([t for t, _ in runs["ours"]])
        qutip_s = median([t for t, _ in runs["qutip"]])
        row = {
            "n": n, "steps": steps, "ours_s": ours_s, "qutip_s": qutip_s, "speedup": qutip_s / ours_s,
            "ours_infidelity": 1 - fidelity(runs["ours"][0][1], reference),
            "qutip_infidelity": 1 - fidelity(runs["qutip"][0][1], reference),
            "reference_convergence": 1 - fidelity(half, reference),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def worker(n: int, steps: int) -> dict:
    """One scaling point, meant to run in its own process (so ru_maxrss is this n's peak).

    Setup = energy factors + allocating and filling the state. The step time is
    the difference of runs of ``steps + 1`` steps and of 1 step on the prepared
    state (after a warm-up step that loads the kernels), so the closing half
    phase of a run is not counted.
    """
    check_memory(n)
    EnergyFactors.from_model(IsingModel.from_bqm(sk_instance(min(n, PARALLEL_MIN_QUBITS), seed=3)))  # load kernels
    model = IsingModel.from_bqm(sk_instance(n, seed=2))
    start = time.perf_counter()
    factors = EnergyFactors.from_model(model)
    re, im = initial_state(n)
    setup = time.perf_counter() - start
    rng = np.random.default_rng(n)
    trotter_steps(re, im, factors, np.array([0.01]), np.array([0.01]))
    thetas, phis = rng.uniform(0, 0.01, steps + 1), rng.uniform(0, 0.01, steps + 1)
    start = time.perf_counter()
    trotter_steps(re, im, factors, thetas[:1], phis[:1])
    one = time.perf_counter() - start
    start = time.perf_counter()
    trotter_steps(re, im, factors, thetas, phis)
    step = (time.perf_counter() - start - one) / steps
    return {"n": n, "steps": steps, "setup_s": setup, "step_s": step,
            "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            "allocated_gib": statevector_bytes(n) / 2**30}


def long_anneal(n: int, steps: int) -> dict:
    """A full ``evolve`` of ``steps`` steps (in its own process): wall time, threads, peak memory."""
    model = IsingModel.from_bqm(sk_instance(n, seed=2))
    start = time.perf_counter()
    evolve(model, ANNEALING_TIME, steps)
    return {"n": n, "steps": steps, "total_s": time.perf_counter() - start, "threads": numba.get_num_threads(),
            "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}


def in_subprocess(n: int, steps: int, function: str = "worker", threads: int | None = None) -> dict:
    code = f"import json; from bench.statevector import {function}; print(json.dumps({function}({n}, {steps})))"
    env = dict(os.environ, **({"NUMBA_NUM_THREADS": str(threads)} if threads else {}))
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def scaling(sizes: list[int], threads: list[int]) -> list[dict]:
    """One row per n: setup, step time for each thread count, peak memory."""
    rows = []
    for n in sizes:
        steps = 50 if n <= 20 else 10 if n <= 24 else 1
        row = {}
        for count in threads:
            point = in_subprocess(n, steps, threads=count)
            row.update({k: v for k, v in point.items() if k != "step_s"})
            row[f"step_s_{count}"] = point["step_s"]
            row["peak_rss_gib"] = max(row.get("peak_rss_gib", 0.0), point["peak_rss_gib"])
        row["step_s"] = min(row[f"step_s_{count}"] for count in threads)
        row["steps_1000_s"] = row["setup_s"] + 1000 * row["step_s"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def success_curves(n: int, times: np.ndarray, seeds: list[int]) -> list[dict]:
    sampler = StatevectorAnnealingSampler()
    curves = []
    for seed in seeds:
        bqm = sk_instance(n, seed=100 + seed)
        gap = spectrum(bqm, num_points=101)
        probs = [sampler.sample(bqm, annealing_time=float(t), num_steps=max(200, int(20 * t)))
                 .info["ground_state_probability"] for t in times]
        curves.append({"seed": 100 + seed, "min_gap": gap.min_gap, "s_min_gap": gap.s_min_gap,
                       "adiabatic_time": gap.adiabatic_time, "times": times.tolist(), "probability": probs})
        print(json.dumps({k: v for k, v in curves[-1].items() if k != "times"}), flush=True)
    return curves


def plot(curves: list[dict], n: int, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for k, curve in enumerate(curves):
        color = f"C{k}"
        ax.semilogx(curve["times"], curve["probability"], "o-", color=color, ms=3,
                    label=f"instance {curve['seed']}: $\\Delta_{{min}}$ = {curve['min_gap']:.3f}")
        ax.axvline(curve["adiabatic_time"], color=color, ls="--", lw=1)
    ax.set_xlabel("annealing time T ($\\hbar$ = 1, energy units$^{-1}$)")
    ax.set_ylabel("ground-state probability")
    ax.set_title(f"Exact statevector annealing, SK n = {n}; dashed: $1/\\Delta_{{min}}^2$")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def report(versus: list[dict], scale: list[dict], long_run: dict | None, curves: list[dict], n_curves: int,
           command: str, thread_counts: list[int]) -> str:
    lines = [
        "## Statevector annealing",
        "",
        f"Regenerate with `{command}`. {machine_note()}. Exact Schrodinger evolution of "
        "`H(s) = (1-s) H_D + s H_C` on random SK instances (`J_ij ~ N(0, 1/n)`, `h_i ~ N(0, 0.1)`), "
        f"`T = {ANNEALING_TIME:g}`. Ours: second-order Trotter, the fewest steps (doubling from 25) with "
        f"final-state infidelity <= {TARGET_INFIDELITY:g} against a {REFERENCE_STEPS}-step reference; qutip: "
        "`sesolve` with `[[H_D, A(t)], [H_C, B(t)]]` and default tolerances (operator construction not timed). "
        "Medians of interleaved runs. The machine is shared, so absolute times are noisy; ratios are from one run.",
        "",
        markdown_table(
            ["n", "our steps", "ours (s)", "qutip (s)", "speed-up", "our infidelity", "qutip infidelity",
             "reference 2000 vs 4000 steps"],
            [[r["n"], r["steps"], r["ours_s"], r["qutip_s"], r["speedup"], f"{r['ours_infidelity']:.1e}",
              f"{r['qutip_infidelity']:.1e}", f"{r['reference_convergence']:.1e}"] for r in versus],
        ),
        "",
        "Scaling (each n in a fresh process; setup = energy factors + allocating and filling the state; "
        "step time on the prepared state, the difference of runs of k + 1 steps and 1 step; peak RSS of that "
        "process; allocated = the state, two float64 arrays of 16 bytes per amplitude, and the energy factors):",
        "",
        markdown_table(
            ["n", *[f"step, {count} thread(s) (s)" for count in thread_counts], "setup (s)",
             "1000 steps, estimated (s)", "allocated (GiB)", "peak RSS (GiB)"],
            [[r["n"], *[r[f"step_s_{count}"] for count in thread_counts], r["setup_s"], r["steps_1000_s"],
              r["allocated_gib"], r["peak_rss_gib"]] for r in scale],
        ),
    ]
    fits = [r["n"] for r in scale if r["steps_1000_s"] < TARGET_SECONDS]
    if fits:
        lines += ["", f"Largest n with 1000 steps in under {TARGET_SECONDS / 60:g} minutes (estimated from the "
                  f"step time): {max(fits)}."]
    if long_run:
        verdict = ""
        if (long_run["n"], long_run["steps"]) == (TARGET_QUBITS, TARGET_STEPS):
            side = "under" if long_run["total_s"] < TARGET_SECONDS else "over"
            verdict = f", {side} the target of {TARGET_SECONDS / 60:g} minutes"
        lines += ["", f"Measured: a full {long_run['steps']}-step anneal (`evolve`, setup included) at "
                  f"n = {long_run['n']} with {long_run['threads']} thread(s) took {long_run['total_s']:.1f} s"
                  f"{verdict} (peak RSS {long_run['peak_rss_gib']:.2f} GiB)."]
    else:
        lines += ["", "The full anneal was not run (`--long-steps 0`); the 1000-step times above are estimates."]
    lines += [
        "",
        f"![ground-state probability against T](img/{PLOT.name})",
        "",
        f"Ground-state probability against T for three SK instances at n = {n_curves} "
        "(steps = max(200, 20 T)); dashed lines mark `1/Delta_min^2` from `solvers.spectrum` "
        "(flip-even sector when h = 0, gap to the first level not merging with the ground level at s = 1):",
        "",
        markdown_table(["instance", "Delta_min", "s at Delta_min", "1/Delta_min^2"],
                       [[c["seed"], c["min_gap"], c["s_min_gap"], c["adiabatic_time"]] for c in curves]),
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="seconds-long smoke run (n <= 8); writes no docs")
    parser.add_argument("--max-qubits", type=int, default=qubits_that_fit(default_memory_limit()),
                        help="largest n in the scaling table (default: the largest that fits the default "
                             "memory limit, here %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats against qutip")
    parser.add_argument("--threads", default="1,2", help="numba thread counts for the scaling table")
    parser.add_argument("--long-qubits", type=int, default=TARGET_QUBITS, help="n of the full anneal")
    parser.add_argument("--long-steps", type=int, default=TARGET_STEPS, help="steps of the full anneal (0: skip)")
    parser.add_argument("--long-threads", type=int, default=os.cpu_count(),
                        help="numba threads of the full anneal (default: every core, here %(default)s)")
    args = parser.parse_args(argv)
    thread_counts = [int(t) for t in args.threads.split(",")]
    if args.tiny:
        versus = against_qutip([6, 8], repeats=1)
        scale = scaling([8], threads=thread_counts)
        long_run = in_subprocess(8, 20, "long_anneal", threads=args.long_threads)
        curves = success_curves(6, np.geomspace(0.5, 50, 4), seeds=[0])
        assert all(r["ours_infidelity"] <= TARGET_INFIDELITY for r in versus)
        print(report(versus, scale, long_run, curves, 6, f"{COMMAND} --tiny", thread_counts))  # not written
        return
    versus = against_qutip([8, 10, 12, 14, 16], args.repeats)
    scale = scaling(list(range(12, args.max_qubits + 1)), threads=thread_counts)
    long_run = None
    if args.long_steps:
        long_run = in_subprocess(args.long_qubits, args.long_steps, "long_anneal", threads=args.long_threads)
        print("full anneal:", json.dumps(long_run), flush=True)
    n_curves = 8
    curves = success_curves(n_curves, np.geomspace(0.5, 500, 13), seeds=[0, 1, 2])
    save_raw("statevector", {"versus_qutip": versus, "scaling": scale, "long_run": long_run,
                             "curves": curves, "machine": machine_note()})
    plot(curves, n_curves, PLOT)
    command = " ".join([COMMAND, *argv])
    write_section("statevector", report(versus, scale, long_run, curves, n_curves, command, thread_counts))
