"""Tally of a single motion (议案/决议/法律草案): 赞成 / 反对 / 弃权, and 未按.

A signed-in member who presses nothing is 未按 (not voted): reported, never a vote.
Only signed-in members vote, so more ballots than members signed in is an error.
See ``README.md`` beside this file.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from .threshold import MAJORITY_OF_ENTITLED, Threshold, check_count

__all__ = [
    "Choice",
    "CHOICE_LABELS",
    "NOT_VOTED_LABEL",
    "parse_choice",
    "Mark",
    "parse_mark",
    "InvalidReason",
    "INVALID_REASON_LABELS",
    "MotionResult",
    "tally_motion",
]


class Choice(enum.StrEnum):
    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"

    @property
    def label(self) -> str:
        return CHOICE_LABELS[self]


CHOICE_LABELS = {Choice.FOR: "赞成", Choice.AGAINST: "反对", Choice.ABSTAIN: "弃权"}
NOT_VOTED_LABEL = "未按"


def parse_choice(value: object) -> Choice:
    """``Choice`` from a ``Choice`` or its value (``"for"``, ``"against"``, ``"abstain"``).

    Anything else, including None, is ValueError.
    """
    if isinstance(value, Choice):
        return value
    if isinstance(value, str):
        try:
            return Choice(value)
        except ValueError:
            pass
    raise ValueError(f"not a choice: {value!r}")


def _normalize_write_in(value: object) -> Hashable | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, bool):
        raise ValueError(f"not a write-in: {value!r}")
    try:
        hash(value)
    except TypeError as exc:
        raise ValueError(f"not a write-in: {value!r}") from exc
    return value


@dataclass(frozen=True)
class Mark:
    """One mark on a per-person ballot: a choice, and for an election ballot possibly a
    person written in (另选他人) beside it.  Blank or whitespace write-ins are no write-in.
    Whether a write-in is allowed is the ballot's rule, not the mark's."""

    choice: Choice
    write_in: Hashable | None = None

    def __post_init__(self):
        object.__setattr__(self, "choice", parse_choice(self.choice))
        object.__setattr__(self, "write_in", _normalize_write_in(self.write_in))


def parse_mark(value: object) -> Mark | None:
    """A ballot entry as a ``Mark``; None means left blank (未按 for that person).

    Accepted: None, a ``Mark``, a choice (``Choice`` or its value), or a pair
    ``(choice, write_in)``.  Anything else is ValueError.
    """
    if value is None:
        return None
    if isinstance(value, Mark):
        return value
    if isinstance(value, (Choice, str)):
        return Mark(parse_choice(value))
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return Mark(value[0], value[1])
    raise ValueError(f"not a mark: {value!r}")


class InvalidReason(enum.StrEnum):
    """Why a ballot is invalid (废票).  When a ballot has several faults, the first in this
    order is reported."""

    NOT_A_BALLOT = "not_a_ballot"
    UNKNOWN_OPTION = "unknown_option"  # nominee / candidate / project not on the ballot
    UNKNOWN_CHOICE = "unknown_choice"
    WRITE_IN_NOT_ALLOWED = "write_in_not_allowed"
    DUPLICATE_OPTION = "duplicate_option"
    DUPLICATE_WRITE_IN = "duplicate_write_in"
    WRITE_IN_IS_CANDIDATE = "write_in_is_candidate"
    TOO_MANY = "too_many"  # elects more than the seats / marks more than N projects


INVALID_REASON_LABELS = {
    InvalidReason.NOT_A_BALLOT: "无法识别的选票",
    InvalidReason.UNKNOWN_OPTION: "选票上没有的人选或项目",
    InvalidReason.UNKNOWN_CHOICE: "无法识别的选择",
    InvalidReason.WRITE_IN_NOT_ALLOWED: "不允许的另选他人",
    InvalidReason.DUPLICATE_OPTION: "重复选择同一项目",
    InvalidReason.DUPLICATE_WRITE_IN: "重复另选同一人",
    InvalidReason.WRITE_IN_IS_CANDIDATE: "另选的人是候选人",
    InvalidReason.TOO_MANY: "所选多于应选",
}


def first_reason(reasons: Iterable[InvalidReason]) -> InvalidReason | None:
    """The reason reported for a ballot with these faults (None: the ballot is valid)."""
    order = list(InvalidReason)
    found = sorted(set(reasons), key=order.index)
    return found[0] if found else None


@dataclass(frozen=True)
class MotionResult:
    for_: int  # 赞成
    against: int  # 反对
    abstain: int  # 弃权
    not_voted: int  # 未按: signed in, pressed nothing
    cast: int  # for + against + abstain
    signed_in: int  # 实到
    entitled: int  # 应到
    passed: bool
    required: int  # minimum for-votes to pass
    rule: str  # e.g. 以全体代表的过半数通过
    threshold: Threshold

    def as_dict(self) -> dict:
        return {
            "for": self.for_,
            "against": self.against,
            "abstain": self.abstain,
            "not_voted": self.not_voted,
            "cast": self.cast,
            "signed_in": self.signed_in,
            "entitled": self.entitled,
            "passed": self.passed,
            "required": self.required,
            "rule": self.rule,
            "threshold": self.threshold.to_dict(),
        }


def tally_motion(
    ballots: Iterable[object],
    signed_in: int,
    entitled: int,
    threshold: Threshold = MAJORITY_OF_ENTITLED,
    *,
    members_word: str = "代表",
) -> MotionResult:
    """Count the choices cast by signed-in members and apply ``threshold``.

    ``ballots`` holds one choice per member who voted (members who pressed nothing are
    simply absent from it).  ValueError on an unknown choice, on more ballots than
    ``signed_in``, or on ``signed_in > entitled``.
    """
    check_count("signed_in", signed_in)
    check_count("entitled", entitled)
    if signed_in > entitled:
        raise ValueError(f"signed in ({signed_in}) exceeds entitled ({entitled})")
    counts = Counter(parse_choice(b) for b in ballots)
    cast = sum(counts.values())
    if cast > signed_in:
        raise ValueError(f"{cast} ballots but only {signed_in} members signed in")
    votes_for = counts[Choice.FOR]
    return MotionResult(
        for_=votes_for,
        against=counts[Choice.AGAINST],
        abstain=counts[Choice.ABSTAIN],
        not_voted=signed_in - cast,
        cast=cast,
        signed_in=signed_in,
        entitled=entitled,
        passed=threshold.passes(votes_for, entitled, signed_in, cast),
        required=threshold.required(entitled, signed_in, cast),
        rule=threshold.describe(members_word),
        threshold=threshold,
    )
