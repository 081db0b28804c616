"""Hopfield memory: fixed points, descent, retrieval, cycles, energies against energy/ and dimod."""

from __future__ import annotations

import json

import dimod
import numpy as np
import pytest

from energy.kernels import greedy_sweep
from neural import hopfield
from neural.hopfield import HopfieldError, HopfieldNetwork, classify, projection_weights, storkey_increment

CLASSICAL = ("hebbian", "storkey", "pseudoinverse")


def random_patterns(count, n, seed):
    return np.random.default_rng(seed).choice(np.array([-1, 1], dtype=np.int8), size=(count, n))


@pytest.mark.parametrize("rule", CLASSICAL)
@pytest.mark.parametrize("mode", ["async", "sync"])
def test_stored_patterns_are_fixed_points_below_capacity(rule, mode):
    patterns = random_patterns(8, 200, seed=1)  # alpha = 0.04
    net = HopfieldNetwork.from_patterns(patterns, rule=rule)
    for index in range(len(patterns)):
        result = net.recall(patterns[index], mode=mode, seed=index)
        assert result.converged and result.num_sweeps == 1 and result.cycle_length is None
        assert np.array_equal(result.state, patterns[index])
        assert (result.matched_pattern, result.kind) == (index, "stored")
        assert result.overlaps[index] == 1.0


def test_async_zero_temperature_energy_never_increases_at_any_flip():
    """Past capacity (alpha = 0.25) so cues travel far; the energy is checked after every single spin update."""
    net = HopfieldNetwork.from_patterns(random_patterns(15, 60, seed=2), rule="hebbian")
    model = net.ising_model()
    rng = np.random.default_rng(3)
    flips = 0
    for _ in range(5):
        spins = rng.choice(np.array([-1, 1], dtype=np.int8), size=60)
        fields = model.local_fields(spins)
        energy = net.energy(spins)
        for _sweep in range(50):
            changed = 0
            for i in rng.permutation(60):
                changed += greedy_sweep(spins, fields, model.indptr, model.indices, model.data, np.array([i]))
                new = net.energy(spins)
                assert new <= energy + 1e-12
                energy = new
            flips += changed
            if not changed:
                break
        # a local minimum: every neuron agrees with its field (W s)_i
        assert np.all(spins * (net.weights @ spins) >= 0)
    assert flips > 20
    # the production path reports the same property sweep by sweep
    results = net.recall_batch(rng.choice([-1, 1], size=(20, 60)), seed=4)
    for result in results:
        assert result.energy_is_lyapunov and result.converged
        assert np.all(np.diff(result.energy_trajectory) <= 1e-12)
        assert np.all(result.state * (net.weights @ result.state) >= 0)
        assert result.energy == pytest.approx(net.energy(result.state), abs=1e-9)


@pytest.mark.parametrize("rule", CLASSICAL + ("modern",))
def test_ten_percent_corrupted_cue_is_restored_at_low_load(rule):
    patterns = random_patterns(10, 400, seed=5)  # alpha = 0.025
    net = HopfieldNetwork.from_patterns(patterns, rule=rule)
    for index in range(10):
        cue = net.corrupt(index, 0.1, seed=index)
        assert np.count_nonzero(cue != patterns[index]) == 40
        result = net.recall(cue, seed=index)
        assert result.matched_pattern == index and result.kind == "stored" and result.converged
        assert np.allclose(result.state, patterns[index], atol=1e-9)


def test_sync_two_cycle_is_detected_on_a_constructed_example():
    net = HopfieldNetwork.from_weights([[0.0, -1.0], [-1.0, 0.0]])  # antiferromagnetic pair
    sync = net.recall([1, 1], mode="sync", max_sweeps=50)
    assert sync.cycle_length == 2 and not sync.converged and sync.num_sweeps == 2
    assert np.array_equal(sync.state, [1, 1])
    assert list(sync.energy_trajectory) == [1.0, 1.0, 1.0]  # E = -1/2 s W s = s_1 s_2
    # async dynamics on the same symmetric weights settle in a minimum
    asyn = net.recall([1, 1], mode="async", seed=0)
    assert asyn.converged and asyn.cycle_length is None and asyn.state[0] == -asyn.state[1]
    assert asyn.energy == -1.0


def test_sync_two_cycle_in_a_hebbian_network():
    """Sync Hebbian dynamics from random cues: every run ends in a fixed point or a 2-cycle, never longer."""
    net = HopfieldNetwork.from_patterns(random_patterns(30, 100, seed=6), rule="hebbian")
    results = net.recall_batch(np.random.default_rng(7).choice([-1, 1], size=(40, 100)), mode="sync", seed=1)
    cycles = [r.cycle_length for r in results if not r.converged]
    assert cycles and set(cycles) == {2}
    counts = np.rint(net.weights * 100)  # Hebbian weights are counts / N: exact ties in integers
    step = lambda s: np.where(counts @ s != 0, np.sign(counts @ s), s)
    for r in results:
        if r.cycle_length == 2:  # check the cycle independently: two sync steps return the state
            assert np.array_equal(step(step(r.state)), r.state) and not np.array_equal(step(r.state), r.state)


def test_asymmetric_weights_are_flagged_and_cycle():
    """A ring where each neuron copies its predecessor, with one sign twist: no fixed point exists."""
    n = 5
    w = np.zeros((n, n))
    for i in range(1, n):
        w[i, i - 1] = 1.0
    w[0, n - 1] = -1.0
    net = HopfieldNetwork.from_weights(w)
    assert not net.symmetric
    cue = [1, 1, 1, 1, 1]
    sync = net.recall(cue, mode="sync", max_sweeps=100)
    assert sync.cycle_length == 2 * n and not sync.converged and not sync.energy_is_lyapunov
    asyn = net.recall(cue, mode="async", max_sweeps=200, seed=3)
    assert not asyn.converged and asyn.num_sweeps == 200 and not asyn.energy_is_lyapunov


def test_random_asymmetric_weights_lose_the_energy_function():
    rng = np.random.default_rng(25)
    w = rng.normal(size=(30, 30))
    np.fill_diagonal(w, 0.0)
    net = HopfieldNetwork.from_weights(w)
    results = net.recall_batch(rng.choice([-1, 1], size=(10, 30)), max_sweeps=100, seed=1)
    for result in results:
        assert not result.converged and not result.energy_is_lyapunov
        assert np.any(np.diff(result.energy_trajectory) > 0)  # the "energy" rises during descent
        # the reported energies are still -1/2 s W s, i.e. those of the symmetric part
        assert result.energy == pytest.approx(net.energy(result.state))
        assert net.energy(result.state) == pytest.approx(net.ising_model().energies(result.state)[0])
    # the same dynamics with the symmetric part restored always settle
    symmetric = HopfieldNetwork.from_weights(0.5 * (w + w.T))
    assert all(r.converged for r in symmetric.recall_batch(rng.choice([-1, 1], size=(10, 30)), seed=1))


def test_modern_rule_retrieves_exactly_far_beyond_n():
    n, p = 64, 3000  # P / N ~ 47, far past any classical capacity
    patterns = random_patterns(p, n, seed=8)
    net = HopfieldNetwork.from_patterns(patterns, rule="modern", beta=1.0)
    assert net.capacity_warning is None
    rng = np.random.default_rng(9)
    indices = rng.choice(p, size=25, replace=False)
    cues = np.array([net.corrupt(int(k), 0.1, seed=int(k)) for k in indices])
    for k, result in zip(indices, net.recall_batch(cues)):
        assert result.matched_pattern == k and result.num_sweeps <= 3 and result.converged
        assert np.abs(result.state - patterns[k]).max() < 1e-9
        assert np.all(np.diff(result.energy_trajectory) <= 1e-9)  # the modern energy decreases
    # too small a beta averages the patterns instead of retrieving one
    blurred = HopfieldNetwork.from_patterns(patterns, rule="modern", beta=0.01).recall_batch(cues, max_sweeps=5)
    assert all(r.matched_pattern is None for r in blurred)


def test_modern_energy_closed_form():
    patterns = random_patterns(4, 6, seed=10).astype(float)
    net = HopfieldNetwork.from_patterns(patterns, rule="modern", beta=0.7)
    xi = np.random.default_rng(11).normal(size=6)
    lse = np.log(np.exp(0.7 * patterns @ xi).sum()) / 0.7
    expected = -lse + xi @ xi / 2 + np.log(4) / 0.7 + 6 / 2
    assert net.energy(xi) == pytest.approx(expected)


@pytest.mark.parametrize("rule", CLASSICAL + ("weights",))
def test_network_energy_equals_ising_model_and_dimod(rule):
    rng = np.random.default_rng(12)
    if rule == "weights":
        w = rng.normal(size=(10, 10))
        w = w + w.T
        np.fill_diagonal(w, 0.0)
        net = HopfieldNetwork.from_weights(w, thresholds=rng.normal(size=10))
    else:
        net = HopfieldNetwork.from_patterns(random_patterns(4, 10, seed=13), rule=rule)
    states = rng.choice([-1, 1], size=(50, 10))
    model = net.ising_model()
    ours = net.energies(states)
    assert np.allclose(ours, model.energies(states))
    bqm = model.to_bqm()
    assert np.allclose(ours, bqm.energies((states, list(range(10)))))
    # closed form from the weights, and the recall trajectory's end points
    theta = net.thresholds
    assert np.allclose(ours, [-0.5 * s @ net.weights @ s - theta @ s for s in states])
    result = net.recall(states[0], seed=1)
    assert result.energy_trajectory[0] == pytest.approx(ours[0])
    assert result.energy == pytest.approx(net.energy(result.state))
    # zero-temperature recall ends in a local minimum of the dimod model
    ground = dimod.ExactSolver().sample(bqm).first.energy
    assert result.energy >= ground - 1e-9


def test_storkey_vectorised_matches_the_definition():
    n = 7
    patterns = random_patterns(4, n, seed=14).astype(float)
    w = np.zeros((n, n))
    for xi in patterns:
        local = lambda i, j: sum(w[i, k] * xi[k] for k in range(n) if k not in (i, j))
        new = w.copy()
        for i in range(n):
            for j in range(n):
                if i != j:
                    new[i, j] += (xi[i] * xi[j] - xi[i] * local(j, i) - local(i, j) * xi[j]) / n
        w = new
    vectorised = np.zeros((n, n))
    for xi in patterns:
        vectorised += storkey_increment(vectorised, xi)
        np.fill_diagonal(vectorised, 0.0)
    assert np.allclose(vectorised, w)
    assert np.allclose(HopfieldNetwork.from_patterns(patterns, rule="storkey").weights, w)


@pytest.mark.parametrize("rule", CLASSICAL)
def test_incremental_storage_equals_batch(rule):
    patterns = random_patterns(12, 50, seed=15)
    batch = HopfieldNetwork.from_patterns(patterns, rule=rule)
    incremental = HopfieldNetwork(50, rule)
    for chunk in (patterns[:5], patterns[5:6], patterns[6:]):
        incremental.store(chunk)
    assert np.array_equal(batch.weights, incremental.weights)
    assert np.array_equal(batch.patterns, incremental.patterns)


def test_pseudoinverse_is_the_projector_onto_the_patterns():
    patterns = random_patterns(20, 40, seed=16).astype(float)
    w = HopfieldNetwork.from_patterns(patterns, rule="pseudoinverse").weights
    closed_form = patterns.T @ np.linalg.inv(patterns @ patterns.T) @ patterns
    assert np.allclose(w, closed_form - np.diag(np.diag(closed_form)))
    assert np.allclose((w + np.diag(np.diag(closed_form))) @ patterns.T, patterns.T)
    # a repeated pattern leaves the projector unchanged
    assert np.allclose(projection_weights(np.vstack([patterns, patterns[:3]])), w)


def test_binary_and_image_patterns_round_trip():
    rng = np.random.default_rng(17)
    images = rng.integers(0, 2, size=(4, 12, 10))
    net = HopfieldNetwork.from_patterns(images.tolist(), rule="storkey")
    assert (net.encoding, net.shape, net.num_neurons) == ("binary", (12, 10), 120)
    assert np.array_equal(net.pattern(2), images[2])
    result = net.recall(pattern_index=2, corruption=0.05, seed=1)
    assert result.state.shape == (12, 10) and set(np.unique(result.state)) <= {0, 1}
    assert np.array_equal(result.state, images[2])
    assert np.array_equal(net.recall(images[3]).state, images[3])  # a 2-D 0/1 cue
    flat = net.recall(images[1].ravel())  # a flattened cue works too
    assert np.array_equal(flat.state, images[1])
    assert json.loads(json.dumps(result.to_dict()))["state"] == images[2].tolist()
    with pytest.raises(HopfieldError) as err:
        net.recall(2 * images[0] - 1)  # +-1 cue for a 0/1 network
    assert err.value.field == "cue"


@pytest.mark.parametrize("kind", ["hebbian", "storkey", "pseudoinverse", "modern", "weights"])
def test_save_load_and_config_round_trip(kind, tmp_path):
    rng = np.random.default_rng(18)
    if kind == "weights":
        w = rng.normal(size=(30, 30))
        np.fill_diagonal(w, 0.0)
        net = HopfieldNetwork.from_weights(w, thresholds=rng.normal(size=30),
                                           patterns=random_patterns(2, 30, seed=19))
    else:
        net = HopfieldNetwork.from_patterns(rng.integers(0, 2, size=(5, 6, 5)), rule=kind, beta=2.0)
        net.store(rng.integers(0, 2, size=(2, 6, 5)))
    path = tmp_path / "net.npz"
    net.save(path)
    copies = [HopfieldNetwork.load(path), HopfieldNetwork.from_config(json.loads(json.dumps(net.to_config())))]
    cue = net.corrupt(1, 0.2, seed=4)
    expected = net.recall(cue, mode="sync", seed=2).to_dict()
    for copy in copies:
        assert (copy.rule, copy.shape, copy.encoding, copy.beta, copy.symmetric) == (
            net.rule, net.shape, net.encoding, net.beta, net.symmetric)
        assert np.array_equal(copy.patterns, net.patterns)
        if kind != "modern":
            assert np.array_equal(copy.weights, net.weights)
            assert np.array_equal(copy.thresholds, net.thresholds)
        assert copy.recall(cue, mode="sync", seed=2).to_dict() == expected


def test_repeated_storage_deepens_the_valley_and_widens_the_basin():
    n = 200
    patterns = random_patterns(26, n, seed=20)  # alpha = 0.13, near capacity
    net = HopfieldNetwork.from_patterns(patterns, rule="hebbian")
    levels = [0.2, 0.3, 0.35, 0.4]
    energies, basins = [net.energy(patterns[0])], [net.basin_profile(0, levels, trials=40, seed=1)]
    for _ in range(2):
        net.store(patterns[:1])
        energies.append(net.energy(patterns[0]))
        basins.append(net.basin_profile(0, levels, trials=40, seed=1))
    # each repetition adds (xi xi^T - I) / N: the valley is (N - 1) / 2 deeper, exactly
    assert np.allclose(np.diff(energies), -(n - 1) / 2)
    assert np.all(basins[1] >= basins[0]) and np.all(basins[2] >= basins[1])
    assert basins[2].sum() >= basins[0].sum() + 1.0
    assert basins[2][-1] > 0.9 > basins[0][-1]


def test_classification_of_negations_and_mixtures():
    patterns = random_patterns(3, 501, seed=21)
    net = HopfieldNetwork.from_patterns(patterns, rule="hebbian")
    negation = net.recall(-patterns[1], seed=0)
    assert negation.kind == "negation" and negation.matched_pattern is None and negation.nearest_pattern == 1
    mixture_state = np.sign(patterns.sum(axis=0)).astype(int)  # the symmetric 3-mixture is a fixed point
    mixture = net.recall(mixture_state, seed=0)
    assert mixture.converged and np.array_equal(mixture.state, mixture_state)
    assert mixture.kind == "mixture" and np.allclose(mixture.overlaps, 0.5, atol=0.1)
    assert classify(np.array([0.1, -0.05, 0.2])) == (None, 2, "spurious")


def test_glauber_recall_is_reproducible_and_temperature_matters():
    patterns = random_patterns(5, 300, seed=22)
    net = HopfieldNetwork.from_patterns(patterns, rule="hebbian")
    cues = np.array([net.corrupt(k, 0.1, seed=k) for k in range(5)])
    cold = net.recall_batch(cues, temperature=0.1, seed=3)
    assert all(r.matched_pattern == k for k, r in enumerate(cold))
    hot = net.recall_batch(cues, temperature=5.0, max_sweeps=20, seed=3)
    assert all(abs(r.overlaps[k]) < 0.3 for k, r in enumerate(hot))  # far above T_c = 1: paramagnet
    again = net.recall_batch(cues, temperature=5.0, max_sweeps=20, seed=3)
    assert all(np.array_equal(a.state, b.state) for a, b in zip(hot, again))
    # the serial single-cue path reproduces any batch item from the seed it reports, bit for bit
    for k in (0, 4):
        single = net.recall(cues[k], temperature=5.0, max_sweeps=20, seed=hot[k].seed)
        assert np.array_equal(single.state, hot[k].state)
        assert np.array_equal(single.energy_trajectory, hot[k].energy_trajectory)
    for mode in ("async", "sync"):
        assert np.array_equal(net.recall(cues[1], mode=mode, temperature=5.0, seed=8).state,
                              net.recall(cues[1], mode=mode, temperature=5.0, seed=8).state)


def test_capacity_warning_and_limits(monkeypatch):
    net = HopfieldNetwork.from_patterns(random_patterns(20, 100, seed=23))
    assert "0.2" in net.capacity_warning and "hebbian" in net.capacity_warning
    assert HopfieldNetwork.from_patterns(random_patterns(10, 100, seed=23)).capacity_warning is None
    cases = [
        (lambda: HopfieldNetwork(rule="oja"), "rule"),
        (lambda: HopfieldNetwork.from_patterns([[1, -1, 1], [1, 2, 1]]), "patterns[1]"),
        (lambda: HopfieldNetwork.from_patterns([[1, -1, 1], [1, 0, 1]]), "patterns[1]"),
        (lambda: HopfieldNetwork.from_patterns([[1, -1], [1, -1, 1]]), "patterns"),
        (lambda: HopfieldNetwork.from_patterns([1, -1, 1]), "patterns"),
        (lambda: HopfieldNetwork.from_patterns(np.ones((1, hopfield.MAX_NEURONS + 1))), "patterns"),
        (lambda: net.store(np.ones((1, 99))), "patterns"),
        (lambda: net.recall(pattern_index=20), "pattern_index"),
        (lambda: net.recall(), "cue"),
        (lambda: HopfieldNetwork.from_weights([[1.0, 0.0], [0.0, 0.0]]), "weights"),
        (lambda: HopfieldNetwork.from_weights([[0.0, 1.0]]), "weights"),
        (lambda: HopfieldNetwork.from_patterns([[1, -1]], rule="modern").recall([1, -1], mode="async"), "mode"),
        (lambda: HopfieldNetwork.from_weights([[0, 1], [1, 0]]).store([[1, 1]]), "rule"),
    ]
    for build, field in cases:
        with pytest.raises(HopfieldError) as err:
            build()
        assert err.value.field == field, (field, err.value)
    monkeypatch.setattr(hopfield, "MAX_CLASSICAL_PATTERNS", 25)
    with pytest.raises(HopfieldError, match="25"):
        net.store(random_patterns(6, 100, seed=24))
    assert net.num_patterns == 20
    for name, value in [("max_sweeps", 0), ("temperature", -1.0), ("mode", "parallel"), ("corruption", 1.5)]:
        with pytest.raises(ValueError, match=f"'{name}' parameter"):
            net.recall(pattern_index=0, **{name: value})


@pytest.mark.parametrize("rule", ["hebbian", "storkey"])
def test_batches_split_by_offset_equal_the_whole_and_each_lone_recall(rule):
    """Cue k of a batch owns seed cue_seeds(seed, k): slices with their offset reproduce the whole batch,
    and recall(..., seed=result.seed) reproduces each item, for given cues and for corrupted stored patterns."""
    patterns = random_patterns(12, 120, seed=31)  # alpha = 0.1: factored Hebbian fields (2P < N)
    net = HopfieldNetwork.from_patterns(patterns, rule=rule)
    indices = [3, 0, 7, 7, 11, 5]
    whole = net.recall_batch(pattern_indices=indices, corruption=0.2, temperature=0.3, max_sweeps=30, seed=9)
    parts = (net.recall_batch(pattern_indices=indices[:2], corruption=0.2, temperature=0.3, max_sweeps=30, seed=9)
             + net.recall_batch(pattern_indices=indices[2:], corruption=0.2, temperature=0.3, max_sweeps=30, seed=9,
                                offset=2))
    assert [r.seed for r in whole] == [r.seed for r in parts] == hopfield.cue_seeds(9, 0, 6).tolist()
    assert len(set(r.seed for r in whole)) == 6 and all(r.seed < 2**53 for r in whole)
    for a, b, index in zip(whole, parts, indices):
        assert np.array_equal(a.state, b.state) and np.array_equal(a.energy_trajectory, b.energy_trajectory)
        lone = net.recall(pattern_index=index, corruption=0.2, temperature=0.3, max_sweeps=30, seed=a.seed)
        assert np.array_equal(lone.state, a.state) and np.array_equal(lone.energy_trajectory, a.energy_trajectory)
    cues = random_patterns(5, 120, seed=32)
    batch = net.recall_batch(cues, mode="sync", seed=4)
    for cue, result in zip(cues, batch):
        lone = net.recall(cue, mode="sync", seed=result.seed)
        assert np.array_equal(lone.state, result.state) and lone.num_sweeps == result.num_sweeps
    with pytest.raises(HopfieldError) as err:
        net.recall_batch(pattern_indices=[0, 12])
    assert err.value.field == "pattern_indices[1]"
    with pytest.raises(HopfieldError) as err:
        net.recall_batch(cues, pattern_indices=[0])
    assert err.value.field == "cues"


def test_factored_and_dense_hebbian_fields_are_identical():
    """Hebbian fields from the patterns (2PN operations) equal those from the dense weights, exactly."""
    from neural import _hopfield_kernels as kernels

    net = HopfieldNetwork.from_patterns(random_patterns(10, 90, seed=33), rule="hebbian")
    h, weights_t, patterns, factored, *_ = net._dynamics_arrays()
    assert factored
    states = random_patterns(7, 90, seed=34)
    dense = kernels.batch_fields(states, weights_t, patterns, h, False)
    assert np.array_equal(dense, kernels.batch_fields(states, weights_t, patterns, h, True))
    assert np.array_equal(dense, h - states.astype(float) @ weights_t)  # integer counts: exact in any order
