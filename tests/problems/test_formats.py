"""Parsers on arbitrary and truncated text: a ProblemError or a valid problem, never another exception."""

from __future__ import annotations

import dimod
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from problems import MaxCut, ProblemError, RawModel

VALID_GSET = "5 6 J\n1 2 1\n1 3 -1\n2 4 2\n3 4 1\n4 5 -3\n2 5 1.5\n"
VALID_BEASLEY = "4 5\n1 1 -3\n1 2 4\n2 3 -1\n3 3 2\n3 4 7\n"
VALID_COO = "# vartype=SPIN\n0 0 -1\n0 1 2.5\n1 2 -1\n2 2 0.5\n"

# Text built from the characters these formats use, so that many draws get deep into a parser.
format_like_text = st.text(alphabet=" \n\t0123456789-+.eEnaifJ#=vartypeSPIN", max_size=80)
any_text = st.text(max_size=60)


def parse_all(text):
    results = []
    for parse in (
        MaxCut.from_gset,
        RawModel.from_beasley,
        lambda t: RawModel.from_coo(t, vartype="SPIN"),
    ):
        try:
            results.append(parse(text + "\n"))
        except ProblemError:
            continue
    return results


@settings(max_examples=200, deadline=None, database=None)
@given(st.one_of(format_like_text, any_text))
def test_arbitrary_text_raises_only_problem_errors(text):
    for problem in parse_all(text):
        bqm = problem.to_bqm()
        assert bqm.num_variables > 0
        linear, (_, _, quadratic), _ = bqm.to_numpy_vectors()
        assert np.isfinite(linear).all() and np.isfinite(quadratic).all()


@settings(max_examples=200, deadline=None, database=None)
@given(st.integers(0, len(VALID_GSET)), st.integers(0, len(VALID_BEASLEY)), st.integers(0, len(VALID_COO)))
def test_truncated_files_raise_only_problem_errors(cut_gset, cut_beasley, cut_coo):
    for parse, text in (
        (MaxCut.from_gset, VALID_GSET[:cut_gset] + "\n"),
        (RawModel.from_beasley, VALID_BEASLEY[:cut_beasley] + "\n"),
        (lambda t: RawModel.from_coo(t, vartype="SPIN"), VALID_COO[:cut_coo]),
    ):
        try:
            problem = parse(text)
        except ProblemError:
            continue
        assert isinstance(problem.to_bqm(), dimod.BinaryQuadraticModel)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, database=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "linear": st.dictionaries(st.text(max_size=3), json_values, max_size=4) | json_values,
            "quadratic": st.lists(st.lists(json_values, max_size=4), max_size=4) | json_values,
            "offset": json_values,
            "vartype": st.sampled_from(["SPIN", "BINARY", "qubo", "x"]) | json_values,
        },
    )
)
def test_arbitrary_dicts_raise_only_problem_errors(data):
    try:
        model = RawModel.from_dict(data, vartype=None)
    except ProblemError:
        return
    assert model.to_bqm().num_variables > 0


@settings(max_examples=150, deadline=None, database=None)
@given(json_values)
def test_arbitrary_serializations_raise_only_problem_errors(obj):
    try:
        RawModel.from_serializable(obj)
    except ProblemError:
        pass


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(st.lists(json_values, max_size=4) | json_values, max_size=6))
def test_arbitrary_edge_lists_raise_only_problem_errors(edges):
    try:
        problem = MaxCut(edges)
    except ProblemError:
        return
    assert problem.to_bqm().num_interactions == problem.num_edges
