"""Pass thresholds: voting.rules.threshold."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voting.rules import MAJORITY_OF_ENTITLED, TWO_THIRDS_OF_ENTITLED, Base, Comparison, Threshold
from voting.rules.threshold import check_counts, zh_fraction, zh_number
from tests.rules import FAST, THOROUGH

FRACTIONS = [(1, 2), (2, 3), (1, 3), (3, 5), (3, 4), (4, 5), (1, 1), (7, 10), (1, 100)]
THRESHOLDS = [
    Threshold(base, comparison, Fraction(p, q))
    for base in Base
    for comparison in Comparison
    for p, q in FRACTIONS
    if not (comparison is Comparison.MORE_THAN and p == q)
]


def reference_passes(t, votes_for, entitled, present, cast):
    """Integer cross-multiplication; written without Fraction."""
    base = {"entitled": entitled, "present": present, "cast": cast}[str(t.base)]
    p, q = t.fraction.numerator, t.fraction.denominator
    if votes_for == 0:
        return False
    if str(t.comparison) == "more_than":
        return votes_for * q > p * base
    return votes_for * q >= p * base


def tid(t):
    return f"{t.base}-{t.comparison}-{t.fraction}"


# --- the legal edges -------------------------------------------------------------------------


def test_more_than_half_of_600():
    assert MAJORITY_OF_ENTITLED.passes(301, 600, 600, 600)
    assert not MAJORITY_OF_ENTITLED.passes(300, 600, 600, 600)
    assert MAJORITY_OF_ENTITLED.required(600, 600, 600) == 301


def test_majority_counts_against_all_entitled_not_present_or_cast():
    # 301 for out of 400 present is not enough if 600 are entitled …
    assert MAJORITY_OF_ENTITLED.passes(301, 600, 400, 350)
    assert not MAJORITY_OF_ENTITLED.passes(300, 600, 400, 300)  # … even if everyone voting is for
    assert MAJORITY_OF_ENTITLED.required(600, 400, 300) == 301


def test_two_thirds_of_600():
    assert TWO_THIRDS_OF_ENTITLED.passes(400, 600, 600, 600)
    assert not TWO_THIRDS_OF_ENTITLED.passes(399, 600, 600, 600)
    assert TWO_THIRDS_OF_ENTITLED.required(600, 600, 600) == 400


def test_two_thirds_of_npc_size():
    # 2,980 deputies: two-thirds is 1986.67, so 1987 are needed
    assert TWO_THIRDS_OF_ENTITLED.required(2980, 2900, 2900) == 1987
    assert not TWO_THIRDS_OF_ENTITLED.passes(1986, 2980, 2900, 2900)


def test_more_than_half_of_45_needs_23():
    assert MAJORITY_OF_ENTITLED.required(45, 45, 45) == 23
    assert MAJORITY_OF_ENTITLED.passes(23, 45, 40, 40)
    assert not MAJORITY_OF_ENTITLED.passes(22, 45, 45, 45)


def test_zero_for_votes_never_pass():
    for t in THRESHOLDS:
        assert not t.passes(0, 0, 0, 0)
        assert not t.passes(0, 10, 10, 10)
        assert t.required(0, 0, 0) == 1


def test_named_defaults_are_data():
    assert MAJORITY_OF_ENTITLED == Threshold("entitled", "more_than", Fraction(1, 2))
    assert TWO_THIRDS_OF_ENTITLED == Threshold("entitled", "at_least", "2/3")
    assert MAJORITY_OF_ENTITLED.to_dict() == {
        "base": "entitled",
        "comparison": "more_than",
        "fraction": "1/2",
    }


# --- exhaustive against the reference --------------------------------------------------------


@pytest.mark.parametrize("t", THRESHOLDS, ids=tid)
def test_exhaustive_against_reference(t):
    # every base count 0..200 and every for-count up to it, with the base's count being the
    # only one that varies in the inequality; the other counts set consistently
    for n in range(0, 201):
        entitled, present, cast = {"entitled": (n, n, n), "present": (n + 7, n, n), "cast": (n + 7, n + 3, n)}[
            str(t.base)
        ]
        required = t.required(entitled, present, cast)
        for votes in range(0, cast + 1):
            got = t.passes(votes, entitled, present, cast)
            assert got == reference_passes(t, votes, entitled, present, cast), (n, votes)
            assert got == (votes >= required), (n, votes)


@pytest.mark.parametrize("t", [MAJORITY_OF_ENTITLED, TWO_THIRDS_OF_ENTITLED], ids=tid)
def test_exhaustive_entitled_base_ignores_present_and_cast(t):
    for entitled in range(0, 61):
        for present in range(0, entitled + 1, 3):
            for cast in range(0, present + 1, 2):
                assert t.required(entitled, present, cast) == t.required(entitled, entitled, entitled)
                for votes in range(0, cast + 1):
                    assert t.passes(votes, entitled, present, cast) == reference_passes(
                        t, votes, entitled, present, cast
                    )


counts = st.integers(0, 10**6).flatmap(
    lambda e: st.integers(0, e).flatmap(
        lambda p: st.integers(0, p).flatmap(
            lambda c: st.tuples(st.integers(0, c), st.just(e), st.just(p), st.just(c))
        )
    )
)


@THOROUGH
@given(t=st.sampled_from(THRESHOLDS), c=counts)
def test_against_reference_large(t, c):
    votes, entitled, present, cast = c
    got = t.passes(votes, entitled, present, cast)
    assert got == reference_passes(t, votes, entitled, present, cast)
    assert got == (votes >= t.required(entitled, present, cast))


@FAST
@given(t=st.sampled_from(THRESHOLDS), c=counts)
def test_one_more_for_vote_never_fails_a_pass(t, c):
    votes, entitled, present, cast = c
    if votes < cast and t.passes(votes, entitled, present, cast):
        assert t.passes(votes + 1, entitled, present, cast)


@FAST
@given(
    base=st.sampled_from(list(Base)),
    f=st.fractions(min_value=Fraction(1, 1000), max_value=1, max_denominator=1000),
    c=counts,
)
def test_at_least_is_weaker_than_more_than(base, f, c):
    votes, entitled, present, cast = c
    at_least = Threshold(base, "at_least", f)
    if f < 1:
        more_than = Threshold(base, "more_than", f)
        if more_than.passes(votes, entitled, present, cast):
            assert at_least.passes(votes, entitled, present, cast)
        assert more_than.required(entitled, present, cast) >= at_least.required(entitled, present, cast)


@FAST
@given(
    base=st.sampled_from(list(Base)),
    comparison=st.sampled_from(list(Comparison)),
    f=st.fractions(min_value=Fraction(1, 1000), max_value=1, max_denominator=1000),
    g=st.fractions(min_value=Fraction(1, 1000), max_value=1, max_denominator=1000),
    c=counts,
)
def test_a_larger_fraction_is_never_easier(base, comparison, f, g, c):
    lo, hi = sorted((f, g))
    if comparison == "more_than" and hi == 1:
        return
    votes, entitled, present, cast = c
    if Threshold(base, comparison, hi).passes(votes, entitled, present, cast):
        assert Threshold(base, comparison, lo).passes(votes, entitled, present, cast)


@FAST
@given(
    base=st.sampled_from(list(Base)),
    comparison=st.sampled_from(list(Comparison)),
    f=st.fractions(min_value=Fraction(1, 10**6), max_value=1, max_denominator=10**6),
)
def test_round_trip_through_data(base, comparison, f):
    if comparison == "more_than" and f == 1:
        with pytest.raises(ValueError):
            Threshold(base, comparison, f)
        return
    t = Threshold(base, comparison, f)
    assert Threshold.from_dict(t.to_dict()) == t
    assert Threshold(str(base), str(comparison), f"{f.numerator}/{f.denominator}") == t


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base,comparison,fraction",
    [
        ("entitled", "more_than", Fraction(0)),
        ("entitled", "at_least", Fraction(-1, 3)),
        ("entitled", "at_least", Fraction(4, 3)),
        ("entitled", "at_least", 0.5),
        ("entitled", "at_least", True),
        ("entitled", "at_least", None),
        ("entitled", "at_least", "half"),
        ("entitled", "at_least", "1/0"),
        ("entitled", "more_than", Fraction(1)),
        ("entitled", "more_than", 1),
        ("everyone", "more_than", Fraction(1, 2)),
        ("entitled", "about", Fraction(1, 2)),
        (None, "at_least", Fraction(1, 2)),
    ],
)
def test_bad_thresholds(base, comparison, fraction):
    with pytest.raises(ValueError):
        Threshold(base, comparison, fraction)


@pytest.mark.parametrize(
    "votes,entitled,present,cast",
    [
        (-1, 10, 10, 10),
        (1, -10, 0, 0),
        (1, 10, -1, 0),
        (0, 10, 10, -1),
        (1, 10, 11, 5),  # present > entitled
        (1, 10, 5, 6),  # cast > present
        (7, 10, 10, 6),  # for > cast
        (1.0, 10, 10, 10),
        (1, 10.0, 10, 10),
        (1, 10, 10, True),
        (None, 10, 10, 10),
        ("1", 10, 10, 10),
    ],
)
def test_bad_counts(votes, entitled, present, cast):
    with pytest.raises(ValueError):
        MAJORITY_OF_ENTITLED.passes(votes, entitled, present, cast)


@pytest.mark.parametrize(
    "entitled,present,cast", [(10, 11, 5), (10, 5, 6), (-1, 0, 0), (5, 5, 2.0)]
)
def test_required_validates_counts(entitled, present, cast):
    with pytest.raises(ValueError):
        MAJORITY_OF_ENTITLED.required(entitled, present, cast)
    with pytest.raises(ValueError):
        check_counts(entitled, present, cast)


def test_threshold_is_immutable():
    with pytest.raises(AttributeError):
        MAJORITY_OF_ENTITLED.fraction = Fraction(1, 3)


def test_no_floats_anywhere():
    t = Threshold("entitled", "at_least", "2/3")
    assert isinstance(t.fraction, Fraction)
    assert isinstance(t.required(3000, 3000, 3000), int)
    # 2/3 as a float is 0.6666…; 2/3 x 3 is exactly 2, and 2 of 3 must pass
    assert t.passes(2, 3, 3, 3)
    assert t.passes(2000, 3000, 3000, 3000)
    assert not t.passes(1999, 3000, 3000, 3000)


# --- wording ---------------------------------------------------------------------------------


def test_descriptions():
    assert MAJORITY_OF_ENTITLED.describe() == "以全体代表的过半数通过"
    assert MAJORITY_OF_ENTITLED.describe("组成人员") == "以全体组成人员的过半数通过"
    assert TWO_THIRDS_OF_ENTITLED.describe() == "以全体代表的三分之二以上多数通过"
    assert Threshold("present", "more_than", "1/2").describe() == "以出席会议的代表的过半数通过"
    assert Threshold("cast", "more_than", "1/2").describe() == "以参加表决的代表的过半数通过"
    assert Threshold("entitled", "at_least", "3/4").describe() == "以全体代表的四分之三以上多数通过"
    assert Threshold("entitled", "more_than", "3/5").describe() == "以全体代表的超过五分之三的多数通过"
    assert Threshold("entitled", "at_least", "1/3").describe() == "以全体代表的三分之一以上通过"
    assert Threshold("entitled", "at_least", "1/2").describe() == "以全体代表的半数以上通过"
    assert MAJORITY_OF_ENTITLED.describe_en() == "passed by more than half of all deputies"
    assert TWO_THIRDS_OF_ENTITLED.describe_en("members") == "passed by at least 2/3 of all members"


@pytest.mark.parametrize("t", THRESHOLDS, ids=tid)
def test_every_threshold_has_a_description(t):
    text = t.describe("代表")
    assert text.startswith("以") and text.endswith("通过") and "代表" in text
    assert t.describe_en()


def test_zh_numerals():
    assert zh_number(2985) == "二千九百八十五"
    assert zh_number(10) == "十"
    assert zh_number(100000) == "十万"
    assert zh_fraction(Fraction(2, 3)) == "三分之二"
    with pytest.raises(ValueError):
        zh_number(-1)
