"""Livelihood-project votes (民生实事项目票决): voting.rules.livelihood."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voting.rules import (
    MAJORITY_OF_ENTITLED,
    InvalidReason,
    Threshold,
    check_livelihood_ballot,
    tally_livelihood,
)
from tests.rules import FAST, THOROUGH

PROJECTS = ("P1", "P2", "P3", "P4", "P5", "P6")


def copies(*groups):
    out = []
    for n, ballot in groups:
        out += [list(ballot) for _ in range(n)]
    return out


# --- plain cases -----------------------------------------------------------------------------


def test_top_n_of_those_that_pass():
    # 10 deputies choose 2 of 6; a project needs 6 votes
    ballots = copies((6, ["P1", "P2"]), (2, ["P3", "P2"]), (1, ["P3", "P1"]), (1, ["P4"]))
    r = tally_livelihood(ballots, projects=PROJECTS, choose=2, signed_in=10, entitled=10)
    assert [p.votes for p in r.projects] == [7, 8, 3, 1, 0, 0]
    assert r.ranking == ("P2", "P1") and r.chosen == ("P2", "P1")
    assert r.tie_at_cut == () and r.shortfall == 0 and r.required == 6
    assert r.rule == "以全体代表的过半数通过"


def test_more_pass_than_n_the_top_n_are_chosen():
    # 10 ballots of 3 marks (choose 3 of 6): P1 9, P2 8, P3 7, P4 6 all pass; P4 misses the cut
    omit = ["P1"] + ["P2"] * 2 + ["P3"] * 3 + ["P4"] * 4
    ballots = [[p for p in ("P1", "P2", "P3", "P4") if p != o] for o in omit]
    r = tally_livelihood(ballots, projects=PROJECTS, choose=3, signed_in=10, entitled=10)
    assert r.ranking == ("P1", "P2", "P3", "P4")
    assert r.chosen == ("P1", "P2", "P3") and r.tie_at_cut == () and r.shortfall == 0
    assert r.project("P4").passed


def test_tie_at_the_cut_goes_to_a_re_vote():
    # P1 8, P2 6, P3 6 of 10, choose 2: P1 chosen, P2 and P3 re-vote for the last place
    ballots = copies((4, ["P1", "P2"]), (4, ["P1", "P3"]), (2, ["P2", "P3"]))
    r = tally_livelihood(ballots, projects=PROJECTS, choose=2, signed_in=10, entitled=10)
    assert r.chosen == ("P1",) and r.tie_at_cut == ("P2", "P3") and r.tie_seats == 1
    assert r.shortfall == 0


def test_fewer_pass_than_n():
    ballots = copies((6, ["P1", "P2"]), (4, ["P3"]))
    r = tally_livelihood(ballots, projects=PROJECTS, choose=3, signed_in=10, entitled=10)
    assert r.chosen == ("P1", "P2") and r.shortfall == 1 and r.tie_at_cut == ()


def test_a_majority_of_those_voting_is_not_enough():
    # 600 deputies, 450 signed in: a project needs 301 votes, not a majority of 450
    ballots = copies((300, ["P1"]), (150, ["P2"]))
    r = tally_livelihood(ballots, projects=PROJECTS, choose=2, signed_in=450, entitled=600)
    assert r.required == 301 and r.chosen == () and r.shortfall == 2
    r = tally_livelihood(
        ballots + [["P1"]], projects=PROJECTS, choose=2, signed_in=451, entitled=600
    )
    assert r.chosen == ("P1",) and r.shortfall == 1


def test_n_base_and_fraction_are_data():
    t = Threshold("cast", "at_least", "1/3")
    ballots = copies((4, ["P1", "P2"]), (3, ["P3"]), (2, ["P4"]))  # 9 cast: 3 votes needed
    r = tally_livelihood(ballots, projects=PROJECTS, choose=2, signed_in=9, entitled=40, threshold=t)
    assert r.required == 3 and r.ranking == ("P1", "P2", "P3")
    assert r.chosen == ("P1", "P2") and r.rule == "以参加表决的代表的三分之一以上通过"
    r = tally_livelihood(ballots, projects=PROJECTS, choose=3, signed_in=9, entitled=40, threshold=t)
    assert r.chosen == ("P1", "P2", "P3")


@pytest.mark.parametrize(
    "ballot,reason",
    [
        (["P1", "P2", "P3"], InvalidReason.TOO_MANY),
        (["P1", "P1"], InvalidReason.DUPLICATE_OPTION),
        (["P9"], InvalidReason.UNKNOWN_OPTION),
        ([["P1"]], InvalidReason.UNKNOWN_OPTION),
        ("P1", InvalidReason.NOT_A_BALLOT),  # a string is not a list of projects
        ({"P1": True}, InvalidReason.NOT_A_BALLOT),
        (None, InvalidReason.NOT_A_BALLOT),
        (["P9", "P1", "P1", "P2"], InvalidReason.UNKNOWN_OPTION),  # first fault in order
    ],
)
def test_invalid_ballots(ballot, reason):
    assert check_livelihood_ballot(ballot, PROJECTS, 2) == reason
    r = tally_livelihood([ballot, ["P1"]], projects=PROJECTS, choose=2, signed_in=2, entitled=2)
    assert r.invalid_ballots == 1 and r.invalid_reasons == {reason: 1}
    assert [p.votes for p in r.projects] == [1, 0, 0, 0, 0, 0]


@pytest.mark.parametrize("ballot", [[], ["P1"], ("P1", "P2"), {"P5", "P6"}, frozenset()])
def test_valid_ballots(ballot):
    assert check_livelihood_ballot(ballot, PROJECTS, 2) is None


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(projects=PROJECTS, choose=6, signed_in=1, entitled=1),  # M must be more than N
        dict(projects=PROJECTS, choose=7, signed_in=1, entitled=1),
        dict(projects=PROJECTS, choose=0, signed_in=1, entitled=1),
        dict(projects=(), choose=1, signed_in=1, entitled=1),
        dict(projects=("P1", "P1", "P2"), choose=1, signed_in=1, entitled=1),
        dict(projects=PROJECTS, choose=2, signed_in=2, entitled=1),
        dict(projects=PROJECTS, choose=2.0, signed_in=1, entitled=1),
        dict(projects=PROJECTS, choose=2, signed_in=-1, entitled=1),
    ],
)
def test_bad_inputs(kwargs):
    with pytest.raises(ValueError):
        tally_livelihood([], **kwargs)


def test_more_ballots_than_signed_in_is_an_error():
    with pytest.raises(ValueError):
        tally_livelihood([["P1"]] * 3, projects=PROJECTS, choose=2, signed_in=2, entitled=5)


def test_as_dict():
    d = tally_livelihood([["P1"]], projects=PROJECTS, choose=1, signed_in=1, entitled=1).as_dict()
    assert d["chosen"] == ["P1"] and d["projects"][0] == {"project": "P1", "votes": 1, "passed": True}


# --- properties ------------------------------------------------------------------------------

thresholds = st.sampled_from(
    [
        MAJORITY_OF_ENTITLED,
        Threshold("entitled", "at_least", "2/3"),
        Threshold("cast", "more_than", "1/2"),
        Threshold("present", "at_least", "1/4"),
    ]
)
good_ballot = st.lists(st.sampled_from(PROJECTS), unique=True, max_size=4)
any_ballot = st.one_of(
    good_ballot,
    good_ballot,
    st.lists(st.sampled_from(PROJECTS + ("P9",)), max_size=7),
    st.frozensets(st.sampled_from(PROJECTS), max_size=4),
    st.sampled_from(["P1", None, {"P1": 1}, 7]),
)


@st.composite
def votes(draw, ballots=any_ballot, max_size=60):
    bs = draw(st.lists(ballots, max_size=max_size))
    choose = draw(st.integers(1, 5))
    signed_in = len(bs) + draw(st.integers(0, 6))
    entitled = signed_in + draw(st.integers(0, 6))
    return bs, dict(projects=PROJECTS, choose=choose, signed_in=signed_in, entitled=entitled)


def reference_valid(ballot, n):
    if type(ballot) not in (list, tuple, set, frozenset):
        return False
    items = list(ballot)
    return len(items) <= n and len(set(items)) == len(items) and set(items) <= set(PROJECTS)


def reference_select(passing, seats):
    selected, tied = set(), set()
    for key, v in passing:
        better = sum(1 for _, w in passing if w > v)
        same = sum(1 for _, w in passing if w == v) - 1
        if better + same + 1 <= seats:
            selected.add(key)
        elif better < seats:
            tied.add(key)
    return selected, tied, (seats - len(selected) if tied else 0), max(0, seats - len(passing))


@THOROUGH
@given(v=votes(), t=thresholds)
def test_matches_reference(v, t):
    ballots, kw = v
    r = tally_livelihood(ballots, threshold=t, **kw)
    n = kw["choose"]
    valid = [b for b in ballots if reference_valid(b, n)]
    assert r.valid_ballots == len(valid)
    assert r.valid_ballots + r.invalid_ballots == r.ballots == len(ballots)
    assert sum(r.invalid_reasons.values()) == r.invalid_ballots
    for p in r.projects:
        assert p.votes == sum(1 for b in valid if p.project in b)
        assert p.passed == t.passes(p.votes, kw["entitled"], kw["signed_in"], len(ballots))
        assert p.passed == (p.votes >= r.required)
    assert sum(p.votes for p in r.projects) <= n * r.valid_ballots
    passing = [(p.project, p.votes) for p in r.projects if p.passed]
    assert set(r.ranking) == {k for k, _ in passing}
    ranked_votes = [r.project(k).votes for k in r.ranking]
    assert ranked_votes == sorted(ranked_votes, reverse=True)
    selected, tied, tie_seats, shortfall = reference_select(passing, n)
    assert set(r.chosen) == selected and set(r.tie_at_cut) == tied
    assert (r.tie_seats, r.shortfall) == (tie_seats, shortfall)
    assert len(r.chosen) + r.tie_seats + r.shortfall == n


@FAST
@given(v=votes(), t=thresholds, data=st.data())
def test_order_of_ballots_never_matters(v, t, data):
    ballots, kw = v
    shuffled = data.draw(st.permutations(ballots))
    assert tally_livelihood(shuffled, threshold=t, **kw) == tally_livelihood(ballots, threshold=t, **kw)


@FAST
@given(v=votes(), t=st.sampled_from([MAJORITY_OF_ENTITLED, Threshold("present", "at_least", "1/4")]))
def test_invalid_ballots_never_count(v, t):
    ballots, kw = v
    r = tally_livelihood(ballots, threshold=t, **kw)
    valid = [b for b in ballots if check_livelihood_ballot(b, PROJECTS, kw["choose"]) is None]
    clean = tally_livelihood(valid, threshold=t, **kw)
    assert (r.projects, r.chosen, r.tie_at_cut, r.shortfall) == (
        clean.projects,
        clean.chosen,
        clean.tie_at_cut,
        clean.shortfall,
    )


@FAST
@given(v=votes(), t=thresholds, p=st.sampled_from(PROJECTS))
def test_one_more_vote_keeps_a_project_passing_and_chosen(v, t, p):
    ballots, kw = v
    if len(ballots) == kw["signed_in"]:
        return
    before = tally_livelihood(ballots, threshold=t, **kw)
    after = tally_livelihood(ballots + [[p]], threshold=t, **kw)
    assert after.project(p).votes == before.project(p).votes + 1
    if before.project(p).passed:
        assert after.project(p).passed
    if p in before.chosen:
        assert p in after.chosen
