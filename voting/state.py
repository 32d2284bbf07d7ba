"""What each view sees of voting, as snapshot parts and as the patches services publish."""

from django.utils import timezone

from meeting.models import Meeting, Participant
from meeting.snapshot import register_part, register_personal_part

from .models import Poll, Turnout

# Once opened, a poll stays on the hall's screens (even cancelled) until the next one opens.
SHOWN_STATES = (Poll.State.OPEN, Poll.State.PAUSED, Poll.State.CLOSED, Poll.State.ANNOUNCED, Poll.State.CANCELLED)


def _iso(dt):
    return timezone.localtime(dt).isoformat() if dt else None


def threshold_label(poll):
    from .results import threshold_of

    return threshold_of(poll).describe(members_word(poll.meeting))


def members_word(meeting):
    return "代表" if meeting.kind == Meeting.Kind.PLENARY else "组成人员"


def poll_public(poll, with_result):
    return {
        "id": poll.id,
        "title": poll.title,
        "kind": poll.kind,
        "agenda_item": poll.agenda_item_id,
        "nominees": poll.nominees,
        "state": poll.state,
        "state_label": str(Poll.State(poll.state).label),
        "anonymous": poll.anonymous,
        "allow_change": poll.allow_change,
        "countdown_seconds": poll.countdown_seconds,
        "opened_at": _iso(poll.opened_at),
        "closes_at": _iso(poll.closes_at) if poll.state == Poll.State.OPEN else None,
        "remaining_at_pause": poll.remaining_at_pause if poll.state == Poll.State.PAUSED else None,
        "threshold": threshold_label(poll),
        "result": poll.result if with_result and poll.result else None,
    }


def current_poll(meeting_id):
    """The poll on the hall's screens: the last one opened (or hand-counted)."""
    return (
        Poll.objects.filter(meeting_id=meeting_id, state__in=SHOWN_STATES, opened_at__isnull=False)
        .select_related("meeting").order_by("-opened_at", "-id").first()
    )


def poll_for_view(poll, view):
    if poll is None:
        return None
    shows_result = poll.state == Poll.State.ANNOUNCED or (view == "console" and poll.result)
    return poll_public(poll, with_result=shows_result)


def poll_list(meeting_id):
    return [
        {"id": p.id, "title": p.title, "kind": p.kind, "state": p.state,
         "state_label": str(Poll.State(p.state).label), "agenda_item": p.agenda_item_id,
         "anonymous": p.anonymous, "passed": _passed_summary(p.result)}
        for p in Poll.objects.filter(meeting_id=meeting_id).order_by("id")
    ]


def _passed_summary(result):
    if not result:
        return None
    if "passed" in result and isinstance(result["passed"], bool):
        return result["passed"]
    return result.get("passed")


def turnout_ids(poll):
    row = Turnout.objects.filter(poll=poll).values_list("member_ids", flat=True).first()
    return row or []


def progress(poll):
    from .eligibility import entitled_count, present_voting_member_ids

    voted = turnout_ids(poll)
    present = present_voting_member_ids(poll.meeting_id)
    return {"poll": poll.id, "voted": len(voted), "signed_in": len(present | set(voted)),
            "entitled": entitled_count(poll.meeting_id)}


def not_voted_names(poll):
    """Named polls only: the console may see who, signed in, has not voted yet."""
    if poll.anonymous:
        return None
    from .eligibility import present_voting_member_ids

    missing = present_voting_member_ids(poll.meeting_id) - set(turnout_ids(poll))
    return sorted(
        Participant.objects.filter(meeting_id=poll.meeting_id, member_id__in=missing)
        .values_list("member__name", flat=True)
    )


def console_not_voted(poll):
    if poll is None or poll.state not in (Poll.State.OPEN, Poll.State.PAUSED):
        return None
    return not_voted_names(poll)


def my_vote(poll, member_id):
    if poll is None or member_id is None:
        return None
    voted = member_id in set(turnout_ids(poll))
    mine = {"poll": poll.id, "voted": voted}
    if voted and not poll.anonymous:
        entry = poll.entries.filter(member_id=member_id).order_by("-position").first()  # the live one
        if entry is not None:
            mine.update(choice=entry.choice, receipt={"position": entry.position, "entry_hash": entry.entry_hash})
    return mine


# The views that see the live vote count (poll_progress). Not tablets: a delegate's tablet does not
# show it, and each progress event to 3,000 tablets cost ≈ 100 ms of the server's CPU mid-vote.
PROGRESS_VIEWS = ("display", "console")


@register_part
def voting_part(meeting, view):
    poll = current_poll(meeting.id)
    part = {"poll": poll_for_view(poll, view)}
    if view in PROGRESS_VIEWS:
        part["poll_progress"] = progress(poll) if poll else None
    if view == "console":
        part["polls"] = poll_list(meeting.id)
        part["not_voted"] = console_not_voted(poll)
    return part


@register_personal_part
def my_vote_part(meeting, member_ids, shared):
    shown = shared.get("poll")
    if shown is None:
        return {m: {"my_vote": None} for m in member_ids}
    poll = Poll.objects.select_related("meeting").get(pk=shown["id"])
    voted = set(turnout_ids(poll))
    if poll.anonymous:
        return {m: {"my_vote": {"poll": poll.id, "voted": m in voted}} for m in member_ids}
    return {m: {"my_vote": my_vote(poll, m)} for m in member_ids}


def ballot_patch(poll, choice, receipt):
    """The state patch the ballot's acknowledgement carries to its tablet (never an event: an
    event per voter would leave a trace of who voted when, next to the log). ``poll`` needs only
    ``id`` and ``anonymous``: a Poll, or the intake's PollFacts."""
    mine = {"poll": poll.id, "voted": True}
    if not poll.anonymous:
        mine.update(choice=choice, receipt={"position": receipt["position"], "entry_hash": receipt["entry_hash"]})
    return {"my_vote": mine}
