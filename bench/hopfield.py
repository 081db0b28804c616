"""Hopfield memory: capacity curves against theory, the two questions, recall speed against numpy.

``python -m bench hopfield [--tiny] [--sizes 1000,2000] [--repeats 1] [--max-cues 400] [--parts ...]``

(``--parts speed`` re-measures only the timings and reuses the other parts from
``bench/results/hopfield.json``; the full run takes about 15 CPU-minutes.)

* Capacity: for each rule, the fraction of stored patterns recalled with
  overlap > 0.95 (async, zero temperature) from the pattern itself and from a
  cue with 10% of its bits flipped, as the load alpha = P/N grows; patterns are
  stored incrementally (``store`` again at each alpha). Plot in
  ``docs/img/hopfield_capacity.png`` with the Amit-Gutfreund-Sompolinsky alpha_c.
* Storkey at alpha = 0.35 over ten independent pattern sets (the rule's capacity mark).
* Repeated storage: energy and basin of a pattern stored 1, 2, 3 times.
* Asymmetry: Hebbian weights with each directed coupling dropped with
  probability 1/2, against the same network symmetrised.
* Speed: single-recall latency and 1000-cue throughput, interleaved with a
  plain numpy implementation (python loop over spins for async, matrix
  products for sync).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from bench._common import REPO, RESULTS_DIR, interleaved, machine_note, markdown_table, median, save_raw, write_section
from neural.hopfield import MATCH_OVERLAP, HopfieldNetwork

ALPHA_C = 0.138
ALPHAS = [0.05, 0.075, 0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16, 0.18, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]
PSEUDOINVERSE_EXTRA = [0.6, 0.7, 0.8, 0.9]
RULES = ("hebbian", "storkey", "pseudoinverse", "modern")
PARTS = ("capacity", "storkey", "questions", "speed")
STORKEY_ALPHA, STORKEY_SETS = 0.35, 10
PLOT = REPO / "docs" / "img" / "hopfield_capacity.png"


def corrupt_all(patterns: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Each row with exactly round(fraction * N) distinct bits flipped."""
    n = patterns.shape[1]
    cues = patterns.copy()
    flips = int(round(fraction * n))
    for row in cues:
        row[rng.choice(n, size=flips, replace=False)] *= -1
    return cues


def final_overlaps(net: HopfieldNetwork, cues: np.ndarray, targets: np.ndarray, seed: int) -> np.ndarray:
    """Overlap of each recalled state with its target pattern (retrieved: > MATCH_OVERLAP)."""
    results = net.recall_batch(cues, seed=seed)
    return np.array([r.overlaps[t] for r, t in zip(results, targets)])


def capacity_curve(rule: str, n: int, alphas: list[float], seed: int, max_cues: int) -> dict:
    """Retrieval fractions at each alpha, patterns stored incrementally in one network.

    At most ``max_cues`` stored patterns (a random subset) are tested per point.
    """
    rng = np.random.default_rng([seed, n])
    counts = [max(1, int(round(a * n))) for a in alphas]
    patterns = rng.choice(np.array([-1, 1], dtype=np.int8), size=(counts[-1], n))
    net = HopfieldNetwork(n, rule)
    stored, exact, noisy, overlap, seconds = 0, [], [], [], []
    for count in counts:
        start = time.perf_counter()
        net.store(patterns[stored:count])
        stored = count
        targets = np.sort(rng.choice(count, size=min(count, max_cues), replace=False))
        from_pattern = final_overlaps(net, patterns[targets], targets, seed)
        from_cue = final_overlaps(net, corrupt_all(patterns[targets], 0.1, rng), targets, seed + 1)
        exact.append(float((from_pattern > MATCH_OVERLAP).mean()))
        noisy.append(float((from_cue > MATCH_OVERLAP).mean()))
        overlap.append(float(from_pattern.mean()))
        seconds.append(time.perf_counter() - start)
    return {"alphas": alphas, "from_pattern": exact, "from_10pct_cue": noisy, "mean_overlap": overlap,
            "seconds": sum(seconds)}


def storkey_threshold(n: int, alpha: float, sets: int) -> dict:
    """Storkey retrieval from 10% cues at one load, over many independent pattern sets (all stored at once)."""
    count = int(round(alpha * n))
    fractions = []
    for seed in range(sets):
        rng = np.random.default_rng([seed, 77])
        patterns = rng.choice(np.array([-1, 1], dtype=np.int8), size=(count, n))
        net = HopfieldNetwork.from_patterns(patterns, rule="storkey")
        overlaps = final_overlaps(net, corrupt_all(patterns, 0.1, rng), np.arange(count), seed)
        fractions.append(float((overlaps > MATCH_OVERLAP).mean()))
    return {"n": n, "alpha": alpha, "sets": sets, "fractions": fractions, "mean": float(np.mean(fractions)),
            "standard_error": float(np.std(fractions) / np.sqrt(sets))}


def repeated_storage(n: int, alpha: float, levels: list[float], trials: int, seed: int) -> dict:
    patterns = np.random.default_rng(seed).choice([-1, 1], size=(int(round(alpha * n)), n))
    net = HopfieldNetwork.from_patterns(patterns, rule="hebbian")
    rows = []
    for times in (1, 2, 3):
        if times > 1:
            net.store(patterns[:1])
        profile = net.basin_profile(0, levels, trials=trials, seed=seed)
        others = np.mean([net.energy(p) for p in patterns[1:21]])
        rows.append({"times": times, "energy": net.energy(patterns[0]), "other_energy": float(others),
                     "basin": profile.tolist()})
    return {"n": n, "alpha": alpha, "levels": levels, "rows": rows}


def asymmetry(n: int, alpha: float, cues_per: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    patterns = rng.choice([-1, 1], size=(int(round(alpha * n)), n))
    hebbian = HopfieldNetwork.from_patterns(patterns).weights
    diluted = hebbian * (rng.random((n, n)) < 0.5)  # each directed coupling kept with probability 1/2
    targets = rng.integers(0, len(patterns), cues_per)
    cues = corrupt_all(patterns[targets].astype(np.int8), 0.1, rng)
    random_cues = rng.choice([-1, 1], size=(cues_per, n))
    out = {}
    gaussian = rng.normal(size=(n, n)) / np.sqrt(n)
    np.fill_diagonal(gaussian, 0.0)
    for name, w in (("asymmetric (diluted)", diluted), ("symmetrised", 0.5 * (diluted + diluted.T)),
                    ("random Gaussian (no patterns learned)", gaussian)):
        net = HopfieldNetwork.from_weights(w, patterns=patterns)
        from_cues = net.recall_batch(cues, max_sweeps=200, seed=seed)
        from_random = net.recall_batch(random_cues, max_sweeps=200, seed=seed)
        everything = from_cues + from_random
        out[name] = {
            "symmetric": net.symmetric,
            "retrieved": float(np.mean([r.overlaps[t] > MATCH_OVERLAP for r, t in zip(from_cues, targets)])),
            "converged": float(np.mean([r.converged for r in everything])),
            "energy_rose": float(np.mean([np.any(np.diff(r.energy_trajectory) > 1e-9) for r in everything])),
            "median_sweeps": float(np.median([r.num_sweeps for r in everything])),
        }
    return {"n": n, "alpha": alpha, "cues": 2 * cues_per, "rows": out}


def numpy_async(w: np.ndarray, cue: np.ndarray, rng: np.random.Generator, max_sweeps: int = 100) -> np.ndarray:
    """Textbook asynchronous recall: a python loop over a random permutation, one dot product per spin."""
    s = cue.astype(np.float64).copy()
    for _ in range(max_sweeps):
        changed = False
        for i in rng.permutation(len(s)):
            u = w[i] @ s
            if u * s[i] < 0:
                s[i] = -s[i]
                changed = True
        if not changed:
            break
    return s


def numpy_sync(w: np.ndarray, cues: np.ndarray, max_sweeps: int = 100) -> np.ndarray:
    """Synchronous recall of a batch by matrix products (ties keep the state); fixed rows drop out."""
    s = np.atleast_2d(cues).astype(np.float64)
    active = np.arange(len(s))
    for _ in range(max_sweeps):
        u = s[active] @ w
        new = np.where(u != 0, np.sign(u), s[active])
        moving = (new != s[active]).any(axis=1)
        s[active] = new
        active = active[moving]
        if active.size == 0:
            break
    return s


def speed(n: int, alpha: float, latency_repeats: int, batch: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    patterns = rng.choice(np.array([-1, 1], dtype=np.int8), size=(int(round(alpha * n)), n))
    net = HopfieldNetwork.from_patterns(patterns)
    w = net.weights.copy()
    targets = rng.integers(0, len(patterns), max(batch, latency_repeats))
    cues = corrupt_all(patterns[targets], 0.1, rng)
    net.recall(cues[0], mode="async")  # warm-up: numba compilation or cache load
    net.recall(cues[0], mode="sync")
    net.recall_batch(cues[:2])
    net.recall_batch(cues[:2], mode="sync")

    reference = patterns.astype(np.float64)

    def ok(state, k):
        return float(np.asarray(state, dtype=np.float64).ravel() @ reference[targets[k]] / n > MATCH_OVERLAP)

    latency = interleaved({
        "landscape async": lambda k: ok(net.recall(cues[k], mode="async", seed=k).state, k),
        "landscape sync": lambda k: ok(net.recall(cues[k], mode="sync").state, k),
        "numpy async (python loop)": lambda k: ok(numpy_async(w, cues[k], np.random.default_rng(k)), k),
        "numpy sync": lambda k: ok(numpy_sync(w, cues[k])[0], k),
    }, latency_repeats)
    block = cues[:batch]

    def batch_ok(states):
        overlaps = (np.asarray(states, dtype=np.float64).reshape(batch, n) * reference[targets[:batch]]).sum(1) / n
        return float(np.mean(overlaps > MATCH_OVERLAP))

    throughput = interleaved({
        "landscape async": lambda k: batch_ok([r.state for r in net.recall_batch(block, seed=k)]),
        "landscape sync": lambda k: batch_ok([r.state for r in net.recall_batch(block, mode="sync")]),
        "numpy sync (matrix products)": lambda k: batch_ok(numpy_sync(w, block)),
    }, 3)
    return {
        "n": n, "alpha": alpha, "batch": batch, "load_average": os.getloadavg()[0],
        "latency_ms": {k: median([t for t, _ in v]) * 1e3 for k, v in latency.items()},
        "latency_retrieved": {k: float(np.mean([r for _, r in v])) for k, v in latency.items()},
        "throughput_per_s": {k: batch / median([t for t, _ in v]) for k, v in throughput.items()},
        "throughput_retrieved": {k: float(np.mean([r for _, r in v])) for k, v in throughput.items()},
    }


def plot(curves: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    styles = {"hebbian": "o-", "storkey": "s-", "pseudoinverse": "^-", "modern": "d-"}
    for ax, key, title in zip(axes, ("from_pattern", "from_10pct_cue"),
                              ("start: the stored pattern", "start: 10% of bits flipped")):
        for (rule, n), curve in curves.items():
            ax.plot(curve["alphas"], curve[key], styles[rule], ms=3.5,
                    label=f"{rule} N={n}", alpha=1.0 if n == min(c[1] for c in curves) else 0.55)
        ax.axvline(ALPHA_C, color="k", ls="--", lw=1)
        ax.text(ALPHA_C + 0.01, 0.05, r"$\alpha_c = 0.138$", fontsize=9)
        ax.set_title(title)
        ax.set_xlabel(r"load $\alpha = P / N$")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("fraction recalled with overlap > 0.95")
    axes[1].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench hopfield", description=__doc__.split("\n")[0])
    parser.add_argument("--tiny", action="store_true", help="seconds-long smoke run; writes no docs")
    parser.add_argument("--sizes", default="1000,2000", help="network sizes N for the capacity curves")
    parser.add_argument("--repeats", type=int, default=1, help="independent pattern sets per curve point")
    parser.add_argument("--max-cues", type=int, default=400, help="stored patterns tested per curve point")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help="parts to measure; the others are reused from bench/results/hopfield.json")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    previous = {}
    if parts != set(PARTS) and not args.tiny:
        previous = json.loads((RESULTS_DIR / "hopfield.json").read_text())
    if args.tiny:
        sizes, alphas, extra = [100], [0.05, 0.14, 0.3], [0.8]
        sizes_cfg = dict(rep_n=100, rep_trials=10, asym_n=100, asym_cues=10, speed_n=200, lat=5, batch=50)
    else:
        sizes, alphas, extra = [int(s) for s in args.sizes.split(",")], ALPHAS, PSEUDOINVERSE_EXTRA
        sizes_cfg = dict(rep_n=1000, rep_trials=100, asym_n=1000, asym_cues=100, speed_n=1000, lat=100, batch=1000)

    curves: dict = {}
    if "capacity" not in parts and previous:
        for key, curve in previous["curves"].items():
            rule, n = key.split("@")
            curves[(rule, int(n))] = curve
    for n in sizes if "capacity" in parts or not previous else []:
        for rule in RULES:
            grid = alphas + extra if rule == "pseudoinverse" else alphas
            runs = [capacity_curve(rule, n, grid, seed=rep, max_cues=args.max_cues) for rep in range(args.repeats)]
            curve = {"alphas": grid, "seconds": sum(r["seconds"] for r in runs)}
            for key in ("from_pattern", "from_10pct_cue", "mean_overlap"):
                curve[key] = np.mean([r[key] for r in runs], axis=0).tolist()
            curves[(rule, n)] = curve
            print(f"N={n} {rule:14s} {curve['seconds']:.1f}s  exact {np.round(curve['from_pattern'], 3).tolist()}"
                  f"\n{'':20s}10% {np.round(curve['from_10pct_cue'], 3).tolist()}", flush=True)

    if "storkey" in parts or "storkey" not in previous:
        storkey = storkey_threshold(100 if args.tiny else 1000, STORKEY_ALPHA, 2 if args.tiny else STORKEY_SETS)
    else:
        storkey = previous["storkey"]
    print("storkey", storkey, flush=True)

    levels = [0.1, 0.2, 0.3, 0.35, 0.4, 0.45]
    if "questions" in parts or not previous:
        repeated = repeated_storage(sizes_cfg["rep_n"], ALPHA_C, levels, sizes_cfg["rep_trials"], seed=11)
        asym = asymmetry(sizes_cfg["asym_n"], 0.05, sizes_cfg["asym_cues"], seed=12)
    else:
        repeated, asym = previous["repeated_storage"], previous["asymmetry"]
    print("repeated storage", repeated, "\nasymmetry", asym, flush=True)
    if "speed" in parts or not previous:
        timing = speed(sizes_cfg["speed_n"], 0.1, sizes_cfg["lat"], sizes_cfg["batch"], seed=13)
    else:
        timing = previous["speed"]
    print("speed", timing, flush=True)

    raw = {"curves": {f"{rule}@{n}": c for (rule, n), c in curves.items()}, "repeated_storage": repeated,
           "asymmetry": asym, "speed": timing, "storkey": storkey, "machine": machine_note(),
           "parts_measured": sorted(parts)}
    if args.tiny:
        return
    save_raw("hopfield", raw)
    plot(curves, PLOT)
    write_section("hopfield", report(curves, repeated, asym, timing, storkey, args))


def report(curves, repeated, asym, timing, storkey, args) -> str:
    command = f"python -m bench hopfield --sizes {args.sizes} --repeats {args.repeats} --max-cues {args.max_cues}"
    lines = [
        "## Hopfield associative memory",
        "",
        f"Regenerate: `{command}` ({machine_note()}). Raw numbers: `bench/results/hopfield.json`.",
        "",
        "Fraction of the P stored patterns recalled with overlap > 0.95 by asynchronous zero-temperature "
        "recall (`HopfieldNetwork.recall_batch`), starting from the pattern itself / from a cue with 10% of "
        f"its bits flipped; {args.repeats} pattern set(s) per point, at most {args.max_cues} stored patterns "
        "tested per point (a random subset). Theory (Amit, Gutfreund & Sompolinsky 1985): Hebbian "
        "alpha_c = 0.138 with overlap 0.967 there.",
        "",
        "![capacity curves](img/hopfield_capacity.png)",
        "",
    ]
    for n in sorted({n for _, n in curves}):
        header = ["alpha"] + [f"{rule} (exact / 10%)" for rule in RULES]
        grid = curves[("pseudoinverse", n)]["alphas"]
        rows = []
        for a in grid:
            row = [a]
            for rule in RULES:
                c = curves[(rule, n)]
                if a in c["alphas"]:
                    k = c["alphas"].index(a)
                    row.append(f"{c['from_pattern'][k]:.3f} / {c['from_10pct_cue'][k]:.3f}")
                else:
                    row.append("")
            rows.append(row)
        lines += [f"**N = {n}**", "", markdown_table(header, rows), ""]
    hebbian = {n: curves[("hebbian", n)] for n in sorted({n for _, n in curves}) if "mean_overlap" in
               curves[("hebbian", n)]}
    if hebbian:
        near = [a for a in next(iter(hebbian.values()))["alphas"] if 0.1 <= a <= 0.16]
        lines += [
            "**Hebbian mean overlap near capacity** (starting from the stored pattern, mean over the tested "
            "patterns; AGS theory for N -> infinity: the retrieval state has overlap 0.967 at alpha_c = 0.138 "
            "and vanishes above it, finite N smooths the transition):",
            "",
            markdown_table(["alpha"] + [f"N = {n}" for n in hebbian],
                           [[a] + [f"{c['mean_overlap'][c['alphas'].index(a)]:.3f}" for c in hebbian.values()]
                            for a in near]),
            "",
        ]
    lines += [
        f"**Storkey at alpha = {storkey['alpha']}** (N = {storkey['n']}, 10% cues, {storkey['sets']} independent "
        f"pattern sets of {int(round(storkey['alpha'] * storkey['n']))}, each stored at once): "
        f"{storkey['mean']:.4f} +- {storkey['standard_error']:.4f} (standard error) of the patterns retrieved.",
        "",
        f"**Repeated storage** (Hebbian, N = {repeated['n']}, alpha = {repeated['alpha']}): pattern 0 stored "
        "1, 2, 3 times. Energy of the pattern (mean energy of 20 other stored patterns for comparison) and "
        "the fraction of cues at each corruption level that return to it.",
        "",
        markdown_table(["times stored", "E(pattern 0)", "E(others)"] + [f"basin @{l:.0%}" for l in repeated["levels"]],
                       [[r["times"], r["energy"], r["other_energy"]] + r["basin"] for r in repeated["rows"]]),
        "",
        f"**Asymmetric weights** (Hebbian N = {asym['n']}, alpha = {asym['alpha']}, each directed coupling kept "
        f"with probability 1/2, against its symmetric part and against i.i.d. Gaussian weights; {asym['cues']} "
        "cues, half 10%-corrupted patterns, half random; async, zero temperature, 200 sweeps max):",
        "",
        markdown_table(["weights", "symmetric", "retrieved (10% cues)", "converged", "energy rose during recall",
                        "median sweeps"],
                       [[name, r["symmetric"], r["retrieved"], r["converged"], r["energy_rose"], r["median_sweeps"]]
                        for name, r in asym["rows"].items()]),
        "",
        f"**Speed** (N = {timing['n']}, Hebbian, alpha = {timing['alpha']}, 10% cues; medians, interleaved "
        "with a plain numpy implementation in the same run; the machine was shared, 1-minute load average "
        f"{timing.get('load_average', float('nan')):.1f} on 2 cores when this part started):",
        "",
        markdown_table(["recall of one cue", "latency ms", "retrieved"],
                       [[k, v, timing["latency_retrieved"][k]] for k, v in timing["latency_ms"].items()]),
        "",
        markdown_table([f"batch of {timing['batch']} cues", "cues / s", "retrieved"],
                       [[k, v, timing["throughput_retrieved"][k]] for k, v in timing["throughput_per_s"].items()]),
    ]
    return "\n".join(lines)
