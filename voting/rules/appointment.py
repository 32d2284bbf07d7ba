"""Appointments (人事任免), voted person by person (逐人表决) on one poll.

Each ballot maps nominee → choice (赞成/反对/弃权); a nominee left out, or mapped to
None, is 未按 for that nominee.  Each nominee passes on their own by the threshold.
Appointment ballots (表决票) allow no write-ins.  See ``README.md`` beside this file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .motion import Choice, InvalidReason, first_reason, parse_mark
from .threshold import MAJORITY_OF_ENTITLED, Threshold, check_count

__all__ = ["NomineeResult", "AppointmentResult", "check_appointment_ballot", "tally_appointment"]


def _check_options(name: str, options: Sequence[Hashable]) -> tuple:
    options = tuple(options)
    if not options:
        raise ValueError(f"no {name}")
    if len(set(options)) != len(options):
        raise ValueError(f"duplicate {name}")
    return options


def check_appointment_ballot(ballot: object, nominees: Iterable[Hashable]) -> InvalidReason | None:
    """None if ``ballot`` is a valid appointment ballot for ``nominees``, else why not.

    Invalid: not a mapping; a key that is not a nominee (including a name written in);
    an entry that is not a choice or blank; any write-in.
    """
    if not isinstance(ballot, Mapping):
        return InvalidReason.NOT_A_BALLOT
    nominee_set = set(nominees)
    reasons = []
    for key, value in ballot.items():
        if key not in nominee_set:
            reasons.append(InvalidReason.UNKNOWN_OPTION)
        try:
            mark = parse_mark(value)
        except ValueError:
            reasons.append(InvalidReason.UNKNOWN_CHOICE)
            continue
        if mark is not None and mark.write_in is not None:
            reasons.append(InvalidReason.WRITE_IN_NOT_ALLOWED)
    return first_reason(reasons)


@dataclass(frozen=True)
class NomineeResult:
    nominee: Hashable
    for_: int
    against: int
    abstain: int
    not_voted: int  # 未按: signed in and no mark for this nominee on a valid ballot, or no ballot
    cast: int  # for + against + abstain for this nominee
    required: int  # for-votes this nominee needs
    passed: bool

    def as_dict(self) -> dict:
        return {
            "nominee": self.nominee,
            "for": self.for_,
            "against": self.against,
            "abstain": self.abstain,
            "not_voted": self.not_voted,
            "cast": self.cast,
            "required": self.required,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class AppointmentResult:
    nominees: tuple[NomineeResult, ...]  # in the order nominated
    ballots: int  # returned (valid + invalid)
    valid_ballots: int
    invalid_ballots: int
    invalid_reasons: dict  # InvalidReason → count
    signed_in: int
    entitled: int
    rule: str  # e.g. 以全体代表的过半数通过
    threshold: Threshold

    @property
    def passed(self) -> tuple:
        """The nominees that passed, in the order nominated."""
        return tuple(n.nominee for n in self.nominees if n.passed)

    def nominee(self, nominee: Hashable) -> NomineeResult:
        for n in self.nominees:
            if n.nominee == nominee:
                return n
        raise KeyError(nominee)

    def as_dict(self) -> dict:
        return {
            "nominees": [n.as_dict() for n in self.nominees],
            "ballots": self.ballots,
            "valid_ballots": self.valid_ballots,
            "invalid_ballots": self.invalid_ballots,
            "invalid_reasons": {str(k): v for k, v in self.invalid_reasons.items()},
            "signed_in": self.signed_in,
            "entitled": self.entitled,
            "rule": self.rule,
            "threshold": self.threshold.to_dict(),
            "passed": list(self.passed),
        }


def tally_appointment(
    ballots: Iterable[object],
    nominees: Sequence[Hashable],
    signed_in: int,
    entitled: int,
    threshold: Threshold = MAJORITY_OF_ENTITLED,
    *,
    members_word: str = "代表",
) -> AppointmentResult:
    """Tally a person-by-person appointment poll.

    Invalid ballots count for nobody and are reported by reason.  For each nominee,
    ``for + against + abstain + not_voted + invalid_ballots == signed_in``.  For a
    threshold with base ``cast``, a nominee's cast is the marks for that nominee.
    ValueError on more ballots than ``signed_in``, ``signed_in > entitled``, no or
    duplicate nominees.
    """
    nominees = _check_options("nominees", nominees)
    check_count("signed_in", signed_in)
    check_count("entitled", entitled)
    if signed_in > entitled:
        raise ValueError(f"signed in ({signed_in}) exceeds entitled ({entitled})")
    ballots = list(ballots)
    if len(ballots) > signed_in:
        raise ValueError(f"{len(ballots)} ballots but only {signed_in} members signed in")

    counts = {n: Counter() for n in nominees}
    invalid = Counter()
    valid = 0
    for ballot in ballots:
        reason = check_appointment_ballot(ballot, nominees)
        if reason is not None:
            invalid[reason] += 1
            continue
        valid += 1
        for nominee, value in ballot.items():
            mark = parse_mark(value)
            if mark is not None:
                counts[nominee][mark.choice] += 1

    invalid_total = sum(invalid.values())
    results = []
    for nominee in nominees:
        c = counts[nominee]
        cast = c[Choice.FOR] + c[Choice.AGAINST] + c[Choice.ABSTAIN]
        results.append(
            NomineeResult(
                nominee=nominee,
                for_=c[Choice.FOR],
                against=c[Choice.AGAINST],
                abstain=c[Choice.ABSTAIN],
                not_voted=signed_in - cast - invalid_total,
                cast=cast,
                required=threshold.required(entitled, signed_in, cast),
                passed=threshold.passes(c[Choice.FOR], entitled, signed_in, cast),
            )
        )
    return AppointmentResult(
        nominees=tuple(results),
        ballots=len(ballots),
        valid_ballots=valid,
        invalid_ballots=invalid_total,
        invalid_reasons=dict(invalid),
        signed_in=signed_in,
        entitled=entitled,
        rule=threshold.describe(members_word),
        threshold=threshold,
    )
