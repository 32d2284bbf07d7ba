"""Seat-assignment import: who sits where at one meeting, by 代表证号 and 座位号.

A member already seated at this meeting is moved to the seat the file gives. A seat held by
someone else stays theirs, unless the same file moves that person too, so swaps work in one go.
"""

from django.utils.translation import gettext as _, gettext_lazy

from ..models import AuditEntry, Member, Participant, SeatAssignment
from ..refresh import refreshing
from .plan import (
    CREATE, UNCHANGED, UPDATE, Item, Plan, PlanHasErrors, check_length, column_name, file_error_plan,
    header_errors, in_chunks,
)
from .reader import Column, ImportFileError, read_sheet

NAME = "assignments"

MEMBER = Column("member_number", "代表证号", ("代表证编号", "证号", "member_no"), required=True, max_length=32)
SEAT = Column("seat", "座位号", ("座位", "座位编号", "label"), required=True, max_length=32)
COLUMNS = [MEMBER, SEAT]

PREVIEW_COLUMNS = [gettext_lazy("代表证号"), gettext_lazy("姓名"), gettext_lazy("座位号"), gettext_lazy("说明")]


def parse(content, filename, meeting):
    try:
        sheet = read_sheet(content, filename, COLUMNS)
    except ImportFileError as exc:
        return file_error_plan(NAME, meeting, exc)
    plan = Plan(NAME, meeting, columns=PREVIEW_COLUMNS)
    if header_errors(plan, sheet):
        return plan

    members = {}
    for chunk in in_chunks({values["member_number"] for _row, values in sheet.rows}):
        members.update((m.member_number, m) for m in Member.objects.filter(member_number__in=chunk))
    participants = set(Participant.objects.filter(meeting=meeting).values_list("member_id", flat=True))
    seats = {seat.label: seat for seat in meeting.venue.seats.all()}
    current = list(SeatAssignment.objects.filter(meeting=meeting).select_related("member", "seat"))
    holder_of_seat = {a.seat_id: a.member for a in current}
    seat_of_member = {a.member_id: a.seat for a in current}

    member_col, seat_col = column_name(sheet, MEMBER), column_name(sheet, SEAT)
    seat_rows, member_rows, resolved = {}, {}, []
    for row, values in sheet.rows:
        before = len(plan.errors)
        number, label = values["member_number"], values["seat"]
        if not number:
            plan.error(row, member_col, _("代表证号不能为空"))
        elif check_length(plan, row, sheet, MEMBER, number):
            member = members.get(number)
            if member is None:
                plan.error(row, member_col, _("未知代表证号“%(number)s”") % {"number": number})
            elif member.id not in participants:
                plan.error(row, member_col, _("%(member)s不是本次会议的参会人员") % {"member": member})
            elif member.id in member_rows:
                plan.error(row, member_col, _("%(member)s已在第%(first)d行安排座位") % {
                    "member": member, "first": member_rows[member.id],
                })
            else:
                member_rows[member.id] = row
        if not label:
            plan.error(row, seat_col, _("座位号不能为空"))
        elif check_length(plan, row, sheet, SEAT, label):
            seat = seats.get(label)
            if seat is None:
                plan.error(row, seat_col, _("会场“%(venue)s”中没有座位“%(label)s”") % {
                    "venue": meeting.venue, "label": label,
                })
            elif seat.id in seat_rows:
                plan.error(row, seat_col, _("座位“%(label)s”已在第%(first)d行安排给他人") % {
                    "label": label, "first": seat_rows[seat.id],
                })
            else:
                seat_rows[seat.id] = row
        if len(plan.errors) == before:
            resolved.append((row, members[number], seats[label]))

    moved = set(member_rows)
    for row, member, seat in resolved:
        holder = holder_of_seat.get(seat.id)
        if holder is not None and holder.id != member.id and holder.id not in moved:
            plan.error(row, seat_col, _("座位“%(label)s”已安排给%(holder)s") % {"label": seat.label, "holder": holder})
            continue
        old_seat = seat_of_member.get(member.id)
        if old_seat is None:
            action, note = CREATE, ""
        elif old_seat.id == seat.id:
            action, note = UNCHANGED, ""
        else:
            action, note = UPDATE, _("原座位：%(label)s") % {"label": old_seat.label}
        plan.items.append(Item(
            row=row, action=action, cells=[member.member_number, member.name, seat.label, note],
            data={"member_id": member.id, "seat_id": seat.id},
        ))
    plan.errors.sort(key=lambda e: (e.row or 0))
    return plan


def apply(plan, actor=None):
    if plan.errors:
        raise PlanHasErrors(plan.errors)
    meeting = plan.target
    changing = [item for item in plan.items if item.action != UNCHANGED]
    # Connected tablets and the hall's screens are told of the new seats (meeting.refresh).
    with refreshing("import.assignments") as refresh:
        refresh.capture([meeting.id])
        # Free every seat being vacated first, so a swap never trips the one-seat-per-member rule.
        moving = [item.data["member_id"] for item in changing if item.action == UPDATE]
        for chunk in in_chunks(moving):
            SeatAssignment.objects.filter(meeting=meeting, member_id__in=chunk).delete()
        SeatAssignment.objects.bulk_create([
            SeatAssignment(meeting=meeting, member_id=item.data["member_id"], seat_id=item.data["seat_id"])
            for item in changing
        ], batch_size=500)
        AuditEntry.objects.create(meeting=meeting, actor=actor, action="import_seats", detail={
            "created": plan.created, "updated": plan.updated,
        })
    return plan
