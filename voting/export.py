"""A closed poll's ballot log as a JSON document that anyone can check with
tools/verify_ballot_log.py. The format is specified in docs/ballot-log.md ("huitang-ballot-log-v1").

Anonymous polls export no member, device or signature (none is stored); named polls export each
entry's member, device and device signature, and the public keys of the devices that appear."""

import base64

from django.utils import timezone
from django.utils.translation import gettext as _

from devices.models import Device
from meeting.errors import ServiceError

from . import signing
from .models import BallotEntry, HandCount, Poll, Turnout

FORMAT = "huitang-ballot-log-v1"
EXPORTABLE = (Poll.State.CLOSED, Poll.State.ANNOUNCED)


def _b64(raw):
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode("ascii")


def _iso(dt):
    return timezone.localtime(dt).isoformat() if dt else None


def require_closed(poll):
    if poll.state not in EXPORTABLE or poll.result is None:
        raise ServiceError("not_closed", _("表决结束后才能导出结果和选票记录"))


def entry_dict(entry, anonymous):
    return {
        "position": entry.position,
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
        "choice": entry.choice,
        "secret_hash": entry.secret_hash,
        "supersedes": entry.supersedes,
        "member": None if anonymous else entry.member_id,
        "device": None if anonymous or entry.device_id is None else str(entry.device_id),
        "signature": "" if anonymous else entry.device_signature,
    }


def export_poll(poll):
    """The export dict of a closed or announced poll; ServiceError("not_closed") before that."""
    require_closed(poll)
    meeting = poll.meeting
    hand_counted = bool(poll.result.get("hand_counted"))
    # A hand count is refused once the log has an entry, so its list is empty; exported as stored.
    entries = [entry_dict(e, poll.anonymous) for e in BallotEntry.objects.filter(poll=poll).order_by("position")]
    device_keys = {}
    if not poll.anonymous:
        ids = {e["device"] for e in entries if e["device"]}
        device_keys = {str(d.id): _b64(d.public_key) for d in Device.objects.filter(id__in=ids)}
    turnout = None
    if not hand_counted:
        row = Turnout.objects.filter(poll=poll).values_list("member_ids", flat=True).first()
        turnout = len(row or [])
    hand = HandCount.objects.filter(poll=poll).select_related("entered_by").first() if hand_counted else None
    return {
        "format": FORMAT,
        "meeting": {"id": meeting.id, "title": meeting.title},
        "poll": {
            "id": poll.id,
            "title": poll.title,
            "kind": poll.kind,
            "nominees": poll.nominees,
            "anonymous": poll.anonymous,
            "allow_change": poll.allow_change,
            "threshold": {
                "base": poll.threshold_base,
                "comparison": poll.threshold_comparison,
                "numerator": poll.threshold_numerator,
                "denominator": poll.threshold_denominator,
            },
            "state": poll.state,
            "opened_at": _iso(poll.opened_at),
            "closed_at": _iso(poll.closed_at),
        },
        "entries": entries,
        "device_keys": device_keys,
        "turnout": turnout,
        "signed_in": poll.present_at_close,
        "entitled": poll.entitled_at_close,
        "result": poll.result,
        "head": poll.log_head,
        "length": poll.log_length,
        "result_signature": poll.result_signature,
        "server_public_key": signing.public_key_b64(),
        "hand_count": None if hand is None else {
            "entered_by": poll.result.get("entered_by", ""),
            "entered_at": _iso(hand.entered_at),
            "note": hand.note,
            "counts": hand.counts,
        },
    }
