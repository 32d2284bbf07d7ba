"""Publishing to a meeting's ordered event stream.

A service calls publish() inside its transaction. The event is stored in that same transaction
with the next gapless sequence number, so the stored stream and the state can never disagree;
it leaves the process only after the commit (transaction.on_commit), exactly once.

Each event has one audience. A client sees one or two *views* of the stream: its role's view
("tablet", "display" or "console") and, for a tablet bound to a member, that member's view
("member"). Every event carries, for each view that receives it, the seq of the previous event
that view received (``prev``). A client checks ``prev`` against the last seq it holds; a
mismatch is a gap, and it asks for a fresh snapshot.
"""

from django.db import connection, transaction
from django.db.models import F

from .models import Event, Meeting

ALL = "all"
TABLETS = "tablets"
DISPLAYS = "displays"
CONSOLE = "console"
MEMBER = "member"
AUDIENCES = (ALL, TABLETS, DISPLAYS, CONSOLE, MEMBER)

ROLE_VIEWS = ("tablet", "display", "console")
# Which views receive an event of each audience.
VIEWS_OF_AUDIENCE = {
    ALL: ("tablet", "display", "console"),
    TABLETS: ("tablet",),
    DISPLAYS: ("display",),
    CONSOLE: ("console",),
    MEMBER: ("member",),
}
# Which audiences each view receives.
AUDIENCES_OF_VIEW = {
    "tablet": (ALL, TABLETS),
    "display": (ALL, DISPLAYS),
    "console": (ALL, CONSOLE),
    "member": (MEMBER,),
}


class PublishError(RuntimeError):
    pass


def publish(meeting_id, kind, data, audience=ALL, member_id=None):
    """Store an event in the caller's transaction; deliver it once the transaction commits."""
    if audience not in AUDIENCES:
        raise PublishError(f"unknown audience {audience!r}")
    if (audience == MEMBER) != (member_id is not None):
        raise PublishError("member_id goes with the member audience, and only with it")
    if not connection.in_atomic_block:
        raise PublishError("publish() must run inside the service's transaction")

    # The UPDATE takes the meeting row's lock (PostgreSQL) or is already serialised by the
    # IMMEDIATE write transaction (SQLite), so sequence numbers are handed out one at a time.
    Meeting.objects.filter(pk=meeting_id).update(last_seq=F("last_seq") + 1)
    seq = Meeting.objects.filter(pk=meeting_id).values_list("last_seq", flat=True).get()
    prev = {view: view_head(meeting_id, view, member_id) for view in VIEWS_OF_AUDIENCE[audience]}
    event = Event.objects.create(
        meeting_id=meeting_id, seq=seq, kind=kind, audience=audience, member_id=member_id,
        prev=prev, data=data,
    )
    wire = to_wire(event)
    transaction.on_commit(lambda: _deliver(wire))
    return event


def view_head(meeting_id, view, member_id=None):
    """The seq of the last stored event that ``view`` received (0 if none)."""
    qs = Event.objects.filter(meeting_id=meeting_id, audience__in=AUDIENCES_OF_VIEW[view])
    if view == "member":
        qs = qs.filter(member_id=member_id)
    return qs.order_by("-seq").values_list("seq", flat=True).first() or 0


def member_view_heads(meeting_id, member_ids):
    """{member id: seq of the last event addressed to that member} for many members at once."""
    if not member_ids:
        return {}
    from django.db.models import Max

    rows = (Event.objects.filter(meeting_id=meeting_id, audience=MEMBER, member_id__in=member_ids)
            .values("member_id").annotate(head=Max("seq")).values_list("member_id", "head"))
    return dict(rows)


def to_wire(event):
    """The delivery record: routing fields plus the message text, serialised once for everyone."""
    from .wire import dumps

    message = {
        "type": "event",
        "seq": event.seq,
        "kind": event.kind,
        "prev": event.prev,
        "data": event.data,
    }
    return {
        "meeting": event.meeting_id,
        "seq": event.seq,
        "audience": event.audience,
        "member": event.member_id,
        "text": dumps(message),
    }


def _deliver(wire):
    from .hub import hub

    hub.deliver_threadsafe(wire)


def events_since(meeting_id, after_seq, upto_seq=None):
    qs = Event.objects.filter(meeting_id=meeting_id, seq__gt=after_seq).order_by("seq")
    if upto_seq is not None:
        qs = qs.filter(seq__lte=upto_seq)
    return [to_wire(e) for e in qs]


# The order publish_by_view gives a change's per-view events: the hall's screens and the console
# first, the tablets last. Events are delivered in sequence order, and one to 3,000 tablets takes
# the loop ≈ 0.2 s; the displays' and console's (a dozen sockets) need not queue behind it. Each
# view's ``prev`` chain is its own, so the order across views is free.
PUBLISH_ORDER = ("display", "console", "tablet")


def publish_by_view(meeting_id, kind, data_by_view):
    """Publish what each role view should see of one change: a single event to everyone when the
    views agree, otherwise one event per audience, in PUBLISH_ORDER. ``data_by_view`` maps
    tablet/display/console to a patch (a view left out gets nothing)."""
    audience_of = {"tablet": TABLETS, "display": DISPLAYS, "console": CONSOLE}
    unknown = set(data_by_view) - set(ROLE_VIEWS)
    if unknown:
        raise PublishError(f"unknown views {sorted(unknown)!r}")
    values = list(data_by_view.values())
    if set(data_by_view) == set(ROLE_VIEWS) and all(v == values[0] for v in values):
        return [publish(meeting_id, kind, values[0], ALL)]
    return [publish(meeting_id, kind, data_by_view[view], audience_of[view])
            for view in PUBLISH_ORDER if view in data_by_view]


def publish_to_members(meeting_id, kind, data_by_member):
    """publish(kind, data, MEMBER, member_id=m) for many members at once, in a constant number of
    statements (a hall's sign-in taps arrive together). Same sequencing and ``prev`` rules."""
    if not data_by_member:
        return []
    if not connection.in_atomic_block:
        raise PublishError("publish() must run inside the service's transaction")
    members = list(data_by_member)
    Meeting.objects.filter(pk=meeting_id).update(last_seq=F("last_seq") + len(members))
    last = Meeting.objects.filter(pk=meeting_id).values_list("last_seq", flat=True).get()
    heads = member_view_heads(meeting_id, members)
    events = Event.objects.bulk_create(
        Event(meeting_id=meeting_id, seq=last - len(members) + 1 + n, kind=kind, audience=MEMBER,
              member_id=m, prev={"member": heads.get(m, 0)}, data=data_by_member[m])
        for n, m in enumerate(members))
    wires = [to_wire(e) for e in events]
    transaction.on_commit(lambda: [_deliver(w) for w in wires])
    return events
