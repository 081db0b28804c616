from __future__ import annotations

import csv
import json

import dimod
import numpy as np
import pytest
from dimod.serialization import coo
from naive import all_states, brute_force_ground

from problems import IsingProblem, ModelAnswer, ProblemError, QuboProblem, RawModel

# Best states for the Beasley instances, found with dwave-samplers' simulated
# annealing (200 reads x 4000 sweeps, seed 1) on the x^T Q x reading of the files.
BEASLEY_STATES = {
    "bqp50-1": "01100110000100100001111000111100111011000001111011",
    "bqp50-2": "10011101100111001101011010100011110101011110010111",
}


def random_reference(rng, vartype, labels):
    linear = {v: float(rng.normal()) for v in labels}
    quadratic = {}
    for k, u in enumerate(labels):
        for v in labels[k + 1 :]:
            if rng.random() < 0.5:
                quadratic[u, v] = float(rng.integers(-5, 6))
    return dimod.BinaryQuadraticModel(linear, quadratic, float(rng.normal()), vartype)


def random_states(rng, bqm, count=20):
    values = np.array(sorted(bqm.vartype.value), dtype=np.int8)
    return rng.choice(values, size=(count, bqm.num_variables))


def assert_same_energies(model, reference, rng):
    states = random_states(rng, reference)
    variables = list(reference.variables)
    ours = model.to_bqm().energies((states, variables))
    assert np.allclose(ours, reference.energies((states, variables)), rtol=0, atol=1e-9)
    for row in states[:3]:
        sample = dict(zip(variables, row.tolist()))
        answer = model.decode(sample)
        assert answer.energy == pytest.approx(reference.energy(sample), abs=1e-9)
        assert answer.objective == answer.energy and answer.sample == sample


@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
def test_wire_dict_with_triples(vartype):
    rng = np.random.default_rng(1)
    reference = random_reference(rng, vartype, [0, 1, 2, "a", "b"])
    data = {
        "linear": {str(v): bias for v, bias in reference.linear.items()},
        "quadratic": [[u, v, bias] for (u, v), bias in reference.quadratic.items()],
        "offset": reference.offset,
    }
    model = RawModel.from_dict(json.loads(json.dumps(data)), vartype=vartype)
    assert model.kind == ("qubo" if vartype == "BINARY" else "ising")
    assert model.to_bqm() == reference
    assert_same_energies(model, reference, rng)


def test_dict_with_pair_keys_and_vartype_inside():
    rng = np.random.default_rng(2)
    reference = random_reference(rng, "SPIN", [0, 1, 2, 3])
    as_strings = {
        "linear": {str(v): b for v, b in reference.linear.items()},
        "quadratic": {f"{u},{v}": b for (u, v), b in reference.quadratic.items()},
        "offset": reference.offset,
        "vartype": "SPIN",
    }
    as_tuples = {"linear": dict(reference.linear), "quadratic": dict(reference.quadratic),
                 "offset": reference.offset}
    assert RawModel.from_dict(as_strings).to_bqm() == reference
    model = IsingProblem.from_dict(as_tuples)
    assert isinstance(model, IsingProblem) and model.to_bqm() == reference
    assert_same_energies(model, reference, rng)


def test_duplicate_interactions_are_summed():
    model = QuboProblem.from_dict({"quadratic": [[0, 1, 2], [1, 0, 3], [0, 1, -1]], "linear": {"0": 1}})
    assert model.to_bqm().quadratic[0, 1] == 4
    assert model.decode({0: 1, 1: 1}).energy == 5


@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
def test_dimod_json_round_trip(vartype):
    rng = np.random.default_rng(3)
    reference = random_reference(rng, vartype, ["x", "y", 7, (1, 2)])
    for serialized in (reference.to_serializable(), json.dumps(reference.to_serializable())):
        model = RawModel.from_serializable(serialized)
        assert model.to_bqm() == reference and model.vartype is reference.vartype
        assert_same_energies(model, reference, rng)


@pytest.mark.parametrize("vartype", ["BINARY", "SPIN"])
def test_coo_text_matches_dimods_reader(vartype):
    rng = np.random.default_rng(4)
    reference = random_reference(rng, vartype, list(range(8)))
    text = coo.dumps(reference, vartype_header=True)
    model = RawModel.from_coo(text)
    expected = coo.loads(text)
    assert model.to_bqm() == expected
    assert_same_energies(model, expected, rng)
    assert RawModel.from_coo("0 1 1.5\n1 1 -2\n0 1 0.5\n", vartype=vartype).to_bqm() == coo.loads(
        "0 1 1.5\n1 1 -2\n0 1 0.5\n", vartype=vartype
    )


def beasley_matrix(text):
    """Dense symmetric Q read plainly: each listed (i, j) entry is Q[i,j] and Q[j,i]."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    n = int(lines[0][0])
    q = np.zeros((n, n))
    for i, j, value in lines[1:]:
        q[int(i) - 1, int(j) - 1] = q[int(j) - 1, int(i) - 1] = float(value)
    return q


def test_beasley_energy_is_x_transpose_q_x_on_a_sub_instance(data_dir):
    full = (data_dir / "bqp" / "bqp50-1.sparse").read_text().splitlines()
    kept = [line for line in full[1:] if line.strip() and max(map(int, line.split()[:2])) <= 12]
    text = f"12 {len(kept)}\n" + "\n".join(kept) + "\n"
    model = RawModel.from_beasley(text)
    assert isinstance(model, QuboProblem)
    q = beasley_matrix(text)
    states = all_states(12, "BINARY")
    plain = np.einsum("si,ij,sj->s", states, q, states)
    assert np.array_equal(model.to_bqm().energies((states, range(1, 13))), plain)
    energy, ground = brute_force_ground(model.to_bqm())
    assert energy == plain.min()
    assert model.decode(ground).energy == energy


@pytest.mark.parametrize("name", sorted(BEASLEY_STATES))
def test_beasley_convention_reproduces_published_optimum(name, data_dir):
    with open(data_dir / "manifest.csv") as handle:
        best_known = {row["instance"]: float(row["best_known"]) for row in csv.DictReader(handle)}
    text = (data_dir / "bqp" / f"{name}.sparse").read_text()
    model = RawModel.from_beasley(data_dir / "bqp" / f"{name}.sparse")
    x = np.array([int(bit) for bit in BEASLEY_STATES[name]])
    sample = dict(zip(range(1, len(x) + 1), x.tolist()))
    answer = model.decode(sample)
    assert answer.energy == best_known[name] == x @ beasley_matrix(text) @ x
    # No single flip improves it, and counting off-diagonal entries once would not give the optimum.
    q = beasley_matrix(text)
    for k in range(len(x)):
        flipped = x.copy()
        flipped[k] ^= 1
        assert flipped @ q @ flipped >= answer.energy
    halved = q / 2 + np.diag(np.diag(q)) / 2
    assert x @ halved @ x != best_known[name]


def test_beasley_labels_keep_every_variable():
    model = RawModel.from_beasley("4 1\n1 2 -1\n")
    assert model.variables == [1, 2, 3, 4]
    assert model.decode({1: 1, 2: 1, 3: 0, 4: 1}).energy == -2


def test_decode_sampleset_and_answer_type():
    model = IsingProblem.from_dict({"linear": {"a": 1.0, "b": -0.5}, "quadratic": [["a", "b", -2.0]]})
    sampleset = dimod.ExactSolver().sample(model.to_bqm())
    answer = model.decode(sampleset)
    assert isinstance(answer, ModelAnswer)
    assert answer.energy == sampleset.first.energy == -2.5
    assert answer.sample == {"a": -1, "b": -1}
    json.dumps(answer.to_dict())


BAD_DICTS = [
    ({"linear": {"a": float("nan")}}, "linear['a']"),
    ({"linear": {"a": 1, "b": True}}, "linear['b']"),
    ({"linear": {"a": "1"}}, "linear['a']"),
    ({"linear": {"a": 1}, "quadratic": [["a", "b", 1], ["a", "a", 1]]}, "quadratic[1]"),
    ({"linear": {"a": 1}, "quadratic": [["a", "b", float("inf")]]}, "quadratic[0]"),
    ({"linear": {"a": 1}, "quadratic": [["a", "b"]]}, "quadratic[0]"),
    ({"linear": {"a": 1}, "quadratic": [["a", 1.5, 1]]}, "quadratic[0]"),
    ({"linear": {"a": 1}, "quadratic": {"a,b,c": 1}}, "quadratic['a,b,c']"),
    ({"linear": {"a": 1}, "quadratic": {"a,a": 1}}, "quadratic['a,a']"),
    ({"linear": {"a": 1}, "quadratic": "a b 1"}, "quadratic"),
    ({"linear": [["a", 1]]}, "linear"),
    ({"linear": {"1": 1, 1: 2}}, "linear[1]"),
    ({"linear": {"a": 1}, "offset": float("nan")}, "offset"),
    ({"linear": {"a": 1}, "offset": 1e300}, "offset"),
    ({"linear": {"a": 1e151}}, "linear['a']"),
    ({"linear": {"a": 1e150}, "quadratic": [["a", "b", 1e150]]}, "model"),
    ({"linear": {"a": 1}, "quadratic": [["a", "b", 1e200], ["b", "a", -1e200]]}, "quadratic[0]"),
    ({"linear": {"a": 1}, "offset": None}, "offset"),
    ({"linear": {}, "quadratic": []}, "linear"),
    ({}, "linear"),
    ({"linear": {"a": 1}, "extra": 1}, "extra"),
    ({"linear": {"a": 1}, "vartype": "INTEGER"}, "vartype"),
    ([1, 2], "model"),
]


@pytest.mark.parametrize(("data", "field"), BAD_DICTS)
def test_bad_dicts_name_the_field(data, field):
    with pytest.raises(ProblemError) as info:
        RawModel.from_dict(data, vartype="SPIN")
    assert info.value.field == field


def test_vartype_is_required_and_must_agree():
    for call in (
        lambda: RawModel.from_dict({"linear": {"a": 1}}),
        lambda: QuboProblem.from_dict({"linear": {"a": 1}, "vartype": "SPIN"}),
        lambda: RawModel.from_dict({"linear": {"a": 1}, "vartype": "SPIN"}, vartype="BINARY"),
        lambda: RawModel.from_coo("0 1 1\n"),
        lambda: RawModel.from_coo("# vartype=SPIN\n0 1 1\n", vartype="BINARY"),
        lambda: IsingProblem.from_beasley("2 1\n1 2 1\n"),
        lambda: QuboProblem(dimod.BinaryQuadraticModel({"a": 1}, {}, 0, "SPIN")),
    ):
        with pytest.raises(ProblemError) as info:
            call()
        assert info.value.field == "vartype"


def test_bad_serializations_and_bqms():
    nan_bqm = dimod.BinaryQuadraticModel({"a": 1.0, "b": 0.0}, {("a", "b"): float("nan")}, 0.0, "SPIN")
    cases = [
        ("not json", "model"),
        ({"type": "BinaryQuadraticModel"}, "model"),
        ({"foo": 1}, "model"),
        (dimod.BinaryQuadraticModel({"a": float("inf")}, {}, 0, "BINARY").to_serializable(), "linear['a']"),
        (nan_bqm.to_serializable(), "quadratic[('b', 'a')]"),
        (dimod.BinaryQuadraticModel("SPIN").to_serializable(), "linear"),
    ]
    for obj, field in cases:
        with pytest.raises(ProblemError) as info:
            RawModel.from_serializable(obj)
        assert info.value.field == field, obj


BAD_COO = [
    ("", "coo"),
    ("# only a comment\n", "coo"),
    ("0 1\n", "line 1"),
    ("0 1 1\nx 1 1\n", "line 2"),
    ("0 1 1\n-1 1 1\n", "line 2"),
    ("0 1 1\n0 2 nan\n", "line 2"),
    ("0 1 1\n0 2 1 4\n", "line 2"),
]


@pytest.mark.parametrize(("text", "field"), BAD_COO)
def test_bad_coo_names_the_line(text, field):
    with pytest.raises(ProblemError) as info:
        RawModel.from_coo(text, vartype="BINARY")
    assert info.value.field == field


BAD_BEASLEY = [
    ("3 2\n1 2 1\n2 1 4\n", "line 3"),
    ("3 2\n1 1 1\n1 1 4\n", "line 3"),
    ("3 2\n1 2 1\n1 4 4\n", "line 3"),
    ("3 3\n1 2 1\n1 3 4\n", "header"),
]


@pytest.mark.parametrize(("text", "field"), BAD_BEASLEY)
def test_bad_beasley_names_the_line(text, field):
    with pytest.raises(ProblemError) as info:
        RawModel.from_beasley(text)
    assert info.value.field == field


def test_bad_samples_name_the_variable():
    model = QuboProblem.from_dict({"linear": {"a": 1, "b": 2}})
    for sample, field in [({"a": 1}, "sample['b']"), ({"a": 1, "b": -1}, "sample['b']"), (None, "sample")]:
        with pytest.raises(ProblemError) as info:
            model.decode(sample)
        assert info.value.field == field


def test_only_canonical_integer_strings_become_int_labels():
    model = IsingProblem.from_dict({"linear": {"0": 1, "-3": 1, "07": 1, "-0": 1, "x1": 1}})
    assert model.variables == [0, -3, "07", "-0", "x1"]
