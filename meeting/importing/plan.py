"""What an import would do, and what is wrong with the file: the shared shape of every importer.

An importer's ``parse`` reads and checks a file against the database without writing, and
returns a Plan. Its ``apply`` writes the plan in one transaction, and refuses a plan with errors.
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _, gettext_lazy

CREATE = "create"
UPDATE = "update"
UNCHANGED = "unchanged"

ACTION_LABELS = {CREATE: gettext_lazy("新增"), UPDATE: gettext_lazy("更新"), UNCHANGED: gettext_lazy("不变")}


class PlanHasErrors(Exception):
    """apply() was given a plan that lists errors; nothing was written."""


@dataclass(frozen=True)
class RowError:
    row: int | None  # None: the file as a whole (too big, wrong type)
    column: str
    reason: str

    def __str__(self):
        if self.row is None:
            return _("文件: %(reason)s") % {"reason": self.reason}
        if self.column:
            return _("第%(row)d行 [%(column)s]: %(reason)s") % {
                "row": self.row, "column": self.column, "reason": self.reason,
            }
        return _("第%(row)d行: %(reason)s") % {"row": self.row, "reason": self.reason}


@dataclass
class Item:
    """One row of the file as it will be written."""

    row: int
    action: str
    cells: list  # what the preview shows, in the order of Plan.columns
    data: dict = field(default_factory=dict)  # what apply() needs; importer-specific

    @property
    def action_label(self):
        return ACTION_LABELS[self.action]


@dataclass
class Plan:
    importer: str
    target: object  # the Body, Venue or Meeting imported into
    columns: list = field(default_factory=list)  # preview headings
    items: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    # Side effects that are not rows: {"delegations": ["城关区代表团"]}, labelled by extra_labels.
    extras: dict = field(default_factory=dict)
    extra_labels: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)

    @property
    def ok(self):
        return not self.errors

    def count(self, action):
        return sum(1 for item in self.items if item.action == action)

    @property
    def created(self):
        return self.count(CREATE)

    @property
    def updated(self):
        return self.count(UPDATE)

    @property
    def unchanged(self):
        return self.count(UNCHANGED)

    def error(self, row, column, reason):
        self.errors.append(RowError(row, str(column), str(reason)))

    def summary(self):
        text = _("新增 %(created)d 条，更新 %(updated)d 条，不变 %(unchanged)d 条") % {
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
        }
        for label, names in self.extra_lines():
            text += _("；%(label)s %(count)d 个：%(names)s") % {
                "label": label, "count": len(names), "names": "、".join(names),
            }
        return text

    def extra_lines(self):
        return [(self.extra_labels.get(key, key), names) for key, names in self.extras.items() if names]

    def digest(self):
        """Fingerprint of what would be written, so a confirm can tell the data moved under it."""
        body = json.dumps(
            [[i.row, i.action, [str(c) for c in i.cells]] for i in self.items]
            + [[k, list(v)] for k, v in self.extras.items()],
            ensure_ascii=False,
        )
        return hashlib.sha256(body.encode()).hexdigest()


def file_error_plan(importer, target, exc, **options):
    plan = Plan(importer=importer, target=target, options=options)
    plan.errors.append(RowError(None, "", str(exc)))
    return plan


def header_errors(plan, sheet):
    """Report missing and doubled columns once, on row 1; True if rows cannot be checked."""
    for col in sheet.missing:
        plan.error(1, col.label, _("缺少必填列“%(label)s”（也可写作 %(key)s）") % {"label": col.label, "key": col.key})
    for col, first, second in sheet.duplicated:
        plan.error(1, second, _("与“%(first)s”是同一列，重复出现") % {"first": first})
    return bool(plan.errors)


def check_length(plan, row, sheet, col, value):
    if col.max_length and len(value) > col.max_length:
        plan.error(row, column_name(sheet, col), _("超过 %(max)d 个字符（现为 %(length)d 个）") % {
            "max": col.max_length, "length": len(value),
        })
        return False
    return True


def column_name(sheet, col):
    """The header as the user wrote it, so the message matches their spreadsheet."""
    return sheet.headers.get(col.key) or col.label


def in_chunks(values, size=500):
    # SQLite caps the number of query parameters; 20,000 member numbers must go in slices.
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]
