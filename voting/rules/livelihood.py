"""Livelihood projects (民生实事项目票决): choose N of M candidate projects.

Each ballot marks up to N projects.  A project needs the threshold (by default more than
half of all deputies); those that pass are ranked by votes and the top N chosen; a tie at
the cut goes to a re-vote.  N, the base and the fraction are data: local rulebooks
(票决办法) differ.  See ``README.md`` beside this file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

from .election import select_top
from .motion import InvalidReason, first_reason
from .threshold import MAJORITY_OF_ENTITLED, Threshold, check_count

__all__ = ["ProjectResult", "LivelihoodResult", "check_livelihood_ballot", "tally_livelihood"]


def check_livelihood_ballot(
    ballot: object, projects: Iterable[Hashable], choose: int
) -> InvalidReason | None:
    """None if ``ballot`` (a list/tuple/set of project ids) is valid, else why not.

    Invalid: not a list, tuple or set (a string or a mapping is not a ballot); a project
    not on the list; the same project twice; more than ``choose`` projects.  An empty
    ballot is valid and counts for no project.
    """
    if not isinstance(ballot, (list, tuple, set, frozenset)):
        return InvalidReason.NOT_A_BALLOT
    project_set = set(projects)
    reasons = []
    seen = []
    for item in ballot:
        try:
            known = item in project_set
        except TypeError:  # unhashable
            known = False
        if not known:
            reasons.append(InvalidReason.UNKNOWN_OPTION)
        elif item in seen:
            reasons.append(InvalidReason.DUPLICATE_OPTION)
        else:
            seen.append(item)
    if len(ballot) > choose:
        reasons.append(InvalidReason.TOO_MANY)
    return first_reason(reasons)


@dataclass(frozen=True)
class ProjectResult:
    project: Hashable
    votes: int
    passed: bool  # met the threshold (whether or not it made the cut)

    def as_dict(self) -> dict:
        return {"project": self.project, "votes": self.votes, "passed": self.passed}


@dataclass(frozen=True)
class LivelihoodResult:
    projects: tuple[ProjectResult, ...]  # in list order
    ranking: tuple  # projects that passed, most votes first (equal votes: list order)
    chosen: tuple  # most votes first
    tie_at_cut: tuple  # re-vote between these …
    tie_seats: int  # … for this many places
    shortfall: int  # places left empty because too few projects passed
    choose: int  # N
    ballots: int  # returned (valid + invalid)
    valid_ballots: int
    invalid_ballots: int
    invalid_reasons: dict  # InvalidReason → count
    signed_in: int
    entitled: int
    required: int  # votes a project needs
    rule: str
    threshold: Threshold

    def project(self, project: Hashable) -> ProjectResult:
        for p in self.projects:
            if p.project == project:
                return p
        raise KeyError(project)

    def as_dict(self) -> dict:
        return {
            "projects": [p.as_dict() for p in self.projects],
            "ranking": list(self.ranking),
            "chosen": list(self.chosen),
            "tie_at_cut": list(self.tie_at_cut),
            "tie_seats": self.tie_seats,
            "shortfall": self.shortfall,
            "choose": self.choose,
            "ballots": self.ballots,
            "valid_ballots": self.valid_ballots,
            "invalid_ballots": self.invalid_ballots,
            "invalid_reasons": {str(k): v for k, v in self.invalid_reasons.items()},
            "signed_in": self.signed_in,
            "entitled": self.entitled,
            "required": self.required,
            "rule": self.rule,
            "threshold": self.threshold.to_dict(),
        }


def tally_livelihood(
    ballots: Iterable[object],
    *,
    projects: Sequence[Hashable],
    choose: int,
    signed_in: int,
    entitled: int,
    threshold: Threshold = MAJORITY_OF_ENTITLED,
    members_word: str = "代表",
) -> LivelihoodResult:
    """Count a livelihood-project vote.

    For base ``cast`` the count is all ballots returned, valid or not.  ValueError when
    ``len(projects) <= choose`` (M must exceed N), ``choose < 1``, duplicate projects,
    more ballots than ``signed_in``, or ``signed_in > entitled``.
    """
    projects = tuple(projects)
    check_count("choose", choose)
    if choose < 1:
        raise ValueError("choose (N) must be at least 1")
    if len(set(projects)) != len(projects):
        raise ValueError("duplicate projects")
    if len(projects) <= choose:
        raise ValueError(f"{len(projects)} candidate projects must be more than the {choose} to choose")
    check_count("signed_in", signed_in)
    check_count("entitled", entitled)
    if signed_in > entitled:
        raise ValueError(f"signed in ({signed_in}) exceeds entitled ({entitled})")
    ballots = list(ballots)
    if len(ballots) > signed_in:
        raise ValueError(f"{len(ballots)} ballots but only {signed_in} members signed in")

    votes = Counter()
    invalid = Counter()
    valid = 0
    for ballot in ballots:
        reason = check_livelihood_ballot(ballot, projects, choose)
        if reason is not None:
            invalid[reason] += 1
            continue
        valid += 1
        votes.update(ballot)

    cast = len(ballots)
    results = tuple(
        ProjectResult(p, votes[p], threshold.passes(votes[p], entitled, signed_in, cast))
        for p in projects
    )
    passing = [(r.project, r.votes) for r in results if r.passed]
    ranking = tuple(k for k, _ in sorted(passing, key=lambda kv: -kv[1]))
    selection = select_top(passing, choose)
    return LivelihoodResult(
        projects=results,
        ranking=ranking,
        chosen=selection.selected,
        tie_at_cut=selection.tied,
        tie_seats=selection.tie_seats,
        shortfall=selection.unfilled,
        choose=choose,
        ballots=len(ballots),
        valid_ballots=valid,
        invalid_ballots=sum(invalid.values()),
        invalid_reasons=dict(invalid),
        signed_in=signed_in,
        entitled=entitled,
        required=threshold.required(entitled, signed_in, cast),
        rule=threshold.describe(members_word),
        threshold=threshold,
    )
