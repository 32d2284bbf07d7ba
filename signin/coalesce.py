"""Hall-wide sign-in figures go out coalesced, not once per sign-in (see meeting.coalesce):
each sign-in publishes only its member's own patch at once; the figures and the signed-in seats
follow at most every DELAY seconds (signin.services.publish_attendance)."""

from meeting.coalesce import Coalescer


def _flush(meeting_id):
    from .services import publish_attendance

    publish_attendance(meeting_id)


coalescer = Coalescer(_flush)
