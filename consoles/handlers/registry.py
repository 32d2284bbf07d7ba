"""(view, request type) -> handler. A handler gets the socket (for meeting_id, member_id,
user()) and the parsed message; it returns a dict for the ok reply, False to send no ok, or
raises meeting.errors.ServiceError for an error reply."""

_handlers = {}


def handles(type_, *views):
    def register(fn):
        for view in views:
            key = (view, type_)
            if key in _handlers:
                raise RuntimeError(f"two handlers for {key}")
            _handlers[key] = fn
        return fn

    return register


def lookup(view, type_):
    return _handlers.get((view, type_))


def types_for(view):
    return sorted(t for v, t in _handlers if v == view)
