"""Appointments voted person by person (逐人表决): voting.rules.appointment."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voting.rules import (
    MAJORITY_OF_ENTITLED,
    TWO_THIRDS_OF_ENTITLED,
    Choice,
    InvalidReason,
    Mark,
    Threshold,
    check_appointment_ballot,
    tally_appointment,
)
from tests.rules import FAST, THOROUGH

F, A, B = Choice.FOR, Choice.AGAINST, Choice.ABSTAIN
NOMINEES = ("张三", "李四", "王五")

# The universe the generated ballots draw from, with what each value means (None: blank).
VALID_VALUES = {
    F: "for",
    A: "against",
    B: "abstain",
    "for": "for",
    "against": "against",
    "abstain": "abstain",
    None: None,
    Mark(F): "for",
    ("against", ""): "against",  # a blank write-in line is no write-in
}
INVALID_VALUES = ["赞成", "yes", 1, ("against", "赵六"), Mark(A, "赵六"), ("abstain", "钱七"), ("for",)]

thresholds = st.sampled_from(
    [
        MAJORITY_OF_ENTITLED,
        TWO_THIRDS_OF_ENTITLED,
        Threshold("present", "more_than", "1/2"),
        Threshold("cast", "more_than", "1/2"),
    ]
)

valid_ballots = st.dictionaries(st.sampled_from(NOMINEES), st.sampled_from(list(VALID_VALUES)))
any_ballots = st.one_of(
    valid_ballots,
    valid_ballots,
    st.dictionaries(
        st.sampled_from(NOMINEES + ("赵六",)),
        st.sampled_from(list(VALID_VALUES) + INVALID_VALUES),
    ),
    st.sampled_from([["for", "for"], "for", None, 3, (("张三", "for"),)]),
)


def reference_valid(ballot):
    if type(ballot) is not dict:
        return False
    return all(k in NOMINEES for k in ballot) and all(
        any(v == x and type(v) is type(x) for x in VALID_VALUES) for v in ballot.values()
    )


def reference_counts(ballots):
    counts = {n: {"for": 0, "against": 0, "abstain": 0} for n in NOMINEES}
    for ballot in ballots:
        if not reference_valid(ballot):
            continue
        for n, v in ballot.items():
            meaning = next(m for x, m in VALID_VALUES.items() if v == x and type(v) is type(x))
            if meaning:
                counts[n][meaning] += 1
    return counts


@st.composite
def polls(draw, ballots=any_ballots, max_size=120):
    bs = draw(st.lists(ballots, max_size=max_size))
    signed_in = len(bs) + draw(st.integers(0, 30))
    entitled = signed_in + draw(st.integers(0, 30))
    return bs, signed_in, entitled


# --- plain cases -----------------------------------------------------------------------------


def test_each_nominee_passes_on_their_own():
    ballots = (
        [{"张三": F, "李四": F, "王五": A}] * 23
        + [{"张三": F, "李四": A, "王五": F}] * 10
        + [{"张三": B, "李四": A}] * 5
    )
    r = tally_appointment(ballots, NOMINEES, signed_in=40, entitled=45, members_word="组成人员")
    z, l, w = r.nominees
    assert (z.for_, z.against, z.abstain, z.not_voted) == (33, 0, 5, 2)
    assert (l.for_, l.against, l.abstain, l.not_voted) == (23, 15, 0, 2)
    assert (w.for_, w.against, w.abstain, w.not_voted) == (10, 23, 0, 7)  # blank on 5 ballots
    assert z.passed and l.passed and not w.passed
    assert l.required == 23  # more than half of 45
    assert r.passed == ("张三", "李四")
    assert r.rule == "以全体组成人员的过半数通过"
    assert r.nominee("王五") is w


def test_22_of_45_fails():
    r = tally_appointment([{"张三": F}] * 22, ["张三"], signed_in=45, entitled=45)
    assert not r.nominees[0].passed and r.nominees[0].not_voted == 23


def test_blank_and_missing_are_not_voted():
    r = tally_appointment([{"张三": None}, {}, {"李四": F}], NOMINEES, signed_in=5, entitled=5)
    assert r.valid_ballots == 3 and r.invalid_ballots == 0
    assert r.nominee("张三").not_voted == 5
    assert r.nominee("李四").not_voted == 4


@pytest.mark.parametrize(
    "ballot,reason",
    [
        ({"赵六": F}, InvalidReason.UNKNOWN_OPTION),  # not a nominee (a name written in)
        ({"张三": "maybe"}, InvalidReason.UNKNOWN_CHOICE),
        ({"张三": ("against", "赵六")}, InvalidReason.WRITE_IN_NOT_ALLOWED),
        ({"张三": Mark(A, "赵六")}, InvalidReason.WRITE_IN_NOT_ALLOWED),
        ({"张三": ("for", "赵六")}, InvalidReason.WRITE_IN_NOT_ALLOWED),
        (["张三"], InvalidReason.NOT_A_BALLOT),
        ("for", InvalidReason.NOT_A_BALLOT),
        (None, InvalidReason.NOT_A_BALLOT),
        ({"赵六": "maybe"}, InvalidReason.UNKNOWN_OPTION),  # several faults: first in order
    ],
)
def test_invalid_ballots(ballot, reason):
    assert check_appointment_ballot(ballot, NOMINEES) == reason
    r = tally_appointment([ballot, {"张三": F}], NOMINEES, signed_in=3, entitled=3)
    assert r.invalid_ballots == 1 and r.invalid_reasons == {reason: 1}
    assert r.nominee("张三").for_ == 1 and r.nominee("张三").not_voted == 1


@pytest.mark.parametrize("ballot", [{}, {"张三": F, "李四": A, "王五": B}, {"张三": ("against", " ")}])
def test_valid_ballots(ballot):
    assert check_appointment_ballot(ballot, NOMINEES) is None


def test_errors():
    with pytest.raises(ValueError):
        tally_appointment([{}] * 4, NOMINEES, signed_in=3, entitled=3)
    with pytest.raises(ValueError):
        tally_appointment([], NOMINEES, signed_in=4, entitled=3)
    with pytest.raises(ValueError):
        tally_appointment([], [], signed_in=3, entitled=3)
    with pytest.raises(ValueError):
        tally_appointment([], ["张三", "张三"], signed_in=3, entitled=3)


def test_as_dict():
    d = tally_appointment([{"张三": F}], ["张三"], signed_in=1, entitled=1).as_dict()
    assert d["nominees"][0]["for"] == 1 and d["passed"] == ["张三"]
    assert d["threshold"] == {"base": "entitled", "comparison": "more_than", "fraction": "1/2"}


# --- properties ------------------------------------------------------------------------------


@THOROUGH
@given(poll=polls(), t=thresholds)
def test_tally_matches_reference_and_adds_up(poll, t):
    ballots, signed_in, entitled = poll
    r = tally_appointment(ballots, NOMINEES, signed_in, entitled, t)
    valid = [b for b in ballots if reference_valid(b)]
    assert r.valid_ballots == len(valid)
    assert r.valid_ballots + r.invalid_ballots == r.ballots == len(ballots)
    assert sum(r.invalid_reasons.values()) == r.invalid_ballots
    expected = reference_counts(ballots)
    for n in r.nominees:
        e = expected[n.nominee]
        assert (n.for_, n.against, n.abstain) == (e["for"], e["against"], e["abstain"])
        assert n.for_ + n.against + n.abstain + n.not_voted + r.invalid_ballots == signed_in
        assert n.passed == t.passes(n.for_, entitled, signed_in, n.cast)
        assert n.passed == (n.for_ >= n.required)


@FAST
@given(poll=polls(), t=thresholds, data=st.data())
def test_order_of_ballots_never_matters(poll, t, data):
    ballots, signed_in, entitled = poll
    shuffled = data.draw(st.permutations(ballots))
    assert tally_appointment(shuffled, NOMINEES, signed_in, entitled, t) == tally_appointment(
        ballots, NOMINEES, signed_in, entitled, t
    )


@FAST
@given(poll=polls(), t=thresholds)
def test_invalid_ballots_never_count(poll, t):
    ballots, signed_in, entitled = poll
    r = tally_appointment(ballots, NOMINEES, signed_in, entitled, t)
    valid = [b for b in ballots if check_appointment_ballot(b, NOMINEES) is None]
    clean = tally_appointment(valid, NOMINEES, signed_in, entitled, t)
    for a, b in zip(r.nominees, clean.nominees):
        assert (a.for_, a.against, a.abstain, a.passed) == (b.for_, b.against, b.abstain, b.passed)
        assert a.not_voted + r.invalid_ballots == b.not_voted


@FAST
@given(poll=polls(ballots=valid_ballots), t=thresholds)
def test_each_nominee_is_decided_alone(poll, t):
    ballots, signed_in, entitled = poll
    r = tally_appointment(ballots, NOMINEES, signed_in, entitled, t)
    for n in NOMINEES:
        alone = tally_appointment(
            [{n: b[n]} if n in b else {} for b in ballots], [n], signed_in, entitled, t
        )
        assert alone.nominees[0] == r.nominee(n)


@FAST
@given(poll=polls(ballots=valid_ballots), t=thresholds, data=st.data())
def test_a_mark_turned_to_for_never_fails_a_pass(poll, t, data):
    ballots, signed_in, entitled = poll
    if not ballots:
        return
    i = data.draw(st.integers(0, len(ballots) - 1))
    n = data.draw(st.sampled_from(NOMINEES))
    if ballots[i].get(n) in ("for", F, Mark(F)):
        return
    changed = list(ballots)
    changed[i] = {**ballots[i], n: F}
    before = tally_appointment(ballots, NOMINEES, signed_in, entitled, t).nominee(n)
    after = tally_appointment(changed, NOMINEES, signed_in, entitled, t).nominee(n)
    assert after.for_ == before.for_ + 1
    if before.passed:
        assert after.passed
