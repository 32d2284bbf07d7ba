"""Pairing, authenticating, binding and revoking devices. Each change is one transaction and
an audit entry; sockets that must react (a revoked device, a tablet whose member moved) are
told through the hub after commit."""

import functools
import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from meeting.errors import ServiceError
from meeting.models import Meeting, Member, Participant, Seat, SeatAssignment, Venue
from meeting.services import audit
from signin import codes as signin_codes
from signin import selectors as signin_selectors

from . import crypto
from .models import Binding, Device, PairingCode

PAIRING_TTL = timedelta(minutes=5)
PIN_MAX_FAILURES = 5  # wrong PINs and refused personal codes, together
PIN_LOCK = timedelta(minutes=5)

log = logging.getLogger(__name__)


def _hash_code(code):
    return hashlib.sha256(code.encode()).hexdigest()


def _after_commit_control(device_id, action):
    from meeting.hub import hub

    transaction.on_commit(lambda: hub.control_threadsafe(str(device_id), action))


def _touch(device_ids):
    Device.objects.filter(pk__in=device_ids).update(presence_changed_at=timezone.now())


# ---- pairing ----------------------------------------------------------------------------------

@transaction.atomic
def create_pairing_code(kind, venue_id, seat_id, actor, name=""):
    if kind not in Device.Kind.values:
        raise ServiceError("bad_request", _("设备类别无效"))
    venue = Venue.objects.filter(pk=venue_id).first()
    if venue is None:
        raise ServiceError("no_venue", _("会场不存在"))
    seat = None
    if kind == Device.Kind.TABLET:
        seat = Seat.objects.filter(pk=seat_id, venue=venue).first()
        if seat is None:
            raise ServiceError("no_seat", _("该会场没有这个座位"))
    code = secrets.token_urlsafe(18)
    PairingCode.objects.create(
        code_hash=_hash_code(code), kind=kind, venue=venue, seat=seat, name=name[:100], created_by=actor,
        expires_at=timezone.now() + PAIRING_TTL,
    )
    audit(None, actor, "device.pairing_code", kind=kind, venue=venue.id, seat=seat.id if seat else None)
    return code


def _public_key(public_key_b64):
    try:
        raw = crypto.b64decode(public_key_b64, crypto.PUBLIC_KEY_BYTES)
        crypto.load_public_key(raw)
    except crypto.BadKey:
        raise ServiceError("bad_key", _("设备公钥无效")) from None
    return raw


def _register(kind, venue, seat, public_key_raw, user_agent, actor=None, name="", demo=False):
    if seat is not None:
        # The seat's old tablet stops working the moment a new one is paired there.
        for old in Device.objects.filter(seat=seat, kind=Device.Kind.TABLET, revoked_at__isnull=True):
            _revoke(old, actor, reason="replaced")
    return Device.objects.create(
        kind=kind, venue=venue, seat=seat, public_key=public_key_raw, user_agent=(user_agent or "")[:300],
        registered_by=actor if getattr(actor, "pk", None) else None, name=name, demo=demo,
        presence_changed_at=timezone.now(),
    )


@transaction.atomic
def pair_device(code, public_key_b64, signature_b64, user_agent=""):
    """A device that opened a pairing code registers its public key and proves it holds the key."""
    if not isinstance(code, str) or not code or len(code) > 64:
        raise ServiceError("bad_code", _("配对码无效"))
    pairing = PairingCode.objects.select_for_update().filter(code_hash=_hash_code(code)).first()
    if pairing is None:
        raise ServiceError("bad_code", _("配对码无效"))
    if pairing.used_at is not None:
        raise ServiceError("code_used", _("配对码已经用过，请在主控台重新生成"))
    if pairing.expires_at <= timezone.now():
        raise ServiceError("code_expired", _("配对码已过期，请在主控台重新生成"))
    raw = _public_key(public_key_b64)
    if not crypto.verify(raw, signature_b64, crypto.pairing_message(code)):
        raise ServiceError("bad_signature", _("设备签名无效"))
    device = _register(pairing.kind, pairing.venue, pairing.seat, raw, user_agent, pairing.created_by, pairing.name)
    pairing.used_at = timezone.now()
    pairing.device = device
    pairing.save(update_fields=["used_at", "device"])
    audit(None, pairing.created_by, "device.paired", device=str(device.id), kind=device.kind,
          seat=pairing.seat_id)
    return device


@transaction.atomic
def demo_pair(kind, meeting_id, seat_id, public_key_b64, signature_b64, user_agent=""):
    """The demo shortcut: pair without a console code and bind to the seat's member. Demo only."""
    if not settings.DEMO:
        raise ServiceError("demo_off", _("演示功能已关闭"))
    meeting = Meeting.objects.select_related("venue").filter(pk=meeting_id).first()
    if meeting is None:
        raise ServiceError("no_meeting", _("会议不存在"))
    raw = _public_key(public_key_b64)
    if not crypto.verify(raw, signature_b64, crypto.pairing_message(f"demo:{kind}:{meeting_id}:{seat_id}")):
        raise ServiceError("bad_signature", _("设备签名无效"))
    if kind == Device.Kind.DISPLAY:
        return _register(kind, meeting.venue, None, raw, user_agent, name=_("演示大屏"), demo=True)
    assignment = SeatAssignment.objects.filter(meeting=meeting, seat_id=seat_id).select_related("seat").first()
    if assignment is None:
        raise ServiceError("no_seat", _("本次会议没有安排这个座位"))
    device = _register(Device.Kind.TABLET, assignment.seat.venue, assignment.seat, raw, user_agent, demo=True)
    _bind(meeting, device, assignment.member_id, "demo", actor=None, takeover=True)
    return device


# ---- connecting -------------------------------------------------------------------------------

def new_nonce():
    return crypto.b64encode(secrets.token_bytes(32))


def authenticate(device_id, kind, meeting_id, nonce, signature_b64):
    """Check a connecting device's answer to our challenge; return (device, bound member id or None).
    The socket does the same in two halves: find_devices for a group, check_answer on its loop."""
    result = find_devices((kind, meeting_id), [device_id])[0]
    if not isinstance(result, ServiceError):
        result = check_answer(result, meeting_id, nonce, signature_b64)
    if isinstance(result, ServiceError):
        raise result
    return result


def find_devices(key, device_ids):
    """The database half of authenticate, for devices connecting together: for each device id,
    (device, bound member id or None) if that device may connect as ``kind`` to the meeting, or
    the ServiceError refusing it.
    The signature is then checked by check_answer: the socket does that on its event loop, so a
    hall's burst of connections does not hand 3,000 checks one by one to the database thread
    and back (each hand-off cost more than the check; docs/performance.md)."""
    kind, meeting_id = key
    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        return [ServiceError("no_meeting", _("会议不存在"))] * len(device_ids)
    venues = {meeting.venue_id, *meeting.sub_venues.values_list("venue_id", flat=True)}
    ids = [d for d in device_ids if _is_uuid(d)]
    devices = {str(d.id): d for d in Device.objects.filter(pk__in=ids).select_related("seat")}
    bound = {}
    if kind == Device.Kind.TABLET:
        bound = {str(d): m for d, m in Binding.objects.filter(
            meeting_id=meeting_id, device_id__in=list(devices), ended_at__isnull=True).values_list("device_id", "member_id")}
    results = []
    for device_id in device_ids:
        device = devices.get(str(device_id)) if _is_uuid(device_id) else None
        if device is None:
            results.append(ServiceError("unknown_device", _("未登记的设备，请重新配对")))
        elif device.revoked:
            results.append(ServiceError("device_revoked", _("该设备已停用，请联系工作人员")))
        elif device.kind != kind:
            results.append(ServiceError("wrong_role", _("该设备不是这种终端")))
        elif device.venue_id not in venues:
            results.append(ServiceError("wrong_meeting", _("该设备不属于本次会议的会场")))
        else:
            results.append((device, bound.get(str(device.id))))
    return results


def check_answer(found, meeting_id, nonce, signature_b64):
    """``found`` (device, member id) as find_devices gave it if the device signed our challenge
    ``nonce`` for this meeting, else the ServiceError refusing it."""
    device = found[0]
    if not crypto.verify(bytes(device.public_key), signature_b64, crypto.auth_message(device.id, meeting_id, nonce)):
        return ServiceError("bad_signature", _("设备签名无效"))
    return found


def _is_uuid(value):
    import uuid

    try:
        uuid.UUID(str(value))
    except (ValueError, TypeError):
        return False
    return True


def bound_member(meeting_id, device_id):
    return (
        Binding.objects.filter(meeting_id=meeting_id, device_id=device_id, ended_at__isnull=True)
        .values_list("member_id", flat=True).first()
    )


def check_live(device_id):
    """Between messages: still registered and not revoked (a revoked device is cut off at once)."""
    return Device.objects.filter(pk=device_id, revoked_at__isnull=True).exists()


# ---- binding a member to a seat tablet ---------------------------------------------------------

def set_member_pin(member, pin):
    if not isinstance(pin, str) or not pin.isdigit() or not 4 <= len(pin) <= 8:
        raise ServiceError("bad_pin", _("PIN必须是4到8位数字"))
    member.pin_hash = make_password(pin)
    member.save(update_fields=["pin_hash"])


def _bind(meeting, device, member_id, method, actor, takeover):
    live = Binding.objects.select_for_update().filter(meeting=meeting, ended_at__isnull=True)
    other_device = live.filter(member_id=member_id).exclude(device=device).first()
    if other_device is not None and not takeover:
        raise ServiceError("bound_elsewhere", _("该代表已在另一台终端上登录，如需更换请联系主控台工作人员"))
    now = timezone.now()
    touched = [device.id]
    for binding in live.filter(member_id=member_id) | live.filter(device=device):
        if binding.device_id == device.id and binding.member_id == member_id:
            return binding
        binding.ended_at = now
        binding.ended_by = actor if getattr(actor, "pk", None) else None
        binding.save(update_fields=["ended_at", "ended_by"])
        touched.append(binding.device_id)
        if binding.device_id != device.id:
            _after_commit_control(binding.device_id, "rebind")
    try:
        with transaction.atomic():
            binding = Binding.objects.create(meeting=meeting, device=device, member_id=member_id, method=method)
    except IntegrityError:
        # Another tablet bound the same member a moment ago: the unique constraint decides.
        raise ServiceError("bound_elsewhere", _("该代表已在另一台终端上登录，如需更换请联系主控台工作人员")) from None
    _touch(touched)
    audit(meeting, actor, "device.bind", device=str(device.id), member=member_id, method=method)
    return binding


def identify_member(meeting_id, device_id, member_number, pin):
    """A member types their number and PIN on the seat tablet; the tablet then serves them."""
    return _identifying(_identify, meeting_id, device_id, member_number, pin)


def identify_by_code(meeting_id, device_id, code):
    """A member scans (or a hand scanner types) the personal code of their badge (代表码, see
    signin.codes) on the seat tablet; the tablet then serves them. The same rules as the PIN: a
    participant of this meeting, not on another tablet, and refused codes count toward the same
    lockout as wrong PINs."""
    try:
        return _identifying(_identify_by_code, meeting_id, device_id, code)
    except ServiceError as refused:
        if refused.code in ("bad_code", "code_revoked"):
            log.warning("meeting %s: tablet %s refused a personal code (%s), code %s", meeting_id, device_id,
                        refused.code, signin_codes.fingerprint(code))
        raise


def _identifying(identify, meeting_id, device_id, *proof):
    try:
        with transaction.atomic():
            return identify(meeting_id, device_id, *proof)
    except _Counted:
        _count_pin_failure(device_id)  # outside the rolled-back transaction, so it sticks
        raise


def _identifying_device(meeting_id, device_id):
    """The meeting and the (locked) tablet a member identifies on, unless it may not take a try now."""
    meeting = Meeting.objects.filter(pk=meeting_id).first()
    # of=self: Device's default ordering joins its (nullable) seat, and PostgreSQL cannot lock the
    # nullable side of an outer join; only the device row is to be locked anyway.
    device = Device.objects.select_for_update(of=("self",)).filter(pk=device_id, revoked_at__isnull=True).first() \
        if _is_uuid(device_id) else None
    if meeting is None or device is None or device.kind != Device.Kind.TABLET:
        raise ServiceError("unknown_device", _("未登记的设备，请重新配对"))
    if device.pin_locked_until and device.pin_locked_until > timezone.now():
        raise ServiceError("pin_locked", _("错误次数过多，本终端已暂时锁定，请稍后再试或联系工作人员"))
    return meeting, device


def _identified(meeting, device, member, method):
    if not Participant.objects.filter(meeting=meeting, member=member).exists():
        raise ServiceError("not_participant", _("该人员不在本次会议的参会名单中"))
    if device.pin_failures:
        device.pin_failures = 0
        device.save(update_fields=["pin_failures"])
    return _bind(meeting, device, member.id, method, actor=None, takeover=False).member_id


def _identify(meeting_id, device_id, member_number, pin):
    meeting, device = _identifying_device(meeting_id, device_id)
    if not isinstance(member_number, str) or not isinstance(pin, str) or len(member_number) > 32 or len(pin) > 16:
        raise ServiceError("bad_request", _("请输入代表证号和PIN"))
    member = Member.objects.filter(member_number=member_number.strip(), is_active=True).first()
    # The same answer and the same hashing work whether the number or the PIN was wrong.
    valid = check_password(pin, member.pin_hash if member and member.pin_hash else _dummy_hash())
    if not valid or member is None:
        raise _WrongPin()
    return _identified(meeting, device, member, "pin")


def _identify_by_code(meeting_id, device_id, code):
    meeting, device = _identifying_device(meeting_id, device_id)
    if not isinstance(code, str):
        raise ServiceError("bad_request", _("请扫描或输入代表证上的个人码"))
    try:
        claim = signin_codes.read_badge(code)
    except ServiceError as refused:
        if refused.code == "empty_code":
            raise
        if refused.code == "venue_code_at_door":
            raise _Counted("bad_code", _("这是分会场签到码，不是代表证上的个人码")) from None
        raise _Counted(refused.code, refused.message) from None
    member = Member.objects.filter(pk=claim.member_id).first()
    if member is None:
        raise ServiceError("not_participant", _("该人员不在本次会议的参会名单中"))
    if claim.version != signin_selectors.badge_version(member.id):
        raise _Counted("code_revoked", _("该代表码已作废，请使用补发的新代表码，或输入代表证号和PIN"))
    if not member.is_active:
        raise ServiceError("member_inactive", _("该人员已不在任"))
    return _identified(meeting, device, member, "code")


@functools.cache
def _dummy_hash():
    return make_password(secrets.token_urlsafe(16))


@transaction.atomic
def _count_pin_failure(device_id):
    device = Device.objects.select_for_update(of=("self",)).get(pk=device_id)
    device.pin_failures += 1
    if device.pin_failures >= PIN_MAX_FAILURES:
        device.pin_failures = 0
        device.pin_locked_until = timezone.now() + PIN_LOCK
    device.save(update_fields=["pin_failures", "pin_locked_until"])


class _Counted(ServiceError):
    """A refusal that counts toward the tablet's lockout (a wrong PIN, a forged or void code)."""


class _WrongPin(_Counted):
    def __init__(self):
        super().__init__("bad_pin", _("代表证号或PIN不正确"))


@transaction.atomic
def transfer_binding(meeting_id, member_id, device_id, actor):
    """The console moves a member to another tablet (the old one is released at once)."""
    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        raise ServiceError("no_meeting", _("会议不存在"))
    device = Device.objects.filter(pk=device_id, revoked_at__isnull=True, kind=Device.Kind.TABLET).first() \
        if _is_uuid(device_id) else None
    if device is None:
        raise ServiceError("unknown_device", _("未登记的设备"))
    if not isinstance(member_id, int) or not Participant.objects.filter(meeting=meeting, member_id=member_id).exists():
        raise ServiceError("not_participant", _("该人员不在本次会议的参会名单中"))
    binding = _bind(meeting, device, member_id, "console", actor, takeover=True)
    _after_commit_control(device.id, "rebind")
    return binding


@transaction.atomic
def release_binding(meeting_id, device_id, actor):
    ended = Binding.objects.filter(meeting_id=meeting_id, device_id=device_id, ended_at__isnull=True)
    if not ended.exists():
        raise ServiceError("not_bound", _("该终端没有绑定代表"))
    ended.update(ended_at=timezone.now(), ended_by=actor if getattr(actor, "pk", None) else None)
    _touch([device_id])
    audit(Meeting.objects.get(pk=meeting_id), actor, "device.release", device=str(device_id))
    _after_commit_control(device_id, "rebind")


def _revoke(device, actor, reason):
    now = timezone.now()
    device.revoked_at = now
    device.online = False
    device.presence_changed_at = now
    device.save(update_fields=["revoked_at", "online", "presence_changed_at"])
    Binding.objects.filter(device=device, ended_at__isnull=True).update(
        ended_at=now, ended_by=actor if getattr(actor, "pk", None) else None
    )
    audit(None, actor, "device.revoke", device=str(device.id), reason=reason)
    _after_commit_control(device.id, "revoke")


@transaction.atomic
def revoke_device(device_id, actor):
    device = Device.objects.select_for_update(of=("self",)).filter(pk=device_id).first() if _is_uuid(device_id) else None
    if device is None:
        raise ServiceError("unknown_device", _("未登记的设备"))
    if device.revoked:
        raise ServiceError("already_revoked", _("该设备已经停用"))
    _revoke(device, actor, reason="console")
    return device
