"""Pairing, authentication and binding rules, at the service level."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from devices import services
from devices.models import Binding, Device, PairingCode
from meeting.errors import ServiceError
from meeting.models import AuditEntry, Seat
from signin import codes
from signin import services as signin_services
from tests.devicekit import DeviceKey
from tests.factories import make_meeting


@pytest.fixture
def hall(db):
    meeting, members = make_meeting(deputies=4, attendees=1)
    operator = User.objects.create_user("op", password="x" * 12)
    for m in members:
        services.set_member_pin(m, "246810")
    return meeting, members, operator


def paired_tablet(meeting, seat, operator):
    code = services.create_pairing_code("tablet", meeting.venue_id, seat.id, operator)
    key = DeviceKey()
    device = services.pair_device(code, key.public_b64, key.pairing_signature(code))
    key.device_id = str(device.id)
    return device, key


def refused_code(fn, *args):
    with pytest.raises(ServiceError) as refused:
        fn(*args)
    return refused.value.code


def test_a_code_pairs_once_and_never_again(hall):
    meeting, _, operator = hall
    seat = Seat.objects.first()
    code = services.create_pairing_code("tablet", meeting.venue_id, seat.id, operator)
    key = DeviceKey()
    device = services.pair_device(code, key.public_b64, key.pairing_signature(code))
    assert device.seat == seat and bytes(device.public_key) != b""
    other = DeviceKey()
    assert refused_code(services.pair_device, code, other.public_b64, other.pairing_signature(code)) == "code_used"
    assert Device.objects.count() == 1
    assert not PairingCode.objects.filter(code_hash=code).exists()  # only its hash is stored


def test_an_expired_code_does_not_pair(hall):
    meeting, _, operator = hall
    code = services.create_pairing_code("tablet", meeting.venue_id, Seat.objects.first().id, operator)
    PairingCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    key = DeviceKey()
    assert refused_code(services.pair_device, code, key.public_b64, key.pairing_signature(code)) == "code_expired"
    assert Device.objects.count() == 0


def test_pairing_needs_proof_of_the_key(hall):
    meeting, _, operator = hall
    code = services.create_pairing_code("tablet", meeting.venue_id, Seat.objects.first().id, operator)
    key, other = DeviceKey(), DeviceKey()
    assert refused_code(services.pair_device, code, key.public_b64, other.pairing_signature(code)) == "bad_signature"
    assert refused_code(services.pair_device, code, "not-a-key", key.pairing_signature(code)) == "bad_key"
    assert refused_code(services.pair_device, code, key.public_b64, key.sign(b"huitang-auth-v1\n" + code.encode())) \
        == "bad_signature"  # a signature made for another purpose does not count
    assert services.pair_device(code, key.public_b64, key.pairing_signature(code))


def test_authentication_checks_key_nonce_kind_venue_and_revocation(hall):
    meeting, members, operator = hall
    device, key = paired_tablet(meeting, Seat.objects.first(), operator)
    nonce = services.new_nonce()
    good = key.auth_signature(meeting.id, nonce)
    assert services.authenticate(key.device_id, "tablet", meeting.id, nonce, good)[0] == device
    assert refused_code(services.authenticate, key.device_id, "tablet", meeting.id, services.new_nonce(), good) \
        == "bad_signature"  # replayed answer to another challenge
    assert refused_code(services.authenticate, key.device_id, "display", meeting.id, nonce, good) == "wrong_role"
    other_meeting, _ = make_meeting(deputies=1, attendees=0, name="另一市人民代表大会")
    assert refused_code(services.authenticate, key.device_id, "tablet", other_meeting.id, nonce,
                        key.auth_signature(other_meeting.id, nonce)) == "wrong_meeting"
    services.revoke_device(key.device_id, operator)
    assert refused_code(services.authenticate, key.device_id, "tablet", meeting.id, nonce, good) == "device_revoked"
    assert refused_code(services.authenticate, "nonsense", "tablet", meeting.id, nonce, good) == "unknown_device"


def test_a_member_identifies_with_number_and_pin(hall):
    meeting, members, operator = hall
    device, _ = paired_tablet(meeting, Seat.objects.first(), operator)
    assert services.identify_member(meeting.id, device.id, members[0].member_number, "246810") == members[0].id
    assert services.bound_member(meeting.id, device.id) == members[0].id


def test_wrong_pins_lock_the_tablet_for_a_while(hall):
    meeting, members, operator = hall
    device, _ = paired_tablet(meeting, Seat.objects.first(), operator)
    for _ in range(services.PIN_MAX_FAILURES):
        assert refused_code(services.identify_member, meeting.id, device.id, members[0].member_number, "000000") \
            == "bad_pin"
    assert refused_code(services.identify_member, meeting.id, device.id, members[0].member_number, "246810") \
        == "pin_locked"
    assert not Binding.objects.exists()
    assert refused_code(services.identify_member, meeting.id, device.id, "nobody", "246810") == "pin_locked"


def test_an_unknown_number_gets_the_same_answer_as_a_wrong_pin(hall):
    meeting, members, operator = hall
    device, _ = paired_tablet(meeting, Seat.objects.first(), operator)
    assert refused_code(services.identify_member, meeting.id, device.id, "NOBODY", "246810") == "bad_pin"


def test_a_second_tablet_takes_a_member_over_only_through_the_console(hall):
    meeting, members, operator = hall
    seats = list(Seat.objects.all()[:2])
    first, _ = paired_tablet(meeting, seats[0], operator)
    second, _ = paired_tablet(meeting, seats[1], operator)
    services.identify_member(meeting.id, first.id, members[0].member_number, "246810")
    assert refused_code(services.identify_member, meeting.id, second.id, members[0].member_number, "246810") \
        == "bound_elsewhere"
    services.transfer_binding(meeting.id, members[0].id, str(second.id), operator)
    assert services.bound_member(meeting.id, second.id) == members[0].id
    assert services.bound_member(meeting.id, first.id) is None
    assert Binding.objects.filter(ended_at__isnull=False, device=first, ended_by=operator).count() == 1
    assert AuditEntry.objects.filter(action="device.bind", detail__method="console").exists()


def test_pairing_a_tablet_on_an_occupied_seat_revokes_the_old_one(hall):
    meeting, members, operator = hall
    seat = Seat.objects.first()
    old, _ = paired_tablet(meeting, seat, operator)
    services.identify_member(meeting.id, old.id, members[0].member_number, "246810")
    new, _ = paired_tablet(meeting, seat, operator)
    old.refresh_from_db()
    assert old.revoked and not Binding.objects.filter(device=old, ended_at__isnull=True).exists()
    assert Device.objects.filter(seat=seat, revoked_at__isnull=True).get() == new


def test_demo_pairing_is_refused_when_demo_is_off(hall, settings):
    meeting, _, _ = hall
    settings.DEMO = False
    key = DeviceKey()
    seat = Seat.objects.first()
    assert refused_code(services.demo_pair, "tablet", meeting.id, seat.id, key.public_b64,
                        key.pairing_signature(f"demo:tablet:{meeting.id}:{seat.id}")) == "demo_off"


# ---- identifying with the badge's personal code (代表码) ---------------------------------------


def test_a_member_identifies_by_scanning_their_personal_code(hall):
    meeting, members, operator = hall
    device, _ = paired_tablet(meeting, Seat.objects.first(), operator)
    code = codes.badge_code(members[1].id, 1)
    assert services.identify_by_code(meeting.id, device.id, f"  {code}\n") == members[1].id  # as a scanner types it
    assert services.bound_member(meeting.id, device.id) == members[1].id
    assert Binding.objects.get(device=device, ended_at__isnull=True).method == "code"
    assert AuditEntry.objects.filter(action="device.bind", detail__method="code", detail__member=members[1].id).exists()


def test_a_revoked_personal_code_is_refused_and_the_reissued_one_works(hall):
    meeting, members, operator = hall
    device, _ = paired_tablet(meeting, Seat.objects.first(), operator)
    old = codes.badge_code(members[0].id, 1)
    version = signin_services.revoke_badge(meeting.id, members[0].id, operator)  # a lost badge
    assert refused_code(services.identify_by_code, meeting.id, device.id, old) == "code_revoked"
    assert not Binding.objects.exists()
    assert services.identify_by_code(meeting.id, device.id, codes.badge_code(members[0].id, version)) == members[0].id


def test_a_personal_code_of_someone_not_called_to_this_meeting_is_refused(hall):
    meeting, _, operator = hall
    device, _ = paired_tablet(meeting, Seat.objects.first(), operator)
    # A genuine code of a deputy of another congress: another body, another meeting.
    _, strangers = make_meeting(deputies=1, attendees=0, name="另一市人民代表大会")
    assert refused_code(services.identify_by_code, meeting.id, device.id, codes.badge_code(strangers[0].id, 1)) \
        == "not_participant"
    assert refused_code(services.identify_by_code, meeting.id, device.id, codes.badge_code(10**9, 1)) \
        == "not_participant"
    assert not Binding.objects.exists()


def test_a_personal_code_of_a_member_no_longer_in_office_is_refused(hall):
    meeting, members, operator = hall
    device, _ = paired_tablet(meeting, Seat.objects.first(), operator)
    members[2].is_active = False
    members[2].save(update_fields=["is_active"])
    assert refused_code(services.identify_by_code, meeting.id, device.id, codes.badge_code(members[2].id, 1)) \
        == "member_inactive"
    assert not Binding.objects.exists()


@pytest.mark.parametrize("make, code", [
    (lambda m: "garbage", "bad_code"),
    (lambda m: codes.badge_code(m.id, 1)[:-3] + "xyz", "bad_code"),  # damaged or forged signature
    (lambda m: codes.badge_code(m.id, 1, key="another server's key " * 3), "bad_code"),
    (lambda m: codes.badge_code(m.id, 1) + "x" * 200, "bad_code"),  # too long to be a badge
    (lambda m: m.member_number, "bad_code"),  # the number alone is not a code
    (lambda m: codes.venue_code(m.id, 1), "bad_code"),  # a sub-venue's rotating code
    (lambda m: "   ", "empty_code"),
    (lambda m: 42, "bad_request"),
    (lambda m: None, "bad_request"),
])
def test_anything_but_a_genuine_personal_code_is_refused(hall, make, code):
    meeting, members, operator = hall
    device, _ = paired_tablet(meeting, Seat.objects.first(), operator)
    assert refused_code(services.identify_by_code, meeting.id, device.id, make(members[0])) == code
    assert not Binding.objects.exists()
    device.refresh_from_db()
    # Refused codes count toward the lockout; an empty read or a malformed request does not.
    assert device.pin_failures == (1 if code == "bad_code" else 0)


def test_refused_codes_and_wrong_pins_lock_the_tablet_together(hall):
    meeting, members, operator = hall
    device, _ = paired_tablet(meeting, Seat.objects.first(), operator)
    for _ in range(services.PIN_MAX_FAILURES - 2):
        assert refused_code(services.identify_member, meeting.id, device.id, members[0].member_number, "000000") \
            == "bad_pin"
    assert refused_code(services.identify_by_code, meeting.id, device.id, "forged:code") == "bad_code"
    old = codes.badge_code(members[0].id, 1)
    signin_services.revoke_badge(meeting.id, members[0].id, operator)
    assert refused_code(services.identify_by_code, meeting.id, device.id, old) == "code_revoked"
    # Locked: neither a genuine code nor the right PIN gets in until the lock runs out.
    good = codes.badge_code(members[1].id, 1)
    assert refused_code(services.identify_by_code, meeting.id, device.id, good) == "pin_locked"
    assert refused_code(services.identify_member, meeting.id, device.id, members[1].member_number, "246810") \
        == "pin_locked"
    assert not Binding.objects.exists()
    Device.objects.filter(pk=device.pk).update(pin_locked_until=timezone.now() - timedelta(seconds=1))
    assert services.identify_by_code(meeting.id, device.id, good) == members[1].id


def test_a_good_code_clears_the_failures_of_earlier_tries(hall):
    meeting, members, operator = hall
    device, _ = paired_tablet(meeting, Seat.objects.first(), operator)
    for _ in range(services.PIN_MAX_FAILURES - 1):
        refused_code(services.identify_by_code, meeting.id, device.id, "garbage")
    services.identify_by_code(meeting.id, device.id, codes.badge_code(members[0].id, 1))
    device.refresh_from_db()
    assert device.pin_failures == 0 and device.pin_locked_until is None


def test_a_second_tablet_scanning_the_same_badge_is_refused_takeover_only_through_the_console(hall):
    meeting, members, operator = hall
    seats = list(Seat.objects.all()[:2])
    first, _ = paired_tablet(meeting, seats[0], operator)
    second, _ = paired_tablet(meeting, seats[1], operator)
    code = codes.badge_code(members[0].id, 1)
    services.identify_by_code(meeting.id, first.id, code)
    assert refused_code(services.identify_by_code, meeting.id, second.id, code) == "bound_elsewhere"
    # By number and PIN it is the same answer: one member, one tablet.
    assert refused_code(services.identify_member, meeting.id, second.id, members[0].member_number, "246810") \
        == "bound_elsewhere"
    second.refresh_from_db()
    assert second.pin_failures == 0  # a genuine code is not a failed try
    assert services.bound_member(meeting.id, first.id) == members[0].id
    assert services.bound_member(meeting.id, second.id) is None
    services.transfer_binding(meeting.id, members[0].id, str(second.id), operator)
    assert services.bound_member(meeting.id, second.id) == members[0].id


def test_a_revoked_tablet_cannot_identify_anyone(hall):
    meeting, members, operator = hall
    device, _ = paired_tablet(meeting, Seat.objects.first(), operator)
    services.revoke_device(str(device.id), operator)
    assert refused_code(services.identify_by_code, meeting.id, device.id, codes.badge_code(members[0].id, 1)) \
        == "unknown_device"
