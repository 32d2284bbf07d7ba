"""Importing rosters, seat maps and seat assignments from CSV or XLSX.

Each importer module (roster, seatmap, assignments) has ``parse(content, filename, target, ...)``
that reads and checks without writing and returns a Plan (plan.py), and ``apply(plan, actor)``
that writes it in one transaction and refuses a plan with errors. A file with any bad row
imports nothing. The management commands and the admin (meeting.admin_import) are thin shells
around these two calls.
"""

import os
from importlib import import_module

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

IMPORTER_NAMES = ("roster", "seatmap", "assignments")


def importer(name):
    if name not in IMPORTER_NAMES:
        raise LookupError(name)
    return import_module(f"{__name__}.{name}")


def read_upload_path(path):
    """The bytes of a file named on the command line, refusing big ones before reading them."""
    from .reader import max_bytes, megabytes

    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes():
                raise CommandError(_("文件太大（%(size)s），上限为 %(limit)s") % {
                    "size": megabytes(size), "limit": megabytes(max_bytes()),
                })
            return handle.read(max_bytes() + 1)
    except OSError as exc:
        raise CommandError(_("无法读取文件 %(path)s：%(error)s") % {"path": path, "error": exc.strerror}) from None


def run_command(command, plan, apply, dry_run, verbosity=1):
    """Print the preview or every error, then apply unless dry-run; CommandError on errors."""
    if plan.errors:
        for error in plan.errors:
            command.stderr.write(str(error))
        raise CommandError(_("文件有 %(count)d 处错误，未导入任何数据") % {"count": len(plan.errors)})
    if verbosity >= 2:
        for item in plan.items:
            command.stdout.write(_("第%(row)d行 %(action)s：%(cells)s") % {
                "row": item.row, "action": item.action_label,
                "cells": " | ".join(str(c) for c in item.cells if c != ""),
            })
    command.stdout.write(_("预览：%(summary)s") % {"summary": plan.summary()})
    if dry_run:
        command.stdout.write(_("试运行（--dry-run），未写入任何数据。"))
        return
    apply(plan)
    command.stdout.write(command.style.SUCCESS(_("导入完成：%(summary)s") % {"summary": plan.summary()}))
