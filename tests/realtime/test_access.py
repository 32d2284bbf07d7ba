"""Principals: who may connect as what.

Tablets and displays are paired devices: they connect by signing the server's challenge
(devices.services.authenticate), and a tablet acts for the member bound to it in that meeting.
The device refusals on real sockets are in tests/devices/test_device_sockets.py.
"""

import pytest
from django.contrib.auth.models import User

from devices import services as devices
from meeting.access import delegate
from meeting.errors import ServiceError
from meeting.models import Meeting, Participant, Seat
from tests.devicekit import DeviceKey
from tests.factories import make_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting_and_members():
    return make_meeting(deputies=2, attendees=1)


def pair(kind, meeting, seat=None):
    operator = User.objects.get_or_create(username="op-access")[0]
    code = devices.create_pairing_code(kind, meeting.venue_id, seat.id if seat else None, operator)
    key = DeviceKey()
    key.device_id = str(devices.pair_device(code, key.public_b64, key.pairing_signature(code)).id)
    return key


def connect(key, kind, meeting_id, signature=None):
    """What the socket does: a fresh challenge, the device's answer, the server's check."""
    nonce = devices.new_nonce()
    return devices.authenticate(key.device_id, kind, meeting_id, nonce,
                                signature or key.auth_signature(meeting_id, nonce))


def refused(*args, **kwargs):
    with pytest.raises(ServiceError) as refusal:
        connect(*args, **kwargs)
    return refusal.value.code


def test_a_tablet_acts_for_the_member_bound_to_it_in_that_meeting_only(meeting_and_members):
    meeting, members = meeting_and_members
    seat = Seat.objects.get(assignments__meeting=meeting, assignments__member=members[1])
    tablet = pair("tablet", meeting, seat)
    assert connect(tablet, "tablet", meeting.id)[1] is None  # paired, nobody identified yet
    devices.transfer_binding(meeting.id, members[1].id, tablet.device_id, None)
    device, member_id = connect(tablet, "tablet", meeting.id)
    assert str(device.id) == tablet.device_id and member_id == members[1].id
    # Another meeting in the same hall: the tablet may connect, but serves nobody there until a
    # member identifies on it (a binding never carries over from one meeting to the next).
    later = Meeting.objects.create(body=meeting.body, kind=meeting.kind, title="第二次全体会议", session_number=1,
                                   sitting_number=2, venue=meeting.venue, starts_at=meeting.starts_at)
    Participant.objects.create(meeting=later, member=members[1], role=Participant.Role.VOTING)
    assert connect(tablet, "tablet", later.id)[1] is None


def test_a_display_serves_nobody(meeting_and_members):
    meeting, _ = meeting_and_members
    device, member_id = connect(pair("display", meeting), "display", meeting.id)
    assert device.kind == "display" and member_id is None


@pytest.mark.parametrize("case, code", [
    ("display_on_the_tablet_socket", "wrong_role"),
    ("tablet_on_the_display_socket", "wrong_role"),
    ("display_of_another_hall", "wrong_meeting"),
    ("tablet_of_another_hall", "wrong_meeting"),
    ("another_key", "bad_signature"),
    ("answer_for_another_meeting", "bad_signature"),
    ("garbage_id", "unknown_device"),
    ("oversized_id", "unknown_device"),
    ("revoked", "device_revoked"),
])
def test_devices_are_refused_with_a_reason(meeting_and_members, case, code):
    meeting, _ = meeting_and_members
    other, _ = make_meeting(deputies=1, attendees=0, name="另一市人民代表大会")
    tablet = pair("tablet", meeting, Seat.objects.filter(venue=meeting.venue).first())
    display = pair("display", meeting)
    if case == "display_on_the_tablet_socket":
        assert refused(display, "tablet", meeting.id) == code
    elif case == "tablet_on_the_display_socket":
        assert refused(tablet, "display", meeting.id) == code
    elif case == "display_of_another_hall":
        assert refused(display, "display", other.id) == code
    elif case == "tablet_of_another_hall":
        assert refused(tablet, "tablet", other.id) == code
    elif case == "another_key":
        impostor = DeviceKey()
        impostor.device_id = tablet.device_id  # knows the id, not the key
        assert refused(impostor, "tablet", meeting.id) == code
    elif case == "answer_for_another_meeting":
        nonce = devices.new_nonce()
        with pytest.raises(ServiceError) as refusal:
            devices.authenticate(tablet.device_id, "tablet", meeting.id, nonce, tablet.auth_signature(other.id, nonce))
        assert refusal.value.code == code
    elif case in ("garbage_id", "oversized_id"):
        ghost = DeviceKey()
        ghost.device_id = "not-a-device" if case == "garbage_id" else "x" * 600
        assert refused(ghost, "tablet", meeting.id) == code
    elif case == "revoked":
        devices.revoke_device(tablet.device_id, None)
        assert refused(tablet, "tablet", meeting.id) == code


def test_voting_members_may_vote_and_attendees_may_only_attend(meeting_and_members):
    meeting, members = meeting_and_members
    deputy, attendee = delegate(meeting.id, members[0].id), delegate(meeting.id, members[2].id)
    assert deputy.has_perm("meeting.vote_in_meeting") and deputy.has_perm("meeting.attend_meeting")
    assert attendee.has_perm("meeting.attend_meeting") and not attendee.has_perm("meeting.vote_in_meeting")
    assert not deputy.has_perm("meeting.operate_meeting")
    with pytest.raises(ServiceError) as refusal:
        delegate(meeting.id, 10**9)
    assert refusal.value.code == "not_participant"


def test_device_pages_carry_no_credentials_and_the_console_links_demo_pairing(meeting_and_members, client, settings):
    from django.contrib.auth.models import Group

    from meeting.roles import OPERATOR, sync_role_groups

    meeting, _ = meeting_and_members
    for kind in ("tablet", "display"):
        # Whatever the query string says, the page is the same shell: the socket's challenge decides.
        plain = client.get(f"/{kind}/{meeting.id}/")
        old_link = client.get(f"/{kind}/{meeting.id}/?token=forged-or-not")
        assert plain.status_code == old_link.status_code == 200
        for page in (plain, old_link):
            assert b"data-socket" not in page.content and b"/ws/" not in page.content  # no socket URL is handed out
            assert f'data-meeting="{meeting.id}"'.encode() in page.content
            assert b"{#" not in page.content and b"{%" not in page.content  # no template syntax leaks

    sync_role_groups()
    operator = User.objects.create_user("op-links", password="x" * 12)
    operator.groups.add(Group.objects.get(name=OPERATOR))
    client.force_login(operator)
    settings.DEMO = True
    links = client.get(f"/console/{meeting.id}/").context["demo_links"]
    assert links["display"] == f"/demo/display/{meeting.id}/"
    assert links["tablets"] and all(t["url"].startswith(f"/demo/tablet/{meeting.id}/") for t in links["tablets"])
    assert client.get(links["display"]).status_code == 200
    settings.DEMO = False  # production: no demo links, and the demo pairing pages are gone
    assert client.get(f"/console/{meeting.id}/").context["demo_links"] is None
    assert client.get(links["display"]).status_code == 404
    assert client.get(links["tablets"][0]["url"]).status_code == 404
    assert client.post("/devices/demo-pair/", {}, content_type="application/json").status_code == 404
