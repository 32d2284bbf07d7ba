"""Quorum (法定人数) and attendance figures (应到/实到/请假/缺席/列席) as pure functions.

No Django here, and no floats: every comparison is exact, with integers and
``fractions.Fraction``.  See ``voting/rules/README.md`` for the specification.

The law (see 《全国人民代表大会议事规则》, 《全国人民代表大会常务委员会议事规则》 and
《地方各级人民代表大会和地方各级人民政府组织法》):

* a plenary may be held only with two-thirds or more of all deputies present
  (``PLENARY``: present >= 2/3 x entitled);
* a standing-committee meeting only with more than half of all its component members
  (``STANDING_COMMITTEE``: present > 1/2 x entitled).

"Present" is 实到 (signed in); the base is always 应到 (all members entitled to attend),
never those present.  With nobody entitled there is never a quorum.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "Comparison",
    "QuorumRule",
    "PLENARY",
    "STANDING_COMMITTEE",
    "Attendance",
    "ATTENDANCE_LABELS",
    "attendance",
    "quorum_reached",
    "needed",
]


class Comparison(enum.StrEnum):
    MORE_THAN = "more_than"  # 过半数 / 超过…: strictly greater than fraction x base
    AT_LEAST = "at_least"  # 三分之二以上 (以上 includes the number itself): >= fraction x base


def _check_count(name: str, value: object) -> int:
    # bool is an int subclass; True present members is a bug, not a count.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def _to_fraction(value: object) -> Fraction:
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"fraction must be exact (Fraction, int or 'p/q'), got {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (int, str)):
        try:
            return Fraction(value)
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"not a fraction: {value!r}") from exc
    raise ValueError(f"fraction must be exact (Fraction, int or 'p/q'), got {value!r}")


# --- Chinese wording (data) -------------------------------------------------------------

_DIGITS = "零一二三四五六七八九"
_UNITS = ["", "十", "百", "千"]


def _zh_below_10000(n: int) -> str:
    out = []
    zero_pending = False
    for power in (3, 2, 1, 0):
        digit = n // 10**power % 10
        if digit == 0:
            if out:
                zero_pending = True
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(_DIGITS[digit] + _UNITS[power])
    return "".join(out)


def zh_number(n: int) -> str:
    """A non-negative integer in Chinese numerals: 2 → 二, 10 → 十, 105 → 一百零五."""
    if n < 0:
        raise ValueError("negative")
    if n == 0:
        return "零"
    if n >= 10**8:
        return str(n)
    high, low = divmod(n, 10_000)
    if high:
        text = _zh_below_10000(high) + "万"
        if low:
            text += ("零" if low < 1000 else "") + _zh_below_10000(low)
    else:
        text = _zh_below_10000(low)
    # 十 alone at the head is read 十, not 一十 (十五, not 一十五).
    if text.startswith("一十"):
        text = text[1:]
    return text


def zh_fraction(f: Fraction) -> str:
    """2/3 → 三分之二 (the denominator comes first in Chinese)."""
    return f"{zh_number(f.denominator)}分之{zh_number(f.numerator)}"


# How much of the base must be present, by (comparison, fraction); anything else is built
# by the generic patterns below.
QUORUM_AMOUNT_ZH = {
    (Comparison.MORE_THAN, Fraction(1, 2)): "过半数",
    (Comparison.AT_LEAST, Fraction(1, 2)): "半数以上",
    (Comparison.AT_LEAST, Fraction(1)): "全数",
}
QUORUM_PATTERN_ZH = {
    Comparison.MORE_THAN: "超过{fraction}",
    Comparison.AT_LEAST: "{fraction}以上",
}
QUORUM_TEMPLATE_ZH = "须有全体{members}的{amount}出席"

QUORUM_AMOUNT_EN = {
    (Comparison.MORE_THAN, Fraction(1, 2)): "more than half",
    (Comparison.AT_LEAST, Fraction(1)): "all",
}
QUORUM_PATTERN_EN = {
    Comparison.MORE_THAN: "more than {fraction}",
    Comparison.AT_LEAST: "at least {fraction}",
}
QUORUM_TEMPLATE_EN = "{amount} of all {members} present"


# --- the rule ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuorumRule:
    """``present`` reaches quorum when it is more than / at least ``fraction`` x entitled.

    The base is always ``"entitled"`` (应到); it is kept as a field so the rule reads as
    data alongside the voting thresholds.
    """

    comparison: Comparison
    fraction: Fraction
    base: str = "entitled"

    def __post_init__(self):
        try:
            comparison = Comparison(self.comparison)
        except ValueError as exc:
            raise ValueError(f"comparison must be 'more_than' or 'at_least', got {self.comparison!r}") from exc
        fraction = _to_fraction(self.fraction)
        if not (0 < fraction <= 1):
            raise ValueError(f"fraction must be in (0, 1], got {fraction}")
        if comparison is Comparison.MORE_THAN and fraction == 1:
            raise ValueError("'more than all' can never be reached")
        if self.base != "entitled":
            raise ValueError("a quorum is always counted against the entitled members (应到)")
        object.__setattr__(self, "comparison", comparison)
        object.__setattr__(self, "fraction", fraction)

    def reached(self, entitled: int, present: int) -> bool:
        return quorum_reached(self, entitled, present)

    def needed(self, entitled: int) -> int:
        return needed(self, entitled)

    def describe(self, members_word: str = "代表") -> str:
        """E.g. ``须有全体代表的三分之二以上出席`` / ``须有全体组成人员的过半数出席``."""
        key = (self.comparison, self.fraction)
        amount = QUORUM_AMOUNT_ZH.get(key) or QUORUM_PATTERN_ZH[self.comparison].format(
            fraction=zh_fraction(self.fraction)
        )
        return QUORUM_TEMPLATE_ZH.format(members=members_word, amount=amount)

    def describe_en(self, members_word: str = "deputies") -> str:
        key = (self.comparison, self.fraction)
        amount = QUORUM_AMOUNT_EN.get(key) or QUORUM_PATTERN_EN[self.comparison].format(
            fraction=f"{self.fraction.numerator}/{self.fraction.denominator}"
        )
        return QUORUM_TEMPLATE_EN.format(members=members_word, amount=amount)

    def to_dict(self) -> dict:
        return {
            "base": self.base,
            "comparison": str(self.comparison),
            "fraction": f"{self.fraction.numerator}/{self.fraction.denominator}",
        }

    @classmethod
    def from_dict(cls, data: dict) -> "QuorumRule":
        return cls(
            comparison=data["comparison"],
            fraction=data["fraction"],
            base=data.get("base", "entitled"),
        )


PLENARY = QuorumRule(Comparison.AT_LEAST, Fraction(2, 3))
STANDING_COMMITTEE = QuorumRule(Comparison.MORE_THAN, Fraction(1, 2))


def _validate(entitled: int, present: int) -> None:
    _check_count("entitled", entitled)
    _check_count("present", present)
    if present > entitled:
        raise ValueError(f"present ({present}) exceeds entitled ({entitled})")


def quorum_reached(rule: QuorumRule, entitled: int, present: int) -> bool:
    """True when ``present`` signed-in members make a quorum of ``entitled`` under ``rule``."""
    _validate(entitled, present)
    if entitled == 0:
        return False
    target = rule.fraction * entitled
    if rule.comparison is Comparison.MORE_THAN:
        return present > target
    return present >= target


def needed(rule: QuorumRule, entitled: int) -> int:
    """The smallest number present that reaches quorum.

    For every ``0 <= present <= entitled``: ``quorum_reached(rule, entitled, present)`` if
    and only if ``present >= needed(rule, entitled)``.  With ``entitled == 0`` this is 1,
    larger than ``entitled``: unreachable.
    """
    _check_count("entitled", entitled)
    p, q = rule.fraction.numerator, rule.fraction.denominator
    if rule.comparison is Comparison.MORE_THAN:
        n = p * entitled // q + 1  # floor(f x e) + 1
    else:
        n = -(-p * entitled // q)  # ceil(f x e)
    return max(n, 1)


# --- attendance figures ------------------------------------------------------------------

ATTENDANCE_LABELS = {
    "entitled": "应到",
    "present": "实到",
    "on_leave": "请假",
    "absent": "缺席",
    "attendees": "列席",
}


@dataclass(frozen=True)
class Attendance:
    entitled: int  # 应到: members entitled to attend
    present: int  # 实到: signed in
    on_leave: int  # 请假: granted leave, not signed in
    absent: int  # 缺席: entitled − present − on_leave
    attendees: int  # 列席: non-members attending; never part of the quorum
    quorum_reached: bool | None = None  # set when a rule was given
    needed: int | None = None  # smallest 实到 that reaches quorum, when a rule was given

    def as_dict(self) -> dict:
        return {
            "entitled": self.entitled,
            "present": self.present,
            "on_leave": self.on_leave,
            "absent": self.absent,
            "attendees": self.attendees,
            "quorum_reached": self.quorum_reached,
            "needed": self.needed,
        }


def attendance(
    entitled: int,
    present: int,
    on_leave: int,
    attendees: int = 0,
    *,
    rule: QuorumRule | None = None,
) -> Attendance:
    """The 应到/实到/请假/缺席/列席 figures; with ``rule``, also whether quorum is reached.

    Raises ValueError unless all counts are non-negative ints and
    ``present + on_leave <= entitled`` (a member who signs in is no longer on leave).
    """
    _check_count("entitled", entitled)
    _check_count("present", present)
    _check_count("on_leave", on_leave)
    _check_count("attendees", attendees)
    if present + on_leave > entitled:
        raise ValueError(
            f"present ({present}) + on leave ({on_leave}) exceeds entitled ({entitled})"
        )
    reached = needed_count = None
    if rule is not None:
        reached = quorum_reached(rule, entitled, present)
        needed_count = needed(rule, entitled)
    return Attendance(
        entitled=entitled,
        present=present,
        on_leave=on_leave,
        absent=entitled - present - on_leave,
        attendees=attendees,
        quorum_reached=reached,
        needed=needed_count,
    )
