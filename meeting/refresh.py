"""Edits made outside the console's services reach the clients through the event stream too.

The admin site and the importers change a meeting's records directly: agenda items, the meeting's
title and venue, participants and their roles, seat assignments, members' names and delegations,
seat labels. A client's state is its snapshot plus the events after it, and the shared part of a
snapshot is cached per stream position (meeting.snapshot), so an edit that published nothing would
stay invisible even to a client that reconnects. Every such write therefore runs like this::

    with refreshing("admin.change") as refresh:
        refresh.capture(*affected(objects))    # BEFORE writing: the state clients hold now
        ...write...
    # on leaving the block, still inside its transaction, refresh.publish() rebuilt each meeting's
    # state from the registered parts and published what differs as "meeting.refresh" events

What is published (kind ``meeting.refresh``, see docs/protocol.md):

* per role view, only the top-level shared keys whose value changed, through publish_by_view
  (one event to everyone when the views agree);
* per member, only the personal keys ("me", "my_attendance", …) that changed, through
  publish_to_members, and only for the members whose keys changed.

Only what changed, not every key: an edit touches one or two keys, and a full state to 3,000
tablets (the console's poll list, the attendance, …) would cost far more than the edit is worth;
the comparison is needed anyway so that an edit nobody can see (a phone number, an agenda item's
vote details) publishes nothing and leaves the snapshot cache valid. When something does change,
the event moves the meeting's ``last_seq``, so the cached shared state can no longer be served.

The "before" state is built afresh from the records (not taken from the snapshot cache, which may
belong to another process or be missing) while the meeting rows are locked, so no service can
publish between it and the edit. Closed meetings are skipped: nobody follows their stream, and a
closed meeting's record is history. A meeting deleted by the edit is skipped too.
"""

import logging
from collections import defaultdict
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Q

from .events import ROLE_VIEWS, publish_by_view, publish_to_members
from .models import (
    AgendaItem, Body, BodyMembership, Delegation, Meeting, Member, Notice, Participant, Seat, SeatAssignment,
    SubVenue, Venue, Zone,
)
from .snapshot import build_personal_states, build_shared_state

log = logging.getLogger(__name__)

KIND = "meeting.refresh"
CHUNK = 500  # ids per IN (…): SQLite caps a statement's parameters


class RefreshError(RuntimeError):
    pass


def _chunks(values):
    values = sorted(values)
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _changed(before, after):
    """The top-level keys of ``after`` whose value differs from ``before`` (a patch)."""
    return {key: value for key, value in after.items() if key not in before or before[key] != value}


def _look(meeting_id, extra_members=()):
    """(shared state per role view, personal keys per member) of a meeting, built afresh."""
    meeting = Meeting.objects.select_related("body", "venue", "current_item").get(pk=meeting_id)
    shared = {view: build_shared_state(meeting, view) for view in ROLE_VIEWS}
    members = set(Participant.objects.filter(meeting_id=meeting_id).values_list("member_id", flat=True))
    members.update(extra_members)
    return shared, build_personal_states(meeting, sorted(members), shared["tablet"])


class Refresh:
    """The meetings one edit may change, with the state their clients held before it."""

    def __init__(self, reason):
        self.reason = reason
        self._before = {}  # meeting id -> (shared by view, personal by member)

    @property
    def meeting_ids(self):
        return set(self._before)

    def capture(self, meeting_ids, members_by_meeting=None):
        """Remember the current state of each meeting that is not closed. Call it before writing.

        ``members_by_meeting`` ({meeting id: member ids}) names members whose personal state to
        remember besides the meeting's participants: someone about to become one, for instance.
        """
        if not connection.in_atomic_block:
            raise RefreshError("capture() must run inside the edit's transaction")
        members_by_meeting = members_by_meeting or {}
        wanted = (set(meeting_ids) | set(members_by_meeting)) - set(self._before)
        if not wanted:
            return
        # Lock the meeting rows the way the services do (PostgreSQL; SQLite's IMMEDIATE transaction
        # already holds the write lock), so the state captured is the state clients hold.
        live = (Meeting.objects.select_for_update().filter(pk__in=wanted).exclude(state=Meeting.State.CLOSED)
                .order_by("pk").values_list("pk", flat=True))
        for meeting_id in list(live):
            self._before[meeting_id] = _look(meeting_id, members_by_meeting.get(meeting_id, ()))

    def publish(self):
        """Rebuild each captured meeting's state and publish what changed; {meeting id: events}.
        Runs in the edit's transaction, after the edit."""
        if not connection.in_atomic_block:
            raise RefreshError("publish() must run inside the edit's transaction")
        published = {}
        for meeting_id, (shared_before, personal_before) in sorted(self._before.items()):
            if not Meeting.objects.filter(pk=meeting_id).exists():
                continue  # the edit deleted it
            shared_after, personal_after = _look(meeting_id, personal_before)
            by_view = {view: patch for view in ROLE_VIEWS
                       if (patch := _changed(shared_before[view], shared_after[view]))}
            by_member = {}
            for member_id, after in personal_after.items():
                # Someone not captured (a new participant) gets all their keys.
                patch = _changed(personal_before.get(member_id, {}), after)
                if patch:
                    by_member[member_id] = patch
            events = publish_by_view(meeting_id, KIND, by_view) if by_view else []
            events += publish_to_members(meeting_id, KIND, by_member)
            if events:
                published[meeting_id] = events
                log.info("%s: meeting %s refreshed (%s; %d members)", self.reason, meeting_id,
                         ", ".join(sorted({k for patch in by_view.values() for k in patch})) or "-", len(by_member))
        self._before.clear()
        return published


@contextmanager
def refreshing(reason):
    """A transaction whose edits reach the clients: capture() before writing; on leaving the block
    without an error, what changed is published in the same transaction."""
    with transaction.atomic():
        refresh = Refresh(reason)
        yield refresh
        refresh.publish()


# --- which meetings an edit may change ------------------------------------------------------

def meetings_of_members(member_ids):
    meetings = set()
    for chunk in _chunks(member_ids):
        meetings.update(Participant.objects.filter(member_id__in=chunk).values_list("meeting_id", flat=True))
        meetings.update(SeatAssignment.objects.filter(member_id__in=chunk).values_list("meeting_id", flat=True))
    return meetings


def meetings_of_venues(venue_ids):
    if not venue_ids:
        return set()
    return set(Meeting.objects.filter(Q(venue_id__in=venue_ids) | Q(sub_venues__venue_id__in=venue_ids))
               .values_list("pk", flat=True))


def _by_meeting_fk(objs, with_members=False):
    meetings = {o.meeting_id for o in objs if o.meeting_id}
    members = defaultdict(set)
    if with_members:
        for o in objs:
            if o.meeting_id and o.member_id:
                members[o.meeting_id].add(o.member_id)
    return meetings, members


def _pks(objs):
    return {o.pk for o in objs if o.pk is not None}


_RULES = {
    Meeting: lambda objs: (_pks(objs), {}),
    AgendaItem: _by_meeting_fk,
    SubVenue: _by_meeting_fk,
    Notice: _by_meeting_fk,
    Participant: lambda objs: _by_meeting_fk(objs, with_members=True),
    SeatAssignment: lambda objs: _by_meeting_fk(objs, with_members=True),
    Member: lambda objs: (meetings_of_members(_pks(objs)), {}),
    BodyMembership: lambda objs: (meetings_of_members({o.member_id for o in objs if o.member_id}), {}),
    Delegation: lambda objs: (
        meetings_of_members(set(Member.objects.filter(delegation_id__in=_pks(objs)).values_list("pk", flat=True))),
        {}),
    Body: lambda objs: (set(Meeting.objects.filter(body_id__in=_pks(objs)).values_list("pk", flat=True)), {}),
    Venue: lambda objs: (meetings_of_venues(_pks(objs)), {}),
    Zone: lambda objs: (meetings_of_venues({o.venue_id for o in objs if o.venue_id}), {}),
    Seat: lambda objs: (meetings_of_venues({o.venue_id for o in objs if o.venue_id}), {}),
}


def affected(objects):
    """(meeting ids, {meeting id: member ids}) an edit of these model instances may change.

    Pass both the records as stored and as about to be saved (an agenda item moved to another
    meeting changes both). Directly: the meeting an agenda item, participant, seat assignment… is
    of. Indirectly: a member's, delegation's or body membership's edit every meeting where those
    members take part; a venue's, zone's or seat's every meeting held there (or with a sub-venue
    there); a body's all its meetings. Generous on purpose: a meeting whose state does not change
    gets nothing. Closed meetings are dropped later, by capture().
    """
    groups = defaultdict(list)
    for obj in objects:
        if obj is not None:
            groups[obj._meta.concrete_model].append(obj)
    meetings, members = set(), defaultdict(set)
    for model, objs in groups.items():
        rule = _RULES.get(model)
        if rule is None:
            continue
        found, extra = rule(objs)
        meetings |= found
        for meeting_id, ids in extra.items():
            members[meeting_id] |= ids
    return meetings, dict(members)


def stored(obj):
    """The record of ``obj`` as the database holds it now (None for a new one)."""
    if obj.pk is None:
        return None
    return type(obj)._default_manager.filter(pk=obj.pk).first()
