"""Following a meeting's stored event stream the way docs/protocol.md tells a client to, for the
snapshot + events == fresh snapshot tests of every app."""

from meeting.snapshot import apply_event


def follow(snapshot, events, view, member_id):
    """``snapshot`` (as built for this view/member) with the stored ``events`` applied in order;
    fails on a gap in any view the client follows."""
    state, followed = snapshot["state"], {view: snapshot["heads"][view]}
    if member_id is not None:
        followed["member"] = snapshot["heads"]["member"]
    for e in events:
        keys = [k for k in followed if k in e.prev and (k != "member" or e.member_id == member_id)]
        if not keys:
            continue
        for k in keys:
            assert e.prev[k] == followed[k], f"gap in {k} at seq {e.seq}"
            followed[k] = e.seq
        state = apply_event(state, e.data)
    return state
