"""Quorum (法定人数) and attendance figures: signin.quorum_rule."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signin.quorum_rule import (
    ATTENDANCE_LABELS,
    PLENARY,
    STANDING_COMMITTEE,
    Comparison,
    QuorumRule,
    attendance,
    needed,
    quorum_reached,
    zh_fraction,
    zh_number,
)
from tests.rules import FAST, THOROUGH

# A spread of rules, including the two in law, to compare against the reference.
RULES = [PLENARY, STANDING_COMMITTEE] + [
    QuorumRule(comparison, Fraction(p, q))
    for comparison in (Comparison.MORE_THAN, Comparison.AT_LEAST)
    for p, q in ((1, 2), (2, 3), (1, 3), (3, 5), (3, 4), (4, 5), (1, 1), (7, 10))
    if not (comparison is Comparison.MORE_THAN and p == q)
]


def reference_reached(rule, entitled, present):
    """Written differently from the module: integer cross-multiplication, no Fraction."""
    if entitled == 0:
        return False
    p, q = rule.fraction.numerator, rule.fraction.denominator
    if rule.comparison == "more_than":
        return present * q > p * entitled
    return present * q >= p * entitled


def reference_needed(rule, entitled):
    """The smallest head count >= 1 for which the inequality holds, by scanning."""
    n = 1
    while True:
        p, q = rule.fraction.numerator, rule.fraction.denominator
        ok = n * q > p * entitled if rule.comparison == "more_than" else n * q >= p * entitled
        if ok:
            return n
        n += 1


# --- the legal edges -------------------------------------------------------------------------


def test_plenary_400_of_600_is_quorum_399_is_not():
    assert quorum_reached(PLENARY, 600, 400)
    assert not quorum_reached(PLENARY, 600, 399)
    assert needed(PLENARY, 600) == 400


def test_standing_committee_23_of_45_is_quorum_22_is_not():
    assert quorum_reached(STANDING_COMMITTEE, 45, 23)
    assert not quorum_reached(STANDING_COMMITTEE, 45, 22)
    assert needed(STANDING_COMMITTEE, 45) == 23


def test_standing_committee_exactly_half_is_not_quorum():
    # more than half: 22 of 44 is exactly half, not enough
    assert not quorum_reached(STANDING_COMMITTEE, 44, 22)
    assert quorum_reached(STANDING_COMMITTEE, 44, 23)


def test_plenary_exactly_two_thirds_is_quorum():
    # 三分之二以上 includes two-thirds itself
    assert quorum_reached(PLENARY, 3, 2)
    assert quorum_reached(PLENARY, 2985, 1990)
    assert not quorum_reached(PLENARY, 2985, 1989)
    assert needed(PLENARY, 2985) == 1990


@pytest.mark.parametrize("rule", RULES)
def test_nobody_entitled_is_never_quorum(rule):
    assert not quorum_reached(rule, 0, 0)
    assert needed(rule, 0) == 1  # larger than entitled: unreachable


def test_all_present_is_quorum_for_every_rule_with_someone_entitled():
    for rule in RULES:
        for entitled in range(1, 50):
            assert quorum_reached(rule, entitled, entitled), (rule, entitled)


def test_rule_fields():
    assert PLENARY.comparison == "at_least" and PLENARY.fraction == Fraction(2, 3)
    assert STANDING_COMMITTEE.comparison == "more_than"
    assert STANDING_COMMITTEE.fraction == Fraction(1, 2)
    assert PLENARY.base == STANDING_COMMITTEE.base == "entitled"
    assert PLENARY.reached(600, 400) and PLENARY.needed(600) == 400


# --- exhaustive against the reference --------------------------------------------------------


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.comparison}-{r.fraction}")
def test_exhaustive_against_reference(rule):
    for entitled in range(0, 201):
        n = needed(rule, entitled)
        assert n == reference_needed(rule, entitled), entitled
        for present in range(0, entitled + 1):
            got = quorum_reached(rule, entitled, present)
            assert got == reference_reached(rule, entitled, present), (entitled, present)
            assert got == (present >= n), (entitled, present)


@THOROUGH
@given(
    rule=st.sampled_from(RULES),
    entitled=st.integers(0, 10**7),
    data=st.data(),
)
def test_large_halls_against_reference(rule, entitled, data):
    present = data.draw(st.integers(0, entitled))
    assert quorum_reached(rule, entitled, present) == reference_reached(rule, entitled, present)
    n = needed(rule, entitled)
    assert quorum_reached(rule, entitled, present) == (present >= n)
    if entitled:
        assert 1 <= n <= entitled
        assert quorum_reached(rule, entitled, n)
        assert not quorum_reached(rule, entitled, n - 1)


@FAST
@given(rule=st.sampled_from(RULES), entitled=st.integers(1, 5000), data=st.data())
def test_one_more_present_never_loses_quorum(rule, entitled, data):
    present = data.draw(st.integers(0, entitled - 1))
    if quorum_reached(rule, entitled, present):
        assert quorum_reached(rule, entitled, present + 1)


@FAST
@given(entitled=st.integers(1, 5000), data=st.data())
def test_plenary_quorum_implies_standing_committee_quorum(entitled, data):
    # two-thirds or more is always more than half
    present = data.draw(st.integers(0, entitled))
    if quorum_reached(PLENARY, entitled, present):
        assert quorum_reached(STANDING_COMMITTEE, entitled, present)


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entitled,present",
    [(-1, 0), (10, -1), (10, 11), (10.0, 5), (10, 5.0), (True, 1), (10, None), ("10", 5)],
)
def test_quorum_reached_rejects_bad_counts(entitled, present):
    with pytest.raises(ValueError):
        quorum_reached(PLENARY, entitled, present)


@pytest.mark.parametrize("entitled", [-1, 1.5, None, False])
def test_needed_rejects_bad_counts(entitled):
    with pytest.raises(ValueError):
        needed(PLENARY, entitled)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(comparison="at_least", fraction=Fraction(0)),
        dict(comparison="at_least", fraction=Fraction(-1, 2)),
        dict(comparison="at_least", fraction=Fraction(3, 2)),
        dict(comparison="at_least", fraction=0.5),  # floats are never exact enough
        dict(comparison="at_least", fraction=True),
        dict(comparison="more_than", fraction=Fraction(1)),  # can never be reached
        dict(comparison="most", fraction=Fraction(1, 2)),
        dict(comparison="at_least", fraction="one half"),
        dict(comparison="at_least", fraction="1/0"),
        dict(comparison="at_least", fraction=Fraction(1, 2), base="present"),
        dict(comparison="at_least", fraction=None),
    ],
)
def test_rule_validation(kwargs):
    with pytest.raises(ValueError):
        QuorumRule(**kwargs)


def test_rule_accepts_exact_spellings_and_round_trips():
    rule = QuorumRule("at_least", "2/3")
    assert rule == PLENARY
    assert QuorumRule("more_than", Fraction(1, 2)) == STANDING_COMMITTEE
    assert QuorumRule("at_least", 1).fraction == Fraction(1)
    for r in RULES:
        assert QuorumRule.from_dict(r.to_dict()) == r
    assert PLENARY.to_dict() == {"base": "entitled", "comparison": "at_least", "fraction": "2/3"}


# --- attendance ------------------------------------------------------------------------------


def test_attendance_figures():
    a = attendance(600, 400, 20, 35)
    assert (a.entitled, a.present, a.on_leave, a.absent, a.attendees) == (600, 400, 20, 180, 35)
    assert a.quorum_reached is None and a.needed is None


def test_attendance_with_rule():
    a = attendance(600, 399, 10, 0, rule=PLENARY)
    assert a.quorum_reached is False and a.needed == 400 and a.absent == 191
    b = attendance(45, 23, 22, rule=STANDING_COMMITTEE)
    assert b.quorum_reached is True and b.absent == 0 and b.attendees == 0
    assert b.as_dict() == {
        "entitled": 45,
        "present": 23,
        "on_leave": 22,
        "absent": 0,
        "attendees": 0,
        "quorum_reached": True,
        "needed": 23,
    }


def test_attendees_never_count_toward_quorum():
    # 列席 are not members: many attendees do not make a quorum
    a = attendance(600, 399, 0, 1000, rule=PLENARY)
    assert not a.quorum_reached


def test_attendance_labels():
    assert ATTENDANCE_LABELS == {
        "entitled": "应到",
        "present": "实到",
        "on_leave": "请假",
        "absent": "缺席",
        "attendees": "列席",
    }


@pytest.mark.parametrize(
    "args",
    [
        (10, 6, 5, 0),  # present + on leave > entitled
        (10, 11, 0, 0),
        (10, 0, 11, 0),
        (-1, 0, 0, 0),
        (10, -1, 0, 0),
        (10, 0, -1, 0),
        (10, 0, 0, -1),
        (10, 1.0, 0, 0),
        (10, 1, 0, 2.5),
        (10, True, 0, 0),
        (None, 0, 0, 0),
    ],
)
def test_attendance_rejects_bad_input(args):
    with pytest.raises(ValueError):
        attendance(*args)


@FAST
@given(
    entitled=st.integers(0, 3000),
    data=st.data(),
    attendees=st.integers(0, 500),
    rule=st.sampled_from(RULES),
)
def test_attendance_always_adds_up(entitled, data, attendees, rule):
    present = data.draw(st.integers(0, entitled))
    on_leave = data.draw(st.integers(0, entitled - present))
    a = attendance(entitled, present, on_leave, attendees, rule=rule)
    assert a.absent >= 0
    assert a.present + a.on_leave + a.absent == a.entitled
    assert a.attendees == attendees
    assert a.quorum_reached == quorum_reached(rule, entitled, present)


@FAST
@given(entitled=st.integers(0, 3000), present=st.integers(0, 3000), on_leave=st.integers(0, 3000))
def test_attendance_valid_exactly_when_consistent(entitled, present, on_leave):
    if present + on_leave <= entitled:
        assert attendance(entitled, present, on_leave).absent == entitled - present - on_leave
    else:
        with pytest.raises(ValueError):
            attendance(entitled, present, on_leave)


# --- wording ---------------------------------------------------------------------------------


def test_descriptions():
    assert PLENARY.describe() == "须有全体代表的三分之二以上出席"
    assert STANDING_COMMITTEE.describe("组成人员") == "须有全体组成人员的过半数出席"
    assert QuorumRule("more_than", "3/5").describe() == "须有全体代表的超过五分之三出席"
    assert QuorumRule("at_least", "3/4").describe() == "须有全体代表的四分之三以上出席"
    assert PLENARY.describe_en() == "at least 2/3 of all deputies present"
    assert STANDING_COMMITTEE.describe_en("members") == "more than half of all members present"


@pytest.mark.parametrize(
    "n,text",
    [
        (0, "零"), (1, "一"), (2, "二"), (10, "十"), (11, "十一"), (20, "二十"), (100, "一百"),
        (105, "一百零五"), (110, "一百一十"), (1000, "一千"), (1005, "一千零五"),
        (1010, "一千零一十"), (2985, "二千九百八十五"), (10000, "一万"), (10005, "一万零五"),
        (10500, "一万零五百"), (100000, "十万"), (123456, "十二万三千四百五十六"),
    ],
)  # fmt: skip
def test_zh_number(n, text):
    assert zh_number(n) == text


def test_zh_fraction():
    assert zh_fraction(Fraction(2, 3)) == "三分之二"
    assert zh_fraction(Fraction(1, 2)) == "二分之一"
    assert zh_fraction(Fraction(3, 10)) == "十分之三"
