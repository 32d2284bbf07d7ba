"""Pass thresholds as data: base (entitled / present / cast), comparison and an exact fraction.

No Django, no floats.  See ``README.md`` beside this file for the specification.

Resolutions, laws and appointments pass with more than half of ALL entitled members
(全体代表/全体组成人员的过半数, ``MAJORITY_OF_ENTITLED``); constitutional amendments need
two-thirds or more of all deputies (``TWO_THIRDS_OF_ENTITLED``).  See
《全国人民代表大会议事规则》 and 《全国人民代表大会常务委员会议事规则》.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "Base",
    "Comparison",
    "Threshold",
    "MAJORITY_OF_ENTITLED",
    "TWO_THIRDS_OF_ENTITLED",
    "check_count",
    "check_counts",
    "zh_number",
    "zh_fraction",
]


class Base(enum.StrEnum):
    ENTITLED = "entitled"  # 应到: all members entitled to attend (全体代表 / 全体组成人员)
    PRESENT = "present"  # 实到: signed in (出席)
    CAST = "cast"  # ballots cast (参加表决)


class Comparison(enum.StrEnum):
    MORE_THAN = "more_than"  # strictly greater than fraction x base (过半数 = more than 1/2)
    AT_LEAST = "at_least"  # greater than or equal (三分之二以上: 以上 includes the number)


def check_count(name: str, value: object) -> int:
    """``value`` as a count: a non-negative int (bool refused), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def check_counts(entitled: int, present: int, cast: int) -> None:
    """Non-negative ints with ``cast <= present <= entitled``, else ValueError."""
    check_count("entitled", entitled)
    check_count("present", present)
    check_count("cast", cast)
    if present > entitled:
        raise ValueError(f"present ({present}) exceeds entitled ({entitled})")
    if cast > present:
        raise ValueError(f"cast ({cast}) exceeds present ({present})")


def _to_fraction(value: object) -> Fraction:
    if isinstance(value, (bool, float)):
        raise ValueError(f"fraction must be exact (Fraction, int or 'p/q'), got {value!r}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (int, str)):
        try:
            return Fraction(value)
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"not a fraction: {value!r}") from exc
    raise ValueError(f"fraction must be exact (Fraction, int or 'p/q'), got {value!r}")


# --- Chinese numerals ----------------------------------------------------------------------

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
    if text.startswith("一十"):  # 十五, not 一十五
        text = text[1:]
    return text


def zh_fraction(f: Fraction) -> str:
    """2/3 → 三分之二 (denominator first)."""
    return f"{zh_number(f.denominator)}分之{zh_number(f.numerator)}"


# --- wording (data) ------------------------------------------------------------------------

# "以{base}{members}的{amount}通过": 以全体代表的过半数通过, 以全体代表的三分之二以上多数通过.
DESCRIPTION_TEMPLATE_ZH = "以{base}{members}的{amount}通过"
BASE_WORDS_ZH = {
    Base.ENTITLED: "全体",
    Base.PRESENT: "出席会议的",
    Base.CAST: "参加表决的",
}
AMOUNT_WORDS_ZH = {
    (Comparison.MORE_THAN, Fraction(1, 2)): "过半数",
    (Comparison.AT_LEAST, Fraction(1, 2)): "半数以上",
    (Comparison.AT_LEAST, Fraction(2, 3)): "三分之二以上多数",
    (Comparison.AT_LEAST, Fraction(1)): "全数",
}
AMOUNT_PATTERNS_ZH = {
    # for fractions above one half the amount is a majority (多数)
    (Comparison.MORE_THAN, True): "超过{fraction}的多数",
    (Comparison.MORE_THAN, False): "超过{fraction}",
    (Comparison.AT_LEAST, True): "{fraction}以上多数",
    (Comparison.AT_LEAST, False): "{fraction}以上",
}

DESCRIPTION_TEMPLATE_EN = "passed by {amount} of {base} {members}"
BASE_WORDS_EN = {
    Base.ENTITLED: "all",
    Base.PRESENT: "the present",
    Base.CAST: "the voting",
}
AMOUNT_WORDS_EN = {
    (Comparison.MORE_THAN, Fraction(1, 2)): "more than half",
    (Comparison.AT_LEAST, Fraction(1)): "all",
}
AMOUNT_PATTERNS_EN = {
    Comparison.MORE_THAN: "more than {fraction}",
    Comparison.AT_LEAST: "at least {fraction}",
}


# --- the threshold -------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """A motion passes when its for-votes are more than / at least ``fraction`` x base.

    ``base`` picks the count the fraction applies to: ``entitled`` (应到, the default in
    law), ``present`` (实到) or ``cast`` (ballots cast).  ``fraction`` is exact, in (0, 1];
    "more than all" is refused because it can never pass.  Strings are accepted for every
    field so that a threshold round-trips through JSON (``to_dict`` / ``from_dict``).

    Nothing ever passes with zero for-votes, so with a base of 0 nothing passes.
    """

    base: Base
    comparison: Comparison
    fraction: Fraction

    def __post_init__(self):
        try:
            base = Base(self.base)
        except ValueError as exc:
            raise ValueError(f"base must be entitled, present or cast, got {self.base!r}") from exc
        try:
            comparison = Comparison(self.comparison)
        except ValueError as exc:
            raise ValueError(
                f"comparison must be more_than or at_least, got {self.comparison!r}"
            ) from exc
        fraction = _to_fraction(self.fraction)
        if not (0 < fraction <= 1):
            raise ValueError(f"fraction must be in (0, 1], got {fraction}")
        if comparison is Comparison.MORE_THAN and fraction == 1:
            raise ValueError("'more than all' can never pass")
        object.__setattr__(self, "base", base)
        object.__setattr__(self, "comparison", comparison)
        object.__setattr__(self, "fraction", fraction)

    # -- arithmetic --

    def base_count(self, entitled: int, present: int, cast: int) -> int:
        check_counts(entitled, present, cast)
        return {Base.ENTITLED: entitled, Base.PRESENT: present, Base.CAST: cast}[self.base]

    def passes(self, votes_for: int, entitled: int, present: int, cast: int) -> bool:
        """True when ``votes_for`` meets the threshold.

        ValueError unless all counts are non-negative ints with
        ``votes_for <= cast <= present <= entitled``.
        """
        check_count("votes_for", votes_for)
        base = self.base_count(entitled, present, cast)
        if votes_for > cast:
            raise ValueError(f"votes for ({votes_for}) exceed votes cast ({cast})")
        if votes_for == 0:
            return False
        target = self.fraction * base
        if self.comparison is Comparison.MORE_THAN:
            return votes_for > target
        return votes_for >= target

    def required(self, entitled: int, present: int, cast: int) -> int:
        """The minimum number of for-votes that passes (always >= 1).

        ``passes(v, …)`` if and only if ``v >= required(…)``.  The result may exceed
        ``cast`` (or even ``entitled``): then the motion cannot pass.
        """
        base = self.base_count(entitled, present, cast)
        p, q = self.fraction.numerator, self.fraction.denominator
        if self.comparison is Comparison.MORE_THAN:
            n = p * base // q + 1
        else:
            n = -(-p * base // q)
        return max(n, 1)

    # -- wording --

    def describe(self, members_word: str = "代表") -> str:
        """E.g. ``以全体代表的过半数通过``, ``以全体组成人员的过半数通过``,
        ``以全体代表的三分之二以上多数通过``."""
        amount = AMOUNT_WORDS_ZH.get((self.comparison, self.fraction))
        if amount is None:
            pattern = AMOUNT_PATTERNS_ZH[(self.comparison, self.fraction > Fraction(1, 2))]
            amount = pattern.format(fraction=zh_fraction(self.fraction))
        return DESCRIPTION_TEMPLATE_ZH.format(
            base=BASE_WORDS_ZH[self.base], members=members_word, amount=amount
        )

    def describe_en(self, members_word: str = "deputies") -> str:
        amount = AMOUNT_WORDS_EN.get((self.comparison, self.fraction))
        if amount is None:
            amount = AMOUNT_PATTERNS_EN[self.comparison].format(
                fraction=f"{self.fraction.numerator}/{self.fraction.denominator}"
            )
        return DESCRIPTION_TEMPLATE_EN.format(
            amount=amount, base=BASE_WORDS_EN[self.base], members=members_word
        )

    # -- data --

    def to_dict(self) -> dict:
        return {
            "base": str(self.base),
            "comparison": str(self.comparison),
            "fraction": f"{self.fraction.numerator}/{self.fraction.denominator}",
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Threshold":
        return cls(base=data["base"], comparison=data["comparison"], fraction=data["fraction"])


MAJORITY_OF_ENTITLED = Threshold(Base.ENTITLED, Comparison.MORE_THAN, Fraction(1, 2))
TWO_THIRDS_OF_ENTITLED = Threshold(Base.ENTITLED, Comparison.AT_LEAST, Fraction(2, 3))
