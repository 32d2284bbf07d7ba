"""Tokens and principals: who may connect as what."""

import pytest
from django.core import signing

from meeting.access import TOKEN_SALT, check_token, delegate, make_token
from meeting.errors import ServiceError
from tests.factories import make_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting_and_members():
    return make_meeting(deputies=2, attendees=1)


def test_a_tablet_token_names_its_member(meeting_and_members):
    meeting, members = meeting_and_members
    assert check_token(make_token("tablet", meeting.id, members[1].id), "tablet", meeting.id) == members[1].id


@pytest.mark.parametrize("mangle, code", [
    (lambda t, m, mem: "", "no_token"),
    (lambda t, m, mem: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1], "bad_token"),
    (lambda t, m, mem: signing.dumps({"k": "tablet", "m": m.id, "p": mem.id}, key="k" * 50, salt=TOKEN_SALT),
     "bad_token"),
    (lambda t, m, mem: signing.dumps({"k": "tablet", "m": m.id, "p": mem.id}, salt="another.salt"), "bad_token"),
    (lambda t, m, mem: make_token("display", m.id), "wrong_role"),
    (lambda t, m, mem: make_token("tablet", m.id + 1, mem.id), "wrong_meeting"),
    (lambda t, m, mem: make_token("tablet", m.id, 10**9), "not_participant"),
    (lambda t, m, mem: "x" * 600, "no_token"),
])
def test_bad_tablet_tokens_are_refused_with_a_reason(meeting_and_members, mangle, code):
    meeting, members = meeting_and_members
    token = mangle(make_token("tablet", meeting.id, members[0].id), meeting, members[0])
    with pytest.raises(ServiceError) as refused:
        check_token(token, "tablet", meeting.id)
    assert refused.value.code == code


def test_voting_members_may_vote_and_attendees_may_only_attend(meeting_and_members):
    meeting, members = meeting_and_members
    deputy, attendee = delegate(meeting.id, members[0].id), delegate(meeting.id, members[2].id)
    assert deputy.has_perm("meeting.vote_in_meeting") and deputy.has_perm("meeting.attend_meeting")
    assert attendee.has_perm("meeting.attend_meeting") and not attendee.has_perm("meeting.vote_in_meeting")
    assert not deputy.has_perm("meeting.operate_meeting")
