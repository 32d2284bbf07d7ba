"""What a client of each role may see of a meeting, as one JSON-able dict.

Apps add their parts (sign-in adds quorum, voting adds the poll) with register_part(); the
meeting app never imports them, so dependencies keep pointing one way. Events are patches of
this same dict: an event's ``data`` replaces the top-level keys it names, so a client's state
is always ``snapshot`` with every later event's ``data`` applied in order (see apply_event).
"""

from django.db import transaction

from .events import ROLE_VIEWS, view_head
from .models import Meeting

_parts = []
_personal_parts = []
# (meeting id, view) -> (seq, shared state): the part every client of a view shares is built once
# per stream position, not once per connection (3,000 tablets connect within seconds).
_shared_cache = {}


def register_part(fn):
    """fn(meeting, view) -> dict of top-level keys every client of that view sees."""
    _parts.append(fn)
    return fn


def register_personal_part(fn):
    """fn(meeting, member_id) -> dict of top-level keys only that member's tablet sees."""
    _personal_parts.append(fn)
    return fn


def build_snapshot(meeting_id, view, member_id=None):
    if view not in ROLE_VIEWS:
        raise ValueError(view)
    with transaction.atomic():
        # One read transaction, so the state and the seq it stands at agree.
        meeting = Meeting.objects.select_related("body", "venue", "current_item").get(pk=meeting_id)
        cached = _shared_cache.get((meeting_id, view))
        if cached is not None and cached[0] == meeting.last_seq:
            shared = cached[1]
        else:
            shared = {}
            for part in _parts:
                shared.update(part(meeting, view))
            _shared_cache[(meeting_id, view)] = (meeting.last_seq, shared)
        state = dict(shared)
        if view == "tablet" and member_id is not None:
            for part in _personal_parts:
                state.update(part(meeting, member_id))
        heads = {view: view_head(meeting_id, view)}
        if member_id is not None:
            heads["member"] = view_head(meeting_id, "member", member_id)
        return {"type": "snapshot", "seq": meeting.last_seq, "heads": heads, "state": state}


def apply_event(state, event_data):
    """The one rule every client follows (consoles/static/consoles/hall.js does the same)."""
    new = dict(state)
    new.update(event_data)
    return new
