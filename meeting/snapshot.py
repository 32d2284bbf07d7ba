"""What a client of each role may see of a meeting, as one JSON-able dict.

Apps add their parts (sign-in adds quorum, voting adds the poll) with register_part(); the
meeting app never imports them, so dependencies keep pointing one way. Events are patches of
this same dict: an event's ``data`` replaces the top-level keys it names, so a client's state
is always ``snapshot`` with every later event's ``data`` applied in order (see apply_event).
"""


from .events import ROLE_VIEWS, member_view_heads, view_head
from .models import Meeting
from .reading import read_transaction

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
    """fn(meeting, member_ids, shared) -> {member_id: dict of keys only that member's tablet sees}.

    Bulk, so a burst of tablets connecting is served with a few queries, not a few per tablet;
    ``shared`` is the view's shared state (e.g. the poll on screen), already built.
    """
    _personal_parts.append(fn)
    return fn


def _shared_state(meeting, view):
    cached = _shared_cache.get((meeting.id, view))
    if cached is not None and cached[0] == meeting.last_seq:
        return cached[1]
    shared = build_shared_state(meeting, view)
    _shared_cache[(meeting.id, view)] = (meeting.last_seq, shared)
    return shared


def build_snapshots(meeting_id, view, member_ids):
    """One snapshot per member id (None: a client with no member view), read together."""
    if view not in ROLE_VIEWS:
        raise ValueError(view)
    with read_transaction():
        # One read transaction, so the state and the seq it stands at agree.
        meeting = Meeting.objects.select_related("body", "venue", "current_item").get(pk=meeting_id)
        shared = _shared_state(meeting, view)
        members = sorted({m for m in member_ids if m is not None}) if view == "tablet" else []
        personal = {m: {} for m in members}
        if members:
            for part in _personal_parts:
                for member_id, keys in part(meeting, members, shared).items():
                    personal[member_id].update(keys)
        role_head = view_head(meeting_id, view)
        member_heads = member_view_heads(meeting_id, members)
        snapshots = []
        for member_id in member_ids:
            heads = {view: role_head}
            state = dict(shared)
            if member_id is not None:
                heads["member"] = member_heads.get(member_id, 0)
                state.update(personal.get(member_id, {}))
            snapshots.append({"type": "snapshot", "seq": meeting.last_seq, "heads": heads, "state": state})
        return snapshots


def build_snapshot(meeting_id, view, member_id=None):
    return build_snapshots(meeting_id, view, [member_id])[0]


def build_shared_state(meeting, view):
    """A view's shared state built afresh from the registered parts, never from the cache (for
    meeting.refresh, which must see the records as they are, not as of the stream position)."""
    shared = {}
    for part in _parts:
        shared.update(part(meeting, view))
    return shared


def build_personal_states(meeting, member_ids, shared):
    """{member id: the keys only that member's tablet sees}, from the registered personal parts;
    ``shared`` is the tablet view's shared state."""
    personal = {m: {} for m in member_ids}
    if personal:
        for part in _personal_parts:
            for member_id, keys in part(meeting, list(personal), shared).items():
                personal[member_id].update(keys)
    return personal


def apply_event(state, event_data):
    """The one rule every client follows (consoles/static/consoles/hall.js does the same)."""
    new = dict(state)
    new.update(event_data)
    return new


def _snapshots_for(key, member_ids):
    meeting_id, view = key
    return build_snapshots(meeting_id, view, member_ids)


def _batcher():
    from .batching import Batcher

    return Batcher(_snapshots_for)


snapshots = _batcher()
