"""Elections (选举, 差额 included): voting.rules.election."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voting.rules import (
    MAJORITY_OF_ENTITLED,
    Choice,
    InvalidReason,
    Mark,
    Threshold,
    VoidReason,
    check_election_ballot,
    select_top,
    tally_election,
)
from voting.rules.election import VOID_REASON_LABELS
from tests.rules import FAST, THOROUGH

F, A, B = Choice.FOR, Choice.AGAINST, Choice.ABSTAIN
CANDIDATES = ("甲", "乙", "丙", "丁")
OUTSIDERS = ("戊", "己")


def ballots_for(*groups):
    """``ballots_for((3, {"甲": F}), …)``: 3 copies of that ballot, …"""
    out = []
    for n, ballot in groups:
        out += [dict(ballot) for _ in range(n)]
    return out


# --- plain cases -----------------------------------------------------------------------------


def test_contested_election_highest_win():
    # 4 candidates, 2 seats, 20 deputies: 11 votes needed
    ballots = ballots_for(
        (9, {"甲": F, "乙": F, "丙": A, "丁": A}),
        (5, {"甲": F, "丙": F, "乙": B}),
        (4, {"乙": F, "丙": F, "甲": A}),
    )
    r = tally_election(ballots, candidates=CANDIDATES, seats=2, issued=19, entitled=20)
    assert not r.void and r.required == 11
    assert r.person("甲").votes == 14 and r.person("乙").votes == 13 and r.person("丙").votes == 9
    assert r.person("乙").abstain == 5 and r.person("甲").against == 4
    assert r.person("丁").blank == 9 and r.person("丁").against == 9
    assert r.elected == ("甲", "乙")
    assert r.tie_for_last_seat == () and r.unfilled_seats == 0
    assert r.valid_ballots == 18 and r.invalid_ballots == 0 and r.returned == 18


def test_equal_votes_that_all_fit_are_all_elected_and_a_seat_may_stay_empty():
    ballots = ballots_for((6, {"甲": F, "乙": F}), (2, {"丙": F, "乙": F}), (2, {"丙": F, "甲": F}))
    # 甲 8, 乙 8, 丙 4 of 10; 2 seats, 6 needed: 甲 and 乙, no tie (both fit)
    r = tally_election(ballots, candidates=CANDIDATES, seats=2, issued=10, entitled=10)
    assert r.elected == ("甲", "乙") and r.tie_for_last_seat == ()
    # 甲 6, 乙 4, 丙 3 of 13: nobody has more than half of all 13
    ballots = ballots_for((6, {"甲": F}), (4, {"乙": F}), (3, {"丙": F}))
    r = tally_election(ballots, candidates=CANDIDATES, seats=1, issued=13, entitled=13)
    assert r.elected == () and r.unfilled_seats == 1


def test_more_pass_than_seats_the_highest_win():
    # 10 ballots, each marking all but one of 4 candidates for 3 seats:
    # 甲 9, 乙 8, 丙 7, 丁 6 of 10 deputies; all 4 pass (6 needed), the top 3 win
    omit = ["甲"] + ["乙"] * 2 + ["丙"] * 3 + ["丁"] * 4
    ballots = [{c: F for c in CANDIDATES if c != o} for o in omit]
    r = tally_election(ballots, candidates=CANDIDATES, seats=3, issued=10, entitled=10)
    assert [r.person(c).votes for c in CANDIDATES] == [9, 8, 7, 6]
    assert all(r.person(c).passed for c in CANDIDATES)
    assert r.elected == ("甲", "乙", "丙")
    assert r.tie_for_last_seat == () and r.unfilled_seats == 0


def test_tie_at_the_last_seat_goes_to_a_re_vote():
    # 甲 8, 乙 6, 丙 6 of 10 (6 needed), 2 seats: 甲 elected, 乙 and 丙 re-vote for 1 seat
    ballots = ballots_for((4, {"甲": F, "乙": F}), (4, {"甲": F, "丙": F}), (2, {"乙": F, "丙": F}))
    r = tally_election(ballots, candidates=CANDIDATES, seats=2, issued=10, entitled=10)
    assert r.elected == ("甲",)
    assert r.tie_for_last_seat == ("乙", "丙") and r.tie_seats == 1 and r.unfilled_seats == 0
    # with 3 seats the tied pair both fit
    r = tally_election(ballots, candidates=CANDIDATES, seats=3, issued=10, entitled=10)
    assert r.elected == ("甲", "乙", "丙") and r.tie_for_last_seat == () and r.unfilled_seats == 0


def test_three_tied_for_two_seats_all_go_to_the_re_vote():
    ballots = ballots_for((3, {"甲": F, "乙": F}), (3, {"乙": F, "丙": F}), (3, {"甲": F, "丙": F}))
    r = tally_election(ballots, candidates=CANDIDATES, seats=2, issued=9, entitled=10)
    assert [r.person(c).votes for c in ("甲", "乙", "丙")] == [6, 6, 6]
    assert r.elected == () and r.tie_for_last_seat == ("甲", "乙", "丙") and r.tie_seats == 2


def test_a_tie_between_candidates_who_failed_the_threshold_is_no_tie():
    # 甲 5, 丙 5 of 11 entitled: neither has more than half; the seat is unfilled
    ballots = ballots_for((5, {"甲": F}), (5, {"丙": F}), (1, {"乙": F}))
    r = tally_election(ballots, candidates=CANDIDATES, seats=1, issued=11, entitled=11)
    assert r.elected == () and r.tie_for_last_seat == () and r.unfilled_seats == 1


def test_ballots_marking_more_than_the_seats_are_invalid():
    ballots = ballots_for((7, {"甲": F, "乙": F, "丙": F}))
    r = tally_election(ballots, candidates=CANDIDATES, seats=2, issued=7, entitled=10)
    # every ballot elects 3 for 2 seats: all invalid
    assert r.invalid_ballots == 7 and r.elected == () and r.unfilled_seats == 2
    r = tally_election(ballots, candidates=CANDIDATES, seats=3, issued=7, entitled=10)
    assert r.elected == ("甲", "乙", "丙")
    assert select_top([("甲", 7), ("乙", 7), ("丙", 7)], 2).tied == ("甲", "乙", "丙")
    assert select_top([("甲", 7), ("乙", 7), ("丙", 7)], 2).tie_seats == 2


def test_unfilled_seats_go_to_a_further_round():
    ballots = ballots_for((6, {"甲": F, "乙": A}), (4, {"乙": F}))
    r = tally_election(ballots, candidates=CANDIDATES, seats=3, issued=10, entitled=10)
    assert r.elected == ("甲",) and r.unfilled_seats == 2 and r.tie_for_last_seat == ()


def test_write_in_can_be_elected():
    ballots = ballots_for((6, {"甲": ("against", "戊"), "乙": F}), (3, {"甲": F}))
    r = tally_election(ballots, candidates=("甲", "乙"), seats=2, issued=9, entitled=10)
    assert r.person("戊").write_in and r.person("戊").write_in_votes == 6 and r.person("戊").votes == 6
    assert r.person("甲").against == 6 and r.person("甲").for_ == 3
    # equal votes: candidates before write-ins, in ballot order
    assert r.elected == ("乙", "戊") and r.unfilled_seats == 0
    assert [p.person for p in r.people] == ["甲", "乙", "戊"]


def test_ballots_returned_above_issued_void_the_election():
    ballots = ballots_for((11, {"甲": F}))
    r = tally_election(ballots, candidates=CANDIDATES, seats=1, issued=10, entitled=20)
    assert r.void and r.void_reason == VoidReason.BALLOTS_EXCEED_ISSUED
    assert r.elected == () and r.people == () and r.unfilled_seats == 1
    assert VOID_REASON_LABELS[r.void_reason] == "收回的选票多于发出的选票，选举无效"
    # equal to issued is fine
    assert not tally_election(ballots[:10], candidates=CANDIDATES, seats=1, issued=10, entitled=20).void


@pytest.mark.parametrize(
    "ballot,seats,reason",
    [
        ({"甲": F, "乙": F, "丙": F}, 2, InvalidReason.TOO_MANY),
        ({"甲": F, "乙": ("against", "戊")}, 1, InvalidReason.TOO_MANY),  # write-ins count
        ({"甲": ("against", "戊"), "乙": ("against", "己")}, 1, InvalidReason.TOO_MANY),
        ({"甲": ("abstain", "戊")}, 2, InvalidReason.WRITE_IN_NOT_ALLOWED),
        ({"甲": ("for", "戊")}, 2, InvalidReason.WRITE_IN_NOT_ALLOWED),
        ({"甲": Mark(B, "戊")}, 2, InvalidReason.WRITE_IN_NOT_ALLOWED),
        ({"甲": ("against", "戊"), "乙": ("against", "戊")}, 3, InvalidReason.DUPLICATE_WRITE_IN),
        ({"甲": ("against", "乙")}, 3, InvalidReason.WRITE_IN_IS_CANDIDATE),
        ({"庚": F}, 2, InvalidReason.UNKNOWN_OPTION),
        ({"甲": "赞成"}, 2, InvalidReason.UNKNOWN_CHOICE),
        ({"甲": ("maybe", "戊")}, 2, InvalidReason.UNKNOWN_CHOICE),
        ({"甲": ("against", ("戊", ["x"]))}, 2, InvalidReason.UNKNOWN_CHOICE),  # unhashable
        ({"甲": ("against", True)}, 2, InvalidReason.UNKNOWN_CHOICE),
        ([("甲", F)], 2, InvalidReason.NOT_A_BALLOT),
        ("甲", 2, InvalidReason.NOT_A_BALLOT),
    ],
)
def test_invalid_ballots(ballot, seats, reason):
    assert check_election_ballot(ballot, CANDIDATES, seats) == reason
    r = tally_election([ballot, {"甲": F}], candidates=CANDIDATES, seats=seats, issued=3, entitled=3)
    assert r.invalid_ballots == 1 and r.invalid_reasons == {reason: 1} and r.valid_ballots == 1
    assert r.person("甲").votes == 1
    assert all(p.person in CANDIDATES for p in r.people)  # invalid write-ins count for nobody


@pytest.mark.parametrize(
    "ballot,seats",
    [
        ({}, 1),
        ({"甲": F, "乙": A, "丙": B, "丁": None}, 1),
        ({"甲": ("against", "戊"), "乙": F}, 2),
        ({"甲": ("against", "  "), "乙": F}, 1),  # an empty write-in line is no write-in
        ({"甲": A, "乙": A, "丙": A, "丁": A}, 1),
        ({"甲": B, "乙": ("against", "戊"), "丙": ("against", "己")}, 2),
    ],
)
def test_valid_ballots(ballot, seats):
    assert check_election_ballot(ballot, CANDIDATES, seats) is None


def test_write_ins_can_be_turned_off():
    ballot = {"甲": ("against", "戊")}
    assert check_election_ballot(ballot, CANDIDATES, 2, allow_write_ins=False) == (
        InvalidReason.WRITE_IN_NOT_ALLOWED
    )
    r = tally_election([ballot], candidates=CANDIDATES, seats=2, issued=1, entitled=1, allow_write_ins=False)
    assert r.invalid_ballots == 1


def test_cast_base_counts_invalid_ballots_as_taking_part():
    t = Threshold("cast", "more_than", "1/2")
    ballots = ballots_for((3, {"甲": F}), (3, {"甲": F, "乙": F}))  # the last 3 invalid for 1 seat
    r = tally_election(ballots, candidates=CANDIDATES, seats=1, issued=6, entitled=100, threshold=t)
    assert r.required == 4 and r.person("甲").votes == 3 and r.elected == ()
    assert r.rule == "以参加表决的代表的过半数通过"


def test_present_defaults_to_issued():
    r = tally_election([], candidates=CANDIDATES, seats=1, issued=7, entitled=10)
    assert r.present == 7
    t = Threshold("present", "more_than", "1/2")
    r = tally_election(
        ballots_for((4, {"甲": F})), candidates=CANDIDATES, seats=1, issued=7, present=9,
        entitled=10, threshold=t,
    )  # fmt: skip
    assert r.required == 5 and r.elected == ()


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(candidates=(), seats=1, issued=1, entitled=1),
        dict(candidates=("甲", "甲"), seats=1, issued=1, entitled=1),
        dict(candidates=CANDIDATES, seats=0, issued=1, entitled=1),
        dict(candidates=CANDIDATES, seats=-1, issued=1, entitled=1),
        dict(candidates=CANDIDATES, seats=1, issued=2, entitled=1),
        dict(candidates=CANDIDATES, seats=1, issued=2, present=1, entitled=3),
        dict(candidates=CANDIDATES, seats=1, issued=1, present=4, entitled=3),
        dict(candidates=CANDIDATES, seats=1.0, issued=1, entitled=1),
        dict(candidates=CANDIDATES, seats=1, issued=-1, entitled=1),
    ],
)
def test_bad_inputs(kwargs):
    with pytest.raises(ValueError):
        tally_election([], **kwargs)


def test_as_dict():
    r = tally_election([{"甲": F}], candidates=CANDIDATES, seats=1, issued=1, entitled=1)
    d = r.as_dict()
    assert d["elected"] == ["甲"] and d["people"][0]["for"] == 1 and d["void"] is False


# --- select_top against a reference -----------------------------------------------------------


def reference_select(passing, seats):
    """Per key: how many have more votes, how many the same (itself excluded)."""
    selected, tied = set(), set()
    for key, votes in passing:
        better = sum(1 for _, v in passing if v > votes)
        same = sum(1 for _, v in passing if v == votes) - 1
        if better + same + 1 <= seats:
            selected.add(key)
        elif better < seats:
            tied.add(key)
    tie_seats = seats - len(selected) if tied else 0
    unfilled = max(0, seats - len(passing))
    return selected, tied, tie_seats, unfilled


@THOROUGH
@given(
    votes=st.lists(st.integers(0, 8), max_size=12),
    seats=st.integers(0, 14),
)
def test_select_top_against_reference(votes, seats):
    passing = [(f"p{i}", v) for i, v in enumerate(votes)]
    s = select_top(passing, seats)
    selected, tied, tie_seats, unfilled = reference_select(passing, seats)
    assert set(s.selected) == selected and len(s.selected) == len(selected)
    assert set(s.tied) == tied and len(s.tied) == len(tied)
    assert s.tie_seats == tie_seats and s.unfilled == unfilled
    assert len(s.selected) + s.tie_seats + s.unfilled == seats
    assert not s.tied or len(s.tied) > s.tie_seats > 0
    got = [dict(passing)[k] for k in s.selected]
    assert got == sorted(got, reverse=True)


# --- properties of whole elections ---------------------------------------------------------

VALUES = [F, A, B, None, "for", "against", ("against", "戊"), ("against", "己"), ("against", " ")]
BAD_VALUES = [("abstain", "戊"), ("for", "己"), ("against", "甲"), "bogus", 5]

thresholds = st.sampled_from(
    [
        MAJORITY_OF_ENTITLED,
        Threshold("entitled", "at_least", "2/3"),
        Threshold("cast", "more_than", "1/2"),
        Threshold("present", "at_least", "1/3"),
    ]
)
good_ballots = st.dictionaries(st.sampled_from(CANDIDATES), st.sampled_from(VALUES))
any_ballot = st.one_of(
    good_ballots,
    good_ballots,
    st.dictionaries(st.sampled_from(CANDIDATES + ("庚",)), st.sampled_from(VALUES + BAD_VALUES)),
    st.sampled_from([None, "甲", ["甲"]]),
)


@st.composite
def elections(draw, ballots=any_ballot, max_size=60):
    bs = draw(st.lists(ballots, max_size=max_size))
    seats = draw(st.integers(1, 4))
    issued = len(bs) + draw(st.integers(0, 5))
    present = issued + draw(st.integers(0, 5))
    entitled = present + draw(st.integers(1, 5))
    return bs, dict(candidates=CANDIDATES, seats=seats, issued=issued, present=present, entitled=entitled)


def reference_people(ballot, seats):
    """The people a ballot gives a vote to, or None if it is invalid; written independently."""
    if type(ballot) is not dict:
        return None
    people = []
    for key, value in ballot.items():
        if key not in CANDIDATES:
            return None
        if value is None:
            continue
        if type(value) is tuple:
            choice, name = value[0], value[1].strip()
        else:
            choice, name = value, ""
        if choice not in ("for", "against", "abstain"):
            return None
        if choice == "for":
            people.append(key)
        if name:
            if choice != "against" or name in CANDIDATES:
                return None
            people.append(name)
    if len(people) != len(set(people)) or len(people) > seats:
        return None
    return people


@THOROUGH
@given(e=elections(), t=thresholds)
def test_election_matches_reference(e, t):
    ballots, kw = e
    r = tally_election(ballots, threshold=t, **kw)
    assert not r.void
    seats = kw["seats"]
    per_ballot = [reference_people(b, seats) for b in ballots]
    assert r.valid_ballots == sum(1 for p in per_ballot if p is not None)
    assert r.valid_ballots + r.invalid_ballots == r.returned == len(ballots)
    assert sum(r.invalid_reasons.values()) == r.invalid_ballots
    votes = {}
    for people in per_ballot:
        for person in people or ():
            votes[person] = votes.get(person, 0) + 1
    assert {p.person: p.votes for p in r.people if p.votes} == votes
    for p in r.people:
        if not p.write_in:
            assert p.for_ + p.against + p.abstain + p.blank == r.valid_ballots
        assert p.passed == t.passes(p.votes, kw["entitled"], kw["present"], len(ballots))
        assert p.passed == (p.votes >= r.required)
    passing = [(p.person, p.votes) for p in r.people if p.passed]
    selected, tied, tie_seats, unfilled = reference_select(passing, seats)
    assert set(r.elected) == selected and set(r.tie_for_last_seat) == tied
    assert (r.tie_seats, r.unfilled_seats) == (tie_seats, unfilled)
    assert len(r.elected) + r.tie_seats + r.unfilled_seats == seats


@FAST
@given(e=elections(), t=thresholds, data=st.data())
def test_order_of_ballots_never_matters(e, t, data):
    ballots, kw = e
    shuffled = data.draw(st.permutations(ballots))
    assert tally_election(shuffled, threshold=t, **kw) == tally_election(ballots, threshold=t, **kw)


@FAST
@given(e=elections(), t=st.sampled_from([MAJORITY_OF_ENTITLED, Threshold("present", "at_least", "1/3")]))
def test_invalid_ballots_never_count(e, t):
    ballots, kw = e
    r = tally_election(ballots, threshold=t, **kw)
    valid = [b for b in ballots if check_election_ballot(b, CANDIDATES, kw["seats"]) is None]
    clean = tally_election(valid, threshold=t, **kw)
    assert [(p.person, p.for_, p.against, p.abstain, p.votes, p.passed) for p in r.people] == [
        (p.person, p.for_, p.against, p.abstain, p.votes, p.passed) for p in clean.people
    ]
    assert (r.elected, r.tie_for_last_seat, r.unfilled_seats) == (
        clean.elected,
        clean.tie_for_last_seat,
        clean.unfilled_seats,
    )


@FAST
@given(e=elections(), t=thresholds, c=st.sampled_from(CANDIDATES))
def test_one_more_for_vote_keeps_a_candidate_passing_and_elected(e, t, c):
    ballots, kw = e
    if kw["issued"] == kw["present"]:
        return  # no one left to hand a ballot to without changing the present count
    before = tally_election(ballots, threshold=t, **kw)
    more = dict(kw, issued=kw["issued"] + 1)
    after = tally_election(ballots + [{c: F}], threshold=t, **more)
    assert after.person(c).votes == before.person(c).votes + 1
    if before.person(c).passed:
        assert after.person(c).passed
    if c in before.elected:
        assert c in after.elected


@FAST
@given(e=elections(max_size=20), extra=st.integers(1, 5), t=thresholds)
def test_more_returned_than_issued_is_always_void(e, extra, t):
    ballots, kw = e
    kw = dict(kw, issued=max(0, len(ballots) - extra))
    kw["present"] = max(kw["present"], kw["issued"])
    if len(ballots) <= kw["issued"]:
        return
    r = tally_election(ballots, threshold=t, **kw)
    assert r.void and r.elected == () and r.tie_for_last_seat == ()
    assert r.unfilled_seats == kw["seats"]


@FAST
@given(e=elections(ballots=good_ballots))
def test_no_valid_ballot_elects_more_than_the_seats(e):
    ballots, kw = e
    for b in ballots:
        people = reference_people(b, kw["seats"])
        assert (check_election_ballot(b, CANDIDATES, kw["seats"]) is None) == (people is not None)
