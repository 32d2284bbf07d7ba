"""Turning a closed poll's log into its frozen, signed result, with the pure rules."""

from fractions import Fraction

from . import canonical, signing
from .rules import Threshold, tally_appointment, tally_motion


def threshold_of(poll):
    return Threshold(poll.threshold_base, poll.threshold_comparison,
                     Fraction(poll.threshold_numerator, poll.threshold_denominator))


def live_choices(entries):
    """The choices that count: every entry not replaced by a later one (allow_change polls)."""
    superseded = {e.supersedes for e in entries if e.supersedes is not None}
    return [e.choice for e in entries if e.position not in superseded]


def tally(poll, choices, signed_in, entitled):
    from .state import members_word

    word = members_word(poll.meeting)
    if poll.kind == "motion":
        result = tally_motion(choices, signed_in, entitled, threshold_of(poll), members_word=word)
    else:
        ids = [n["id"] for n in poll.nominees]
        ballots = [{int(k): v for k, v in choice.items()} for choice in choices]
        result = tally_appointment(ballots, ids, signed_in, entitled, threshold_of(poll), members_word=word)
    data = result.as_dict()
    if poll.kind == "appointment":
        names = {n["id"]: n for n in poll.nominees}
        for row in data["nominees"]:
            row["name"] = names[row["nominee"]]["name"]
            row["post"] = names[row["nominee"]].get("post", "")
    return data


def sign_result(poll, result):
    message = canonical.result_message(poll.meeting_id, poll.id, poll.log_head, poll.log_length, result)
    return signing.sign(message)
