"""Elections (选举), including 差额选举 (more candidates than seats).

A ballot maps candidate → mark: 赞成 / 反对 / 弃权, or left out / None (no mark).  A voter
who marks a candidate 反对 may write in another person beside it (另选他人): a ``Mark``
``(against, person)``; a write-in beside 赞成 or 弃权 is not allowed.  See ``README.md``
beside this file for the full specification and 《选举法》 for the law.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .motion import Choice, InvalidReason, first_reason, parse_mark
from .threshold import MAJORITY_OF_ENTITLED, Threshold, check_count

__all__ = [
    "VoidReason",
    "VOID_REASON_LABELS",
    "Selection",
    "select_top",
    "check_election_ballot",
    "PersonResult",
    "ElectionResult",
    "tally_election",
]


class VoidReason(enum.StrEnum):
    BALLOTS_EXCEED_ISSUED = "ballots_exceed_issued"


VOID_REASON_LABELS = {
    VoidReason.BALLOTS_EXCEED_ISSUED: "收回的选票多于发出的选票，选举无效",
}


# --- ranking shared with livelihood projects ---------------------------------------------


@dataclass(frozen=True)
class Selection:
    selected: tuple  # winners, highest first
    tied: tuple  # tied at the last seat(s): a re-vote between them
    tie_seats: int  # seats the tied compete for (0 when no tie)
    unfilled: int  # seats nobody qualified for


def select_top(passing: Sequence[tuple[Hashable, int]], seats: int) -> Selection:
    """Fill ``seats`` from ``passing`` (key, votes) pairs that all met the threshold.

    The highest win.  If the seats run out inside a group with equal votes, the whole
    group goes to a re-vote for the seats left.  Ties never straddle a selected/unselected
    boundary.  Keys with equal votes keep their order in ``passing``.
    """
    check_count("seats", seats)
    ranked = sorted(passing, key=lambda kv: -kv[1])  # stable
    if len(ranked) <= seats:
        return Selection(tuple(k for k, _ in ranked), (), 0, seats - len(ranked))
    if seats == 0:
        return Selection((), (), 0, 0)
    cut = ranked[seats - 1][1]
    if ranked[seats][1] < cut:
        return Selection(tuple(k for k, _ in ranked[:seats]), (), 0, 0)
    above = tuple(k for k, v in ranked if v > cut)
    tied = tuple(k for k, v in ranked if v == cut)
    return Selection(above, tied, seats - len(above), 0)


# --- ballots -------------------------------------------------------------------------------


def check_election_ballot(
    ballot: object,
    candidates: Iterable[Hashable],
    seats: int,
    *,
    allow_write_ins: bool = True,
) -> InvalidReason | None:
    """None if ``ballot`` is valid, else why it is a 废票.

    Invalid: not a mapping; a key that is not a candidate; an entry that is neither blank,
    a choice nor (choice, write-in); a write-in beside anything but 反对 (or at all when
    ``allow_write_ins`` is false); the same person written in twice; a candidate written
    in (they would get two votes from one ballot); more people elected than ``seats``
    (赞成 marks plus write-ins).
    """
    if not isinstance(ballot, Mapping):
        return InvalidReason.NOT_A_BALLOT
    candidate_set = set(candidates)
    reasons = []
    elects = 0
    write_ins = []
    for key, value in ballot.items():
        if key not in candidate_set:
            reasons.append(InvalidReason.UNKNOWN_OPTION)
        try:
            mark = parse_mark(value)
        except ValueError:
            reasons.append(InvalidReason.UNKNOWN_CHOICE)
            continue
        if mark is None:
            continue
        if mark.choice is Choice.FOR:
            elects += 1
        if mark.write_in is not None:
            if not allow_write_ins or mark.choice is not Choice.AGAINST:
                reasons.append(InvalidReason.WRITE_IN_NOT_ALLOWED)
            write_ins.append(mark.write_in)
            elects += 1
    if len(set(write_ins)) != len(write_ins):
        reasons.append(InvalidReason.DUPLICATE_WRITE_IN)
    if any(w in candidate_set for w in write_ins):
        reasons.append(InvalidReason.WRITE_IN_IS_CANDIDATE)
    if elects > seats:
        reasons.append(InvalidReason.TOO_MANY)
    return first_reason(reasons)


# --- result --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonResult:
    person: Hashable  # candidate id, or the person written in
    write_in: bool  # True for a person not on the ballot (另选他人)
    for_: int  # 赞成 marks (candidates only)
    against: int
    abstain: int
    blank: int  # valid ballots with no mark for this candidate
    write_in_votes: int  # times written in (write-ins only)
    votes: int  # for_ + write_in_votes: the votes that count toward election
    passed: bool  # met the threshold (whether or not a seat was left)

    def as_dict(self) -> dict:
        return {
            "person": self.person,
            "write_in": self.write_in,
            "for": self.for_,
            "against": self.against,
            "abstain": self.abstain,
            "blank": self.blank,
            "write_in_votes": self.write_in_votes,
            "votes": self.votes,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class ElectionResult:
    void: bool
    void_reason: str | None  # a VoidReason value
    seats: int
    issued: int  # ballots issued (发出)
    returned: int  # ballots returned (收回) = valid + invalid
    valid_ballots: int
    invalid_ballots: int
    invalid_reasons: dict  # InvalidReason → count
    people: tuple[PersonResult, ...]  # candidates in ballot order, then write-ins
    elected: tuple  # highest votes first
    tie_for_last_seat: tuple  # re-vote between these …
    tie_seats: int  # … for this many seats
    unfilled_seats: int  # for a further round (另行选举)
    entitled: int
    present: int
    required: int  # votes a person needs
    rule: str
    threshold: Threshold

    def person(self, person: Hashable) -> PersonResult:
        for p in self.people:
            if p.person == person:
                return p
        raise KeyError(person)

    def as_dict(self) -> dict:
        return {
            "void": self.void,
            "void_reason": self.void_reason,
            "seats": self.seats,
            "issued": self.issued,
            "returned": self.returned,
            "valid_ballots": self.valid_ballots,
            "invalid_ballots": self.invalid_ballots,
            "invalid_reasons": {str(k): v for k, v in self.invalid_reasons.items()},
            "people": [p.as_dict() for p in self.people],
            "elected": list(self.elected),
            "tie_for_last_seat": list(self.tie_for_last_seat),
            "tie_seats": self.tie_seats,
            "unfilled_seats": self.unfilled_seats,
            "entitled": self.entitled,
            "present": self.present,
            "required": self.required,
            "rule": self.rule,
            "threshold": self.threshold.to_dict(),
        }


def _write_in_order(person: Hashable):
    return (type(person).__name__, str(person))


def tally_election(
    ballots: Iterable[object],
    *,
    candidates: Sequence[Hashable],
    seats: int,
    issued: int,
    entitled: int,
    threshold: Threshold = MAJORITY_OF_ENTITLED,
    present: int | None = None,
    allow_write_ins: bool = True,
    members_word: str = "代表",
) -> ElectionResult:
    """Count an election.

    * More ballots returned than issued: the whole election is void; nobody is elected
      and every seat is unfilled (the election is held again).
    * Invalid ballots (废票, see ``check_election_ballot``) count for nobody.
    * A person's votes are their 赞成 marks, or for a person written in the number of
      times written in; they need ``threshold`` (by default more than half of all
      ``entitled``).  For base ``cast`` the count is the ballots returned, valid or not
      (参加投票); for base ``present`` it is ``present`` (default: ``issued``).
    * If more pass than ``seats`` the highest win; a tie at the last seat goes to a
      re-vote between the tied; seats nobody passed for are unfilled.

    ValueError on bad inputs: seats < 1, no or duplicate candidates,
    ``issued <= present <= entitled`` not holding.
    """
    candidates = tuple(candidates)
    if not candidates:
        raise ValueError("no candidates")
    if len(set(candidates)) != len(candidates):
        raise ValueError("duplicate candidates")
    check_count("seats", seats)
    if seats < 1:
        raise ValueError("seats must be at least 1")
    check_count("issued", issued)
    check_count("entitled", entitled)
    if present is None:
        present = issued
    check_count("present", present)
    if issued > present:
        raise ValueError(f"issued ({issued}) exceeds present ({present})")
    if present > entitled:
        raise ValueError(f"present ({present}) exceeds entitled ({entitled})")

    ballots = list(ballots)
    returned = len(ballots)
    rule = threshold.describe(members_word)
    if returned > issued:
        return ElectionResult(
            void=True,
            void_reason=VoidReason.BALLOTS_EXCEED_ISSUED,
            seats=seats,
            issued=issued,
            returned=returned,
            valid_ballots=0,
            invalid_ballots=0,
            invalid_reasons={},
            people=(),
            elected=(),
            tie_for_last_seat=(),
            tie_seats=0,
            unfilled_seats=seats,
            entitled=entitled,
            present=present,
            required=threshold.required(entitled, present, issued),
            rule=rule,
            threshold=threshold,
        )

    marks = {c: Counter() for c in candidates}
    written = Counter()
    invalid = Counter()
    valid = 0
    for ballot in ballots:
        reason = check_election_ballot(ballot, candidates, seats, allow_write_ins=allow_write_ins)
        if reason is not None:
            invalid[reason] += 1
            continue
        valid += 1
        for candidate, value in ballot.items():
            mark = parse_mark(value)
            if mark is None:
                continue
            marks[candidate][mark.choice] += 1
            if mark.write_in is not None:
                written[mark.write_in] += 1

    cast = returned
    required = threshold.required(entitled, present, cast)
    people = []
    for c in candidates:
        m = marks[c]
        f, a, b = m[Choice.FOR], m[Choice.AGAINST], m[Choice.ABSTAIN]
        people.append(
            PersonResult(
                person=c,
                write_in=False,
                for_=f,
                against=a,
                abstain=b,
                blank=valid - f - a - b,
                write_in_votes=0,
                votes=f,
                passed=threshold.passes(f, entitled, present, cast),
            )
        )
    for w in sorted(written, key=_write_in_order):
        n = written[w]
        people.append(
            PersonResult(
                person=w,
                write_in=True,
                for_=0,
                against=0,
                abstain=0,
                blank=0,
                write_in_votes=n,
                votes=n,
                passed=threshold.passes(n, entitled, present, cast),
            )
        )
    selection = select_top([(p.person, p.votes) for p in people if p.passed], seats)
    return ElectionResult(
        void=False,
        void_reason=None,
        seats=seats,
        issued=issued,
        returned=returned,
        valid_ballots=valid,
        invalid_ballots=sum(invalid.values()),
        invalid_reasons=dict(invalid),
        people=tuple(people),
        elected=selection.selected,
        tie_for_last_seat=selection.tied,
        tie_seats=selection.tie_seats,
        unfilled_seats=selection.unfilled,
        entitled=entitled,
        present=present,
        required=required,
        rule=rule,
        threshold=threshold,
    )
