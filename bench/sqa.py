"""Path-integral SQA benchmark: ours against dwave-samplers' and OpenJij's SQA samplers.

``python -m bench sqa [--tiny] [--instances DIR] [--seeds N]``

All three anneal the same path ``H(s) = -Gamma0 (1 - s) sum_i X_i + s H_C`` at
fixed ``beta`` (s linear in the sweep index), with the same Trotter number P
and number of sweeps, two reads each:

* ours: ``schedule=[[0, Gamma0, 0], [1, 0, 1]]``, ``trotter_slices=P``;
* OpenJij ``SQASampler``: ``schedule=[(s, 1), ...]``, ``gamma=Gamma0``, ``trotter=P``
  (its ``H(s) = s H_p + Gamma (1 - s) sum X``);
* dwave-samplers ``PathIntegralAnnealingSampler``: ``Hp_field = beta s``,
  ``Hd_field = beta Gamma0 (1 - s)``. It works in continuous imaginary time (no
  Trotter number), so its "replica-spin updates" are counted as if it had P
  slices: the same nominal work ``reads * sweeps * P * n`` for everyone.

1. Throughput on G1 (800 nodes): wall and CPU time (all threads of this process)
   of the same anneal, interleaved, median over max(5, ``--seeds``) repeats;
   replica-spin updates per second of wall time (the target) and of CPU time
   (insensitive to other load on a shared machine).
2. Equal wall time: on G1 (best known cut 11624) and a G22-size random graph
   (2000 nodes, 19990 unit edges, fixed seed), each sampler gets the number of
   sweeps that fills the same budget (its seconds per sweep measured in part 1 on
   G1, else by two interleaved calibration runs of the same length), interleaved
   over ``--seeds`` seeds; best cut of the two reads.

``--tiny`` runs a seconds-long smoke version on a 50-node graph and writes no docs.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import networkx as nx
import numpy as np

from bench._common import SHIPPED_DATA, interleaved, machine_note, markdown_table, median, save_raw, write_section
from problems.maxcut import MaxCut
from solvers.path_integral import PathIntegralAnnealingSampler

SLICES, BETA, GAMMA0, READS = 8, 2.0, 3.0, 2
G1_BEST_KNOWN = 11624
COMMAND = "python -m bench sqa --instances /work/shared/benchmarks/gset"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench sqa", description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="seconds-long smoke run; writes no docs")
    parser.add_argument("--instances", type=Path, default=SHIPPED_DATA, help="directory holding G1.txt")
    parser.add_argument("--seeds", type=int, default=3, help="interleaved repeats per contender (default 3)")
    args = parser.parse_args(argv)
    import openjij  # the bench extra; imported here so `--help` works without it
    from dwave.samplers import PathIntegralAnnealingSampler as DwavePIMC

    if args.tiny:
        instances = {"gnm-50": _random_graph(50, 200, seed=50)}
        rate_instance, rate_sweeps, budgets, seeds, rate_repeats = "gnm-50", 50, {"gnm-50": 0.3}, 1, 1
    else:
        instances = {"G1": MaxCut.from_gset(args.instances / "G1.txt"), "G22-size": _random_graph(2000, 19990, seed=22)}
        rate_instance, rate_sweeps, budgets, seeds = "G1", 300, {"G1": 15.0, "G22-size": 20.0}, args.seeds
        rate_repeats = max(5, seeds)
    bqms = {name: problem.to_bqm() for name, problem in instances.items()}
    contenders = {"landscape": _ours, "openjij": _openjij(openjij), "dwave-samplers": _dwave(DwavePIMC)}
    _ours(bqms[rate_instance], 2, 0)  # numba load outside the clock
    raw = {"machine": machine_note(), "load_average": os.getloadavg(), "slices": SLICES, "beta": BETA,
           "gamma0": GAMMA0, "reads": READS, "throughput": {}, "equal_time": {}}

    bqm, n = bqms[rate_instance], bqms[rate_instance].num_variables
    runs = interleaved({name: (lambda rep, run=run: _with_cpu_time(run, bqm, rate_sweeps, rep))
                        for name, run in contenders.items()}, rate_repeats)
    work = READS * rate_sweeps * SLICES * n
    seconds = {name: median([t for t, _ in results]) for name, results in runs.items()}
    cpu = {name: median([c for _, (c, _) in results]) for name, results in runs.items()}
    best_peer = min(seconds[name] for name in contenders if name != "landscape")
    rate_rows = []
    for name in contenders:
        raw["throughput"][name] = {"seconds": [t for t, _ in runs[name]],
                                   "cpu_seconds": [c for _, (c, _) in runs[name]]}
        rate_rows.append([name, seconds[name], work / seconds[name] / 1e6, cpu[name], work / cpu[name] / 1e6,
                          best_peer / seconds["landscape"] if name == "landscape"
                          else seconds["landscape"] / seconds[name]])
    rate_header = ["sampler", "wall s", "M updates/s (wall)", "CPU s", "M updates/CPU-s",
                   "wall speed: ours / faster peer, or peer / ours"]
    print(markdown_table(rate_header, rate_rows))

    quality_rows = []
    for instance, bqm in bqms.items():
        problem, budget = instances[instance], budgets[instance]
        per_sweep = ({name: seconds[name] / rate_sweeps for name in contenders} if instance == rate_instance
                     else _seconds_per_sweep(contenders, bqm, rate_sweeps))
        sweeps = {name: max(2, int(budget / cost)) for name, cost in per_sweep.items()}
        runs = interleaved({name: (lambda rep, run=run, name=name: run(bqm, sweeps[name], 100 + rep))
                            for name, run in contenders.items()}, seeds)
        raw["equal_time"][instance] = {}
        for name in contenders:
            cuts = [round((problem.total_weight - float(ss.first.energy)) / 2) for _, ss in runs[name]]
            walls = [t for t, _ in runs[name]]
            raw["equal_time"][instance][name] = {"sweeps": sweeps[name], "seconds": walls, "best_cuts": cuts}
            quality_rows.append([instance, budget, name, sweeps[name], median(walls), int(np.median(cuts)),
                                 max(cuts)])
    print(markdown_table(["instance", "budget s", "sampler", "sweeps", "wall s (median)", "best cut (median)",
                          "best cut (max)"], quality_rows))
    if args.tiny:
        return
    save_raw("sqa", raw)
    write_section("sqa", "\n\n".join([
        "## Path-integral simulated quantum annealing",
        f"Command: `{COMMAND}`. {machine_note()}; load average at start {raw['load_average'][0]:.1f} "
        "(the machine is shared: wall times are interleaved medians).",
        f"Same path for all: `H(s) = -{GAMMA0} (1 - s) sum X + s H_C`, beta = {BETA}, P = {SLICES} Trotter slices, "
        f"{READS} reads, s linear in the sweep index. dwave-samplers' sampler is continuous-time (no Trotter number): "
        "its work is counted as P slices per qubit and sweep, like the others.",
        f"### Throughput on {rate_instance} ({rate_sweeps} sweeps, median of {rate_repeats})",
        markdown_table(rate_header, rate_rows),
        f"### Best cut at equal wall time (median and max over {seeds} seeds; G1 best known {G1_BEST_KNOWN})",
        markdown_table(["instance", "budget s", "sampler", "sweeps", "wall s (median)", "best cut (median)",
                        "best cut (max)"], quality_rows),
    ]))


def _random_graph(num_nodes: int, num_edges: int, seed: int) -> MaxCut:
    graph = nx.gnm_random_graph(num_nodes, num_edges, seed=seed)
    return MaxCut(np.array(graph.edges(), dtype=np.int64), nodes=range(num_nodes))


def _with_cpu_time(run, bqm, sweeps: int, seed: int):
    """``(CPU seconds of this process over all its threads, sample set)`` of one run."""
    start = time.process_time()
    sampleset = run(bqm, sweeps, seed)
    return time.process_time() - start, sampleset


def _progress(sweeps: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, sweeps)


def _ours(bqm, sweeps: int, seed: int):
    return PathIntegralAnnealingSampler().sample(bqm, num_reads=READS, num_sweeps=sweeps, trotter_slices=SLICES,
                                                 beta=BETA, schedule=[[0.0, GAMMA0, 0.0], [1.0, 0.0, 1.0]], seed=seed)


def _openjij(openjij):
    def run(bqm, sweeps: int, seed: int):
        schedule = [(float(s), 1) for s in _progress(sweeps)]
        return openjij.SQASampler().sample(bqm, num_reads=READS, schedule=schedule, trotter=SLICES, beta=BETA,
                                           gamma=GAMMA0, seed=seed)
    return run


def _dwave(sampler_class):
    def run(bqm, sweeps: int, seed: int):
        s = _progress(sweeps)
        return sampler_class().sample(bqm, num_reads=READS, num_sweeps=sweeps, beta_schedule_type="custom",
                                      Hp_field=BETA * s, Hd_field=BETA * GAMMA0 * (1.0 - s), seed=seed)
    return run


def _seconds_per_sweep(contenders: dict, bqm, sweeps: int) -> dict[str, float]:
    """Wall seconds per sweep of each contender on ``bqm``: the faster of two interleaved runs of ``sweeps``."""
    runs = interleaved({name: (lambda rep, run=run: run(bqm, sweeps, rep)) for name, run in contenders.items()}, 2)
    return {name: min(t for t, _ in runs[name]) / sweeps for name in contenders}
