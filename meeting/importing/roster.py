"""Roster import: the members of one body (the congress or its standing committee).

Members are matched by 代表证号 across the whole register: a known number updates that person,
a new one creates them. Deputies become members of the target body (BodyMembership); 列席人员 are
put on the register but never join the body, because the body's members are who a vote counts
against (应到). An empty cell in an optional column leaves what is on record alone, so a partial
sheet never wipes phone numbers.
"""

import re

from django.utils.translation import gettext as _, gettext_lazy

from ..models import AuditEntry, Body, BodyMembership, Delegation, Member
from ..refresh import meetings_of_members, refreshing
from .plan import (
    CREATE, UNCHANGED, UPDATE, Item, Plan, PlanHasErrors, check_length, column_name, file_error_plan,
    header_errors, in_chunks,
)
from .reader import Column, ImportFileError, plain, read_sheet

NAME = "roster"

NUMBER = Column("member_number", "代表证号", ("代表证编号", "证号", "member_no"), required=True, max_length=32)
PERSON = Column("name", "姓名", (), required=True, max_length=64)
GENDER = Column("gender", "性别", ("sex",))
DELEGATION = Column("delegation", "代表团", ("所在代表团",), max_length=100)
KIND = Column("kind", "身份", ("类别",))
ORGANISATION = Column("organisation", "工作单位及职务", ("工作单位", "单位及职务", "organization"), max_length=200)
PHONE = Column("phone", "联系电话", ("电话", "手机", "手机号码", "mobile"), max_length=32)
TITLE = Column("title", "机构职务", (), max_length=64)
COLUMNS = [NUMBER, PERSON, GENDER, DELEGATION, KIND, ORGANISATION, PHONE, TITLE]

PREVIEW_COLUMNS = [
    gettext_lazy("代表证号"), gettext_lazy("姓名"), gettext_lazy("性别"), gettext_lazy("身份"),
    gettext_lazy("代表团"), gettext_lazy("工作单位及职务"), gettext_lazy("联系电话"), gettext_lazy("说明"),
]

GENDERS = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F"}
KINDS = {
    "代表": Member.Kind.DEPUTY, "deputy": Member.Kind.DEPUTY,
    "列席": Member.Kind.ATTENDEE, "列席人员": Member.Kind.ATTENDEE, "attendee": Member.Kind.ATTENDEE,
}
PHONE_CHARS = re.compile(r"[0-9+\-]+")
FIELD_LABELS = {
    "name": gettext_lazy("姓名"), "gender": gettext_lazy("性别"), "kind": gettext_lazy("身份"),
    "delegation": gettext_lazy("代表团"), "organisation": gettext_lazy("工作单位及职务"),
    "phone": gettext_lazy("联系电话"), "membership": gettext_lazy("加入本机构"),
    "title": gettext_lazy("机构职务"),
}


def parse(content, filename, body, create_delegations=False):
    options = {"create_delegations": bool(create_delegations)}
    try:
        sheet = read_sheet(content, filename, COLUMNS)
    except ImportFileError as exc:
        return file_error_plan(NAME, body, exc, **options)
    plan = Plan(NAME, body, columns=PREVIEW_COLUMNS, options=options)
    if header_errors(plan, sheet):
        return plan

    numbers = {values["member_number"] for _row, values in sheet.rows}
    existing = {}
    for chunk in in_chunks(numbers):
        existing.update(
            (m.member_number, m) for m in Member.objects.filter(member_number__in=chunk).select_related("delegation")
        )
    memberships = {m.member_id: m for m in BodyMembership.objects.filter(body=body)}
    delegations = {d.name: d for d in body.delegations.all()}
    new_delegations = []
    first_row = {}

    for row, values in sheet.rows:
        before = len(plan.errors)
        fields = _clean_row(plan, sheet, row, values)
        number = fields["member_number"]
        if number:
            if number in first_row:
                plan.error(row, column_name(sheet, NUMBER),
                           _("代表证号“%(number)s”与第%(first)d行重复") % {"number": number, "first": first_row[number]})
            else:
                first_row[number] = row
        delegation = fields.get("delegation")
        if delegation and delegation not in delegations:
            if create_delegations:
                if delegation not in new_delegations:
                    new_delegations.append(delegation)
            else:
                plan.error(row, column_name(sheet, DELEGATION),
                           _("未知代表团“%(name)s”：请先在“%(body)s”下建立该代表团") % {"name": delegation, "body": body})
        member = existing.get(number)
        if fields.get("kind") == Member.Kind.ATTENDEE and member and member.id in memberships:
            plan.error(row, column_name(sheet, KIND), _("%(member)s是“%(body)s”的组成人员，不能改为列席") % {
                "member": member, "body": body,
            })
        if len(plan.errors) > before:
            continue
        plan.items.append(_item(row, fields, member, memberships, delegations))

    plan.extras["delegations"] = new_delegations
    plan.extra_labels["delegations"] = _("新建代表团")
    return plan


def _clean_row(plan, sheet, row, values):
    fields = {}
    for col in COLUMNS:
        value = values.get(col.key, "")
        if col.required and not value:
            plan.error(row, column_name(sheet, col), _("%(label)s不能为空") % {"label": col.label})
            continue
        if value and check_length(plan, row, sheet, col, value):
            fields[col.key] = value
    fields.setdefault("member_number", "")
    if "gender" in fields:
        gender = GENDERS.get(plain(fields["gender"]).lower())
        if gender is None:
            plan.error(row, column_name(sheet, GENDER),
                       _("性别应为 男/女/M/F，而不是“%(value)s”") % {"value": fields["gender"]})
        fields["gender"] = gender
    if "kind" in fields:
        kind = KINDS.get(plain(fields["kind"]).lower())
        if kind is None:
            plan.error(row, column_name(sheet, KIND),
                       _("身份应为 代表 或 列席，而不是“%(value)s”") % {"value": fields["kind"]})
        fields["kind"] = kind
    if "phone" in fields:
        fields["phone"] = plain(fields["phone"])
    if "phone" in fields and not PHONE_CHARS.fullmatch(fields["phone"]):
        plan.error(row, column_name(sheet, PHONE),
                   _("联系电话只能包含数字、“-”和“+”，而不是“%(value)s”") % {"value": fields["phone"]})
    return fields


def _item(row, fields, member, memberships, delegations):
    person = {k: fields[k] for k in ("name", "gender", "kind", "organisation", "phone") if k in fields}
    delegation = fields.get("delegation")
    title = fields.get("title")
    kind = person.get("kind") or (member.kind if member else Member.Kind.DEPUTY)
    joins = kind == Member.Kind.DEPUTY
    changed = []
    if member is None:
        action = CREATE
        person["kind"] = kind
    else:
        changed = [k for k, v in person.items() if getattr(member, k) != v]
        known = delegations.get(delegation)
        if delegation and (known is None or known.id != member.delegation_id):
            changed.append("delegation")
        membership = memberships.get(member.id)
        if joins and membership is None:
            changed.append("membership")
        elif joins and title and membership.title != title:
            changed.append("title")
        action = UPDATE if changed else UNCHANGED
    notes = []
    if changed:
        notes.append(_("变更：%(fields)s") % {"fields": "、".join(str(FIELD_LABELS[k]) for k in changed)})
    if not joins:
        notes.append(_("列席人员，不加入本机构"))
    gender = person.get("gender") or (member.gender if member else "")
    cells = [
        fields["member_number"],
        person.get("name") or member.name,
        Member.Gender(gender).label if gender else "",
        Member.Kind(kind).label,
        delegation or (member.delegation.name if member and member.delegation_id else ""),
        person.get("organisation") or (member.organisation if member else ""),
        person.get("phone") or (member.phone if member else ""),
        "；".join(notes),
    ]
    data = {
        "member_id": member.id if member else None, "member_number": fields["member_number"],
        "person": person, "delegation": delegation, "title": title, "joins": joins,
    }
    return Item(row=row, action=action, cells=cells, data=data)


def apply(plan, actor=None):
    """Write the plan in one transaction; returns the plan. Raises PlanHasErrors if it has any."""
    if plan.errors:
        raise PlanHasErrors(plan.errors)
    body = plan.target
    creates = [item for item in plan.items if item.action == CREATE]
    updates = [item for item in plan.items if item.action == UPDATE]
    # An updated name or delegation shows on the member's tablet in every meeting not closed where
    # they take part (meeting.refresh); new members take part in none yet.
    with refreshing("import.roster") as refresh:
        refresh.capture(meetings_of_members({item.data["member_id"] for item in updates}))
        delegations = _ensure_delegations(body, plan)
        Member.objects.bulk_create([
            Member(member_number=item.data["member_number"], delegation=delegations.get(item.data["delegation"]),
                   **item.data["person"])
            for item in creates
        ], batch_size=500)
        ids = {}
        for chunk in in_chunks([item.data["member_number"] for item in creates]):
            ids.update(Member.objects.filter(member_number__in=chunk).values_list("member_number", "id"))
        BodyMembership.objects.bulk_create([
            BodyMembership(body=body, member_id=ids[item.data["member_number"]], title=item.data["title"] or "")
            for item in creates if item.data["joins"]
        ], batch_size=500)
        for item in updates:
            _update_member(body, item.data, delegations)
        AuditEntry.objects.create(actor=actor, action="import_roster", detail={
            "body": body.id, "created": len(creates), "updated": len(updates),
            "delegations_created": plan.extras.get("delegations", []),
        })
    return plan


def _ensure_delegations(body, plan):
    delegations = {d.name: d for d in body.delegations.all()}
    order = max((d.order for d in delegations.values()), default=0)
    for name in plan.extras.get("delegations", []):
        if name not in delegations:
            order += 1
            delegations[name] = Delegation.objects.create(body=body, name=name, order=order)
    return delegations


def _update_member(body, data, delegations):
    member = Member.objects.get(pk=data["member_id"])
    for key, value in data["person"].items():
        setattr(member, key, value)
    if data["delegation"]:
        member.delegation = delegations[data["delegation"]]
    member.save()
    if not data["joins"]:
        return
    membership, created = BodyMembership.objects.get_or_create(
        body=body, member=member, defaults={"title": data["title"] or ""},
    )
    if not created and data["title"] and membership.title != data["title"]:
        membership.title = data["title"]
        membership.save(update_fields=["title"])


def find_body(ref):
    """A body by id or by name; raise Body.DoesNotExist / MultipleObjectsReturned like get()."""
    ref = str(ref).strip()
    if ref.isdigit():
        return Body.objects.get(pk=int(ref))
    return Body.objects.get(name=ref)
