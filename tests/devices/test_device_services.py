"""Pairing, authentication and binding rules, at the service level."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from devices import services
from devices.models import Binding, Device, PairingCode
from meeting.errors import ServiceError
from meeting.models import AuditEntry, Seat
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
