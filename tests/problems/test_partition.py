from __future__ import annotations

import json
import math

import dimod
import numpy as np
import pytest
from naive import all_states, brute_force_ground, energies

from problems import NumberPartitioning, ProblemError
from problems.partition import karmarkar_karp


def naive_karmarkar_karp(numbers):
    """Largest differencing on a re-sorted list: the final difference only."""
    values = sorted(abs(value) for value in numbers)
    while len(values) > 1:
        largest, second = values.pop(), values.pop()
        values.append(largest - second)
        values.sort()
    return values[0]


def best_difference(numbers):
    spins = all_states(len(numbers))
    return min(abs(sum(int(s) * a for s, a in zip(row, numbers))) for row in spins)


def perfect_instance(rng, size):
    """Random numbers split in two halves, plus one number that evens the halves."""
    values = rng.integers(1, 60, size - 1).tolist()
    left = sum(values[::2])
    right = sum(values[1::2])
    return values + [abs(left - right)]


@pytest.mark.parametrize("seed", range(5))
def test_perfect_partitions_have_a_zero_ground_state(seed):
    rng = np.random.default_rng(seed)
    numbers = perfect_instance(rng, int(rng.integers(4, 13)))
    problem = NumberPartitioning(numbers)
    energy, ground = brute_force_ground(problem.to_bqm())
    answer = problem.decode(ground)
    assert energy == 0
    assert answer.difference == 0 and answer.objective == 0 and answer.energy == 0
    assert sum(answer.subsets[0]) == sum(answer.subsets[1])
    assert sorted(answer.subsets[0] + answer.subsets[1]) == sorted(numbers)


@pytest.mark.parametrize("seed", range(5))
def test_ground_state_difference_matches_brute_force_over_partitions(seed):
    rng = np.random.default_rng(10 + seed)
    numbers = rng.integers(-40, 100, int(rng.integers(3, 12))).tolist()
    problem = NumberPartitioning(numbers)
    bqm = problem.to_bqm()
    energy, ground = brute_force_ground(bqm)
    answer = problem.decode(ground)
    assert answer.difference == best_difference(numbers)
    assert energy == (answer.difference / problem.scale) ** 2
    assert answer.karmarkar_karp["difference"] >= answer.difference


def test_energy_is_the_squared_difference_for_every_state():
    numbers = [3, 1, 4, 1, 5, 9, 2, 6]
    problem = NumberPartitioning(numbers)
    bqm = problem.to_bqm()
    states = all_states(len(numbers))
    assert np.array_equal(energies(bqm, states), (states @ np.array(numbers)) ** 2)
    assert np.array_equal(bqm.energies((states, range(len(numbers)))), (states @ np.array(numbers)) ** 2)


def test_karmarkar_karp_known_example():
    problem = NumberPartitioning([8, 7, 6, 5, 4])
    kk = problem.karmarkar_karp
    assert kk["difference"] == 2
    assert abs(sum(kk["subsets"][0]) - sum(kk["subsets"][1])) == 2
    assert best_difference([8, 7, 6, 5, 4]) == 0
    answer = problem.decode(dimod.ExactSolver().sample(problem.to_bqm()))
    assert answer.difference == 0 and answer.karmarkar_karp["difference"] == 2
    json.dumps(answer.to_dict())


@pytest.mark.parametrize("seed", range(20))
def test_karmarkar_karp_matches_naive_differencing_and_its_subsets(seed):
    rng = np.random.default_rng(seed)
    numbers = rng.integers(-10**6, 10**6, int(rng.integers(1, 40))).tolist()
    indices = karmarkar_karp(numbers)
    assert sorted(indices[0] + indices[1]) == list(range(len(numbers)))
    signed = sum(numbers[k] for k in indices[1]) - sum(numbers[k] for k in indices[0])
    assert abs(signed) == naive_karmarkar_karp(numbers)


def test_large_integers_stay_exact():
    numbers = [10**18 + 1, 10**18]
    problem = NumberPartitioning(numbers)
    assert problem.karmarkar_karp["difference"] == 1
    assert problem.decode({0: 1, 1: -1}).difference == 1
    assert problem.decode({0: 1, 1: 1}).difference == 2 * 10**18 + 1
    with pytest.raises(ProblemError) as info:
        problem.to_bqm()
    assert info.value.field == "numbers" and "2^53" in info.value.message


def test_huge_numbers_are_refused_with_a_problem_error():
    with pytest.raises(ProblemError) as info:
        NumberPartitioning([10**200, 10**200 + 1]).to_bqm()
    assert info.value.field == "numbers"
    assert NumberPartitioning([10**200, 10**200 + 1]).karmarkar_karp["difference"] == 1
    # floats: every |a_i| and their sum at most 1e150 (MAX_MAGNITUDE), checked on construction
    for numbers, field in [([1.0, 1e200, 3e200], "numbers[1]"), ([1e308, 1e308], "numbers[0]"),
                           ([2, 1e300], "numbers[1]"), ([6e149, 6e149], "numbers"), ([1.5, 10**400], "numbers[1]")]:
        with pytest.raises(ProblemError) as info:
            NumberPartitioning(numbers)
        assert info.value.field == field, numbers


def test_large_and_subnormal_floats_compile_to_a_model_with_the_right_ground_state():
    # Floats are divided by a power of two just above max |a_i| (exact), so squaring neither
    # overflows (1e100**2 * n) nor underflows (5e-324**2 == 0 in float64).
    for unit in (1e100, 1e140, 5e-324, 1e-320):
        numbers = [3 * unit, 1 * unit, 1 * unit, 2 * unit, 3 * unit]  # best split: 3+2 | 3+1+1
        problem = NumberPartitioning(numbers)
        bqm = problem.to_bqm()
        linear, (_, _, quadratic), offset = bqm.to_numpy_vectors()
        assert np.isfinite(quadratic).all() and np.isfinite(offset) and (quadratic != 0).all()
        energy, ground = brute_force_ground(bqm)
        answer = problem.decode(ground)
        assert abs(energy) < 1e-12  # float64 rounding of the summed BQM terms, all below 1 after scaling
        assert answer.difference == 0 and answer.energy == 0  # the decoded answer is exact
        assert problem.decode({k: 1 for k in range(5)}).difference == pytest.approx(10 * unit, rel=1e-15)
        assert problem.karmarkar_karp["difference"] == naive_karmarkar_karp(numbers) == 0
    assert NumberPartitioning([5e-324, 5e-324]).decode({0: 1, 1: 1}).difference == 1e-323


def test_mixed_int_and_float_numbers_are_floats_with_exact_differences():
    problem = NumberPartitioning([3, 0.5, 2, 1.5, 1])
    assert not problem.exact and problem.numbers == [3.0, 0.5, 2.0, 1.5, 1.0]
    energy, ground = brute_force_ground(problem.to_bqm())
    assert energy == 0 and problem.decode(ground).difference == 0 == best_difference(problem.numbers)
    assert problem.decode({0: 1, 1: -1, 2: 1, 3: -1, 4: 1}).difference == 4.0


def test_large_integers_with_a_common_divisor_are_scaled_exactly():
    numbers = [3 * 10**12, 5 * 10**12, 2 * 10**12, 10**12 * 4]
    problem = NumberPartitioning(numbers)
    assert problem.scale == 10**12
    energy, ground = brute_force_ground(problem.to_bqm())
    answer = problem.decode(ground)
    assert energy == 0 and answer.difference == 0
    assert problem.decode({0: 1, 1: 1, 2: -1, 3: 1}).difference == 10 * 10**12


def test_the_exactness_bound_is_sum_squared_at_most_2_to_53():
    limit = math.isqrt(2**53)
    NumberPartitioning([limit - 1, 1]).to_bqm()
    with pytest.raises(ProblemError):
        NumberPartitioning([limit, 1]).to_bqm()


def test_floats_and_negative_numbers():
    numbers = [0.5, -1.25, 2.0, 0.75, -3.5]
    problem = NumberPartitioning(numbers)
    energy, ground = brute_force_ground(problem.to_bqm())
    answer = problem.decode(ground)
    assert answer.difference == pytest.approx(best_difference(numbers))
    assert problem.scale == 4.0  # the power of two just above max |a_i| = 3.5
    assert energy == pytest.approx((answer.difference / 4.0) ** 2)
    state = {0: 1, 1: -1, 2: 1, 3: 1, 4: -1}
    assert problem.decode(state).energy == pytest.approx(problem.to_bqm().energy(state))
    kk = problem.karmarkar_karp
    assert kk["difference"] == pytest.approx(naive_karmarkar_karp(numbers))
    assert abs(math.fsum(kk["subsets"][1]) - math.fsum(kk["subsets"][0])) == pytest.approx(kk["difference"])


def test_single_number_and_zeros():
    assert NumberPartitioning([7]).decode({0: -1}).difference == 7
    problem = NumberPartitioning([0, 0, 0])
    assert problem.scale == 1 and problem.to_bqm().energy({0: 1, 1: -1, 2: 1}) == 0


BAD_NUMBERS = [
    ([], "numbers"),
    ("123", "numbers"),
    (None, "numbers"),
    ({"a": 1}, "numbers"),
    ([1, float("nan")], "numbers[1]"),
    ([1, 2, float("-inf")], "numbers[2]"),
    ([True, 2], "numbers[0]"),
    ([1, "2"], "numbers[1]"),
    ([1, None], "numbers[1]"),
    ([1, 2j], "numbers[1]"),
    ([1.5, 10**400], "numbers[1]"),
]


@pytest.mark.parametrize(("numbers", "field"), BAD_NUMBERS)
def test_bad_numbers_name_the_field(numbers, field):
    with pytest.raises(ProblemError) as info:
        NumberPartitioning(numbers)
    assert info.value.field == field


def test_bad_sample_names_the_variable():
    with pytest.raises(ProblemError) as info:
        NumberPartitioning([1, 2, 3]).decode({0: 1, 1: 1})
    assert info.value.field == "sample[2]"


def test_too_many_numbers_for_the_dense_model_still_decode():
    from problems.partition import MAX_BQM_NUMBERS

    numbers = list(range(1, MAX_BQM_NUMBERS + 2))
    problem = NumberPartitioning(numbers)
    with pytest.raises(ProblemError) as info:
        problem.to_bqm()
    assert info.value.field == "numbers"
    assert problem.karmarkar_karp["difference"] == naive_karmarkar_karp(numbers)
    sample = {k: (1 if k % 2 else -1) for k in range(len(numbers))}
    assert problem.decode(sample).difference == abs(sum(a * sample[k] for k, a in enumerate(numbers)))
