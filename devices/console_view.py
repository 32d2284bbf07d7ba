"""The console's live table of devices: one row per paired device of the meeting's venues."""

from django.utils import timezone

from meeting.models import Meeting

from .models import Binding, Device
from .presence import ONLINE_WINDOW


def device_rows(meeting_id, since=None):
    meeting = Meeting.objects.get(pk=meeting_id)
    venues = [meeting.venue_id, *meeting.sub_venues.values_list("venue_id", flat=True)]
    devices = Device.objects.filter(venue_id__in=venues).select_related("seat")
    if since is not None:
        devices = devices.filter(presence_changed_at__gt=since)
    else:
        devices = devices.filter(revoked_at__isnull=True)
    devices = list(devices)
    bound = {
        b.device_id: b.member
        for b in Binding.objects.filter(meeting_id=meeting_id, ended_at__isnull=True,
                                        device_id__in=[d.id for d in devices]).select_related("member")
    }
    now = timezone.now()
    meeting_open = meeting.state == Meeting.State.OPEN
    rows = []
    for d in devices:
        online = d.online and d.last_seen_at is not None and now - d.last_seen_at < ONLINE_WINDOW
        member = bound.get(d.id)
        rows.append({
            "id": str(d.id),
            "kind": d.kind,
            "seat": d.seat.label if d.seat_id else None,
            "seat_id": d.seat_id,
            "online": online,
            "last_seen": timezone.localtime(d.last_seen_at).isoformat() if d.last_seen_at else None,
            "battery": d.battery,
            "charging": d.charging,
            "member": member.name if member else None,
            "member_id": member.id if member else None,
            # A bound tablet that has gone offline while the meeting is sitting needs a person to look.
            "dropped": bool(meeting_open and member and not online and d.last_seen_at),
            "demo": d.demo,
            "revoked": d.revoked,
        })
    return rows
