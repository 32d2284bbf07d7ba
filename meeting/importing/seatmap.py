"""Seat-map import: the seats of one venue, with the zones they sit in.

Seats are only ever added: a seat already in the venue (same label, or same zone/row/number)
is an error, because moving a seat that meetings have assigned is a change to make by hand.
"""

import math
import re

from django.utils.translation import gettext as _, gettext_lazy

from ..models import AuditEntry, Seat, Venue, Zone
from ..refresh import meetings_of_venues, refreshing
from .plan import CREATE, Item, Plan, PlanHasErrors, check_length, column_name, file_error_plan, header_errors
from .reader import Column, ImportFileError, plain, read_sheet

NAME = "seatmap"
MAX_ROW_NUMBER = 9999

ZONE = Column("zone", "区域", ("区", "分区"), required=True, max_length=64)
ZONE_KIND = Column("zone_kind", "区域类别", ("zonekind", "区域类型"))
ROW = Column("row", "排", ("排号",), required=True)
NUMBER = Column("number", "号", ("座号", "seat_number"), required=True)
LABEL = Column("label", "座位号", ("座位编号", "seat"), max_length=32)
X = Column("x", "x", ("横坐标",), required=True)
Y = Column("y", "y", ("纵坐标",), required=True)
COLUMNS = [ZONE, ZONE_KIND, ROW, NUMBER, LABEL, X, Y]

PREVIEW_COLUMNS = [
    gettext_lazy("区域"), gettext_lazy("区域类别"), gettext_lazy("排"), gettext_lazy("号"),
    gettext_lazy("座位号"), "x", "y",
]

ZONE_KINDS = {
    "主席台": Zone.Kind.PRESIDIUM, "presidium": Zone.Kind.PRESIDIUM,
    "池座": Zone.Kind.FLOOR, "floor": Zone.Kind.FLOOR,
    "楼座": Zone.Kind.BALCONY, "balcony": Zone.Kind.BALCONY,
    "列席席": Zone.Kind.OBSERVERS, "observers": Zone.Kind.OBSERVERS,
}
DIGITS = re.compile(r"[0-9]+")


def default_label(zone, row, number):
    return f"{zone}{row}排{number}号"


def parse(content, filename, venue):
    """``venue`` may be unsaved (a new venue); apply() then creates it."""
    try:
        sheet = read_sheet(content, filename, COLUMNS)
    except ImportFileError as exc:
        return file_error_plan(NAME, venue, exc)
    plan = Plan(NAME, venue, columns=PREVIEW_COLUMNS)
    if header_errors(plan, sheet):
        return plan

    zones, taken_labels, taken_seats = {}, set(), set()
    if venue.pk:
        zones = {z.name: z for z in venue.zones.all()}
        for label, zone, row, number in Seat.objects.filter(venue=venue).values_list(
            "label", "zone__name", "row", "number"
        ):
            taken_labels.add(label)
            taken_seats.add((zone, row, number))
    new_zone_kinds = {}  # zone name -> (kind, first row)
    label_rows, seat_rows = {}, {}

    for row, values in sheet.rows:
        before = len(plan.errors)
        zone = values.get("zone", "")
        if not zone:
            plan.error(row, column_name(sheet, ZONE), _("区域不能为空"))
        else:
            check_length(plan, row, sheet, ZONE, zone)
        kind = _zone_kind(plan, sheet, row, values.get("zone_kind", ""))
        seat_row = _position(plan, sheet, row, ROW, plain(values.get("row", "")))
        number = _position(plan, sheet, row, NUMBER, plain(values.get("number", "")))
        x = _coordinate(plan, sheet, row, X, plain(values.get("x", "")))
        y = _coordinate(plan, sheet, row, Y, plain(values.get("y", "")))
        if len(plan.errors) > before:
            continue

        _check_zone_kind(plan, sheet, row, zone, kind, zones, new_zone_kinds)
        label = values.get("label", "") or default_label(zone, seat_row, number)
        if not check_length(plan, row, sheet, LABEL, label):
            continue
        label_col = column_name(sheet, LABEL)
        if label in label_rows:
            plan.error(row, label_col, _("座位号“%(label)s”与第%(first)d行重复") % {
                "label": label, "first": label_rows[label],
            })
        elif label in taken_labels:
            plan.error(row, label_col, _("会场中已有座位号“%(label)s”") % {"label": label})
        else:
            label_rows[label] = row
        key = (zone, seat_row, number)
        where = {"zone": zone, "row": seat_row, "number": number}
        if key in seat_rows:
            plan.error(row, column_name(sheet, NUMBER),
                       _("%(zone)s%(row)d排%(number)d号与第%(first)d行是同一座位") % {**where, "first": seat_rows[key]})
        elif key in taken_seats:
            plan.error(row, column_name(sheet, NUMBER), _("会场中已有座位 %(zone)s%(row)d排%(number)d号") % where)
        else:
            seat_rows[key] = row
        if len(plan.errors) > before:
            continue
        zone_kind = zones[zone].kind if zone in zones else new_zone_kinds[zone][0]
        plan.items.append(Item(
            row=row, action=CREATE,
            cells=[zone, Zone.Kind(zone_kind).label, seat_row, number, label, _number(x), _number(y)],
            data={"zone": zone, "row": seat_row, "number": number, "label": label, "x": x, "y": y},
        ))

    if not venue.pk:
        plan.extras["venue"] = [venue.name]
        plan.extra_labels["venue"] = _("新建会场")
    plan.extras["zones"] = list(new_zone_kinds)
    plan.extra_labels["zones"] = _("新建区域")
    plan.options["zone_kinds"] = {name: kind for name, (kind, _row) in new_zone_kinds.items()}
    return plan


def _zone_kind(plan, sheet, row, value):
    if not value:
        return None
    kind = ZONE_KINDS.get(plain(value).lower())
    if kind is None:
        plan.error(row, column_name(sheet, ZONE_KIND),
                   _("区域类别应为 主席台/池座/楼座/列席席，而不是“%(value)s”") % {"value": value})
    return kind


def _check_zone_kind(plan, sheet, row, zone, kind, zones, new_zone_kinds):
    if zone in zones:
        if kind and kind != zones[zone].kind:
            plan.error(row, column_name(sheet, ZONE_KIND), _("区域“%(zone)s”已存在，类别为%(kind)s") % {
                "zone": zone, "kind": zones[zone].get_kind_display(),
            })
    elif zone in new_zone_kinds:
        first_kind, first_row = new_zone_kinds[zone]
        if kind and kind != first_kind:
            plan.error(row, column_name(sheet, ZONE_KIND), _("区域“%(zone)s”的类别与第%(first)d行不一致") % {
                "zone": zone, "first": first_row,
            })
    else:
        new_zone_kinds[zone] = (kind or Zone.Kind.FLOOR, row)


def _position(plan, sheet, row, col, value):
    if not value:
        plan.error(row, column_name(sheet, col), _("%(label)s不能为空") % {"label": col.label})
        return None
    if not DIGITS.fullmatch(value) or not 1 <= int(value) <= MAX_ROW_NUMBER:
        plan.error(row, column_name(sheet, col), _("%(label)s应为 1 到 %(max)d 之间的整数，而不是“%(value)s”") % {
            "label": col.label, "max": MAX_ROW_NUMBER, "value": value,
        })
        return None
    return int(value)


def _coordinate(plan, sheet, row, col, value):
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        plan.error(row, column_name(sheet, col), _("坐标应为数字，而不是“%(value)s”") % {"value": value})
        return None
    return number


def _number(value):
    return int(value) if value.is_integer() else value


def apply(plan, actor=None):
    if plan.errors:
        raise PlanHasErrors(plan.errors)
    venue = plan.target
    # New seats are nobody's yet, so no meeting's state changes today; the refresh keeps that an
    # outcome, not an assumption (it publishes nothing when nothing changed).
    with refreshing("import.seatmap") as refresh:
        if venue.pk:
            refresh.capture(meetings_of_venues({venue.pk}))
        if not venue.pk:
            venue.save()
        zones = {z.name: z for z in venue.zones.all()}
        order = max((z.order for z in zones.values()), default=0)
        for name, kind in plan.options.get("zone_kinds", {}).items():
            if name not in zones:
                order += 1
                zones[name] = Zone.objects.create(venue=venue, name=name, kind=kind, order=order)
        Seat.objects.bulk_create([
            Seat(venue=venue, zone=zones[item.data["zone"]], row=item.data["row"], number=item.data["number"],
                 label=item.data["label"], x=item.data["x"], y=item.data["y"])
            for item in plan.items
        ], batch_size=500)
        AuditEntry.objects.create(actor=actor, action="import_seatmap", detail={
            "venue": venue.id, "created": len(plan.items), "zones_created": plan.extras.get("zones", []),
        })
    return plan


def venue_for(name):
    """The venue of that name, or a new unsaved one that apply() will create."""
    return Venue.objects.filter(name=name).first() or Venue(name=name)
