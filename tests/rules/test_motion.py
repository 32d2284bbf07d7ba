"""Tally of a single motion: voting.rules.motion."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voting.rules import (
    CHOICE_LABELS,
    MAJORITY_OF_ENTITLED,
    NOT_VOTED_LABEL,
    TWO_THIRDS_OF_ENTITLED,
    Choice,
    Mark,
    Threshold,
    parse_choice,
    parse_mark,
    tally_motion,
)
from tests.rules import FAST, THOROUGH

F, A, B = Choice.FOR, Choice.AGAINST, Choice.ABSTAIN

thresholds = st.sampled_from(
    [
        MAJORITY_OF_ENTITLED,
        TWO_THIRDS_OF_ENTITLED,
        Threshold("present", "more_than", "1/2"),
        Threshold("cast", "more_than", "1/2"),
        Threshold("cast", "at_least", "2/3"),
        Threshold("present", "at_least", "3/5"),
    ]
)


@st.composite
def polls(draw, max_ballots=300):
    ballots = draw(st.lists(st.sampled_from([F, A, B, "for", "against", "abstain"]), max_size=max_ballots))
    signed_in = len(ballots) + draw(st.integers(0, 50))
    entitled = signed_in + draw(st.integers(0, 50))
    return ballots, signed_in, entitled


# --- plain cases -----------------------------------------------------------------------------


def test_301_of_600_passes_300_fails():
    r = tally_motion([F] * 301 + [A] * 200 + [B] * 50, signed_in=580, entitled=600)
    assert (r.for_, r.against, r.abstain, r.not_voted, r.cast) == (301, 200, 50, 29, 551)
    assert r.passed and r.required == 301
    assert r.rule == "以全体代表的过半数通过"
    r = tally_motion([F] * 300 + [A] * 10, signed_in=320, entitled=600)
    assert not r.passed and r.required == 301 and r.not_voted == 10


def test_majority_of_those_voting_is_not_enough():
    # 250 for, 50 against: a big majority of votes cast, but not of all 600 deputies
    r = tally_motion([F] * 250 + [A] * 50, signed_in=450, entitled=600)
    assert not r.passed


def test_constitutional_amendment():
    r = tally_motion([F] * 400 + [A] * 150, signed_in=590, entitled=600, threshold=TWO_THIRDS_OF_ENTITLED)
    assert r.passed and r.rule == "以全体代表的三分之二以上多数通过"
    r = tally_motion([F] * 399 + [A] * 151, signed_in=590, entitled=600, threshold=TWO_THIRDS_OF_ENTITLED)
    assert not r.passed and r.required == 400


def test_standing_committee_of_45():
    r = tally_motion([F] * 23, signed_in=30, entitled=45, members_word="组成人员")
    assert r.passed and r.required == 23 and r.rule == "以全体组成人员的过半数通过"
    assert not tally_motion([F] * 22, signed_in=30, entitled=45).passed


def test_not_voted_is_reported_not_counted():
    r = tally_motion([], signed_in=500, entitled=600)
    assert (r.for_, r.against, r.abstain, r.cast, r.not_voted) == (0, 0, 0, 0, 500)
    assert not r.passed


def test_nobody_signed_in():
    r = tally_motion([], signed_in=0, entitled=0)
    assert not r.passed and r.not_voted == 0


def test_accepts_choice_values():
    r = tally_motion(["for", "against", "abstain", F], signed_in=4, entitled=4)
    assert (r.for_, r.against, r.abstain) == (2, 1, 1)
    assert r.as_dict()["for"] == 2 and r.as_dict()["threshold"]["fraction"] == "1/2"


@pytest.mark.parametrize("bad", ["yes", "赞成", None, 1, True, ("for", "x"), "FOR"])
def test_unknown_choice_is_an_error(bad):
    with pytest.raises(ValueError):
        tally_motion([F, bad], signed_in=10, entitled=10)


def test_more_ballots_than_signed_in_is_an_error():
    with pytest.raises(ValueError):
        tally_motion([F] * 11, signed_in=10, entitled=20)


@pytest.mark.parametrize("signed_in,entitled", [(11, 10), (-1, 10), (5, -1), (5.0, 10), (5, None)])
def test_bad_counts(signed_in, entitled):
    with pytest.raises(ValueError):
        tally_motion([], signed_in=signed_in, entitled=entitled)


def test_choices_and_labels():
    assert [c.value for c in Choice] == ["for", "against", "abstain"]
    assert CHOICE_LABELS == {F: "赞成", A: "反对", B: "弃权"}
    assert F.label == "赞成" and NOT_VOTED_LABEL == "未按"
    assert parse_choice("against") is A
    with pytest.raises(ValueError):
        parse_choice("反对")


def test_marks():
    assert parse_mark(None) is None
    assert parse_mark("for") == Mark(F)
    assert parse_mark(("against", "  王五 ")) == Mark(A, "王五")
    assert parse_mark(("against", "   ")) == Mark(A)  # a blank write-in is no write-in
    assert parse_mark(Mark("abstain")) == Mark(B)
    for bad in ("x", 3, ("for",), ("for", "a", "b"), ("maybe", "a"), ("for", ["a"]), {"for": 1}):
        with pytest.raises(ValueError):
            parse_mark(bad)


# --- properties ------------------------------------------------------------------------------


@THOROUGH
@given(poll=polls(), t=thresholds)
def test_tally_adds_up(poll, t):
    ballots, signed_in, entitled = poll
    r = tally_motion(ballots, signed_in, entitled, t)
    assert r.for_ + r.against + r.abstain == r.cast == len(ballots)
    assert r.cast + r.not_voted == signed_in
    assert r.for_ == sum(1 for b in ballots if b == "for")
    assert r.passed == t.passes(r.for_, entitled, signed_in, r.cast)
    assert r.passed == (r.for_ >= r.required)
    assert r.rule == t.describe()


@FAST
@given(poll=polls(), t=thresholds, data=st.data())
def test_order_of_ballots_never_matters(poll, t, data):
    ballots, signed_in, entitled = poll
    shuffled = data.draw(st.permutations(ballots))
    assert tally_motion(shuffled, signed_in, entitled, t) == tally_motion(ballots, signed_in, entitled, t)


@FAST
@given(poll=polls(), t=thresholds, data=st.data())
def test_turning_a_vote_into_for_never_fails_a_pass(poll, t, data):
    ballots, signed_in, entitled = poll
    before = tally_motion(ballots, signed_in, entitled, t)
    others = [i for i, b in enumerate(ballots) if b != "for"]
    if others and data.draw(st.booleans()):
        i = data.draw(st.sampled_from(others))  # an against or abstain becomes for
        changed = ballots[:i] + [F] + ballots[i + 1 :]
    elif len(ballots) < signed_in:
        changed = ballots + [F]  # a member who had not voted votes for
    else:
        return
    after = tally_motion(changed, signed_in, entitled, t)
    # for base "cast" too: (f + 1) / (c + 1) >= f / c whenever f <= c
    if before.passed:
        assert after.passed
    assert after.for_ == before.for_ + 1


@FAST
@given(poll=polls(max_ballots=120))
def test_exact_two_thirds_of_cast_passes_at_least(poll):
    ballots, signed_in, entitled = poll
    t = Threshold("cast", "at_least", Fraction(2, 3))
    r = tally_motion(ballots, signed_in, entitled, t)
    assert r.passed == (r.for_ > 0 and 3 * r.for_ >= 2 * r.cast)
