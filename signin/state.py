"""The sign-in parts of the snapshot (see meeting.snapshot.register_part).

    attendance      console, display   {entitled, present, leave, absent, attendees,
                                         quorum: {reached, needed, rule_label},
                                         window: {state, state_label, opened_at, closed_at}}
                    tablet             {window} only: a tablet shows no hall figures
    present_seats   console, display   [seat id, …] of everyone signed in
    my_attendance   a bound tablet     {status, method, method_label, place, at, late}
"""

from meeting.snapshot import register_part, register_personal_part

from . import selectors


@register_part
def signin_part(meeting, view):
    if view == "tablet":
        return {"attendance": selectors.tablet_attendance(meeting)}
    part = {"attendance": selectors.attendance(meeting)}
    if view in ("console", "display"):
        part["present_seats"] = selectors.present_seats(meeting)
    return part


@register_personal_part
def my_attendance_part(meeting, member_ids, shared):
    return {m: {"my_attendance": a} for m, a in selectors.my_attendances(meeting, member_ids).items()}
