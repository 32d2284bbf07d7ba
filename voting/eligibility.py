"""What voting needs to know from sign-in: who is present now, and whether there is quorum.
The one place voting reads the signin app, so the dependency stays narrow."""

from meeting.models import Meeting, Participant


def entitled_count(meeting_id):
    return Participant.objects.filter(meeting_id=meeting_id, role=Participant.Role.VOTING).count()


def _present_voting(meeting_id, among=None):
    from signin.models import SigninRecord

    signed = SigninRecord.objects.filter(meeting_id=meeting_id)
    participants = Participant.objects.filter(meeting_id=meeting_id, role=Participant.Role.VOTING)
    if among is not None:
        signed = signed.filter(member_id__in=among)
        participants = participants.filter(member_id__in=among)
    return participants.filter(member_id__in=signed.values("member_id"))


def present_voting_member_ids(meeting_id, among=None):
    """Voting members signed in to the meeting now; with ``among`` (member ids), only those of them
    (a group of ballots asks about its own voters, not the whole hall)."""
    return set(_present_voting(meeting_id, among).values_list("member_id", flat=True))


def all_present_voting(meeting_id, member_ids):
    """Whether every one of ``member_ids`` is a voting member signed in now: one row read, where
    present_voting_member_ids reads one per member (the ballot group's common case)."""
    return _present_voting(meeting_id, member_ids).count() == len(set(member_ids))


def quorum(meeting_id):
    """(reached, present, entitled, needed) under the meeting's rule."""
    from signin import selectors

    figures = selectors.attendance(Meeting.objects.get(pk=meeting_id))
    return figures["quorum"]["reached"], figures["present"], figures["entitled"], figures["quorum"]["needed"]
