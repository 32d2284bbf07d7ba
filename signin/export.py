"""The sign-in record as an Excel workbook (openpyxl): one row per participant, and a summary."""

import io
from datetime import datetime

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from .pdf import RECORD_HEADER, record_note, summary_lines

HEADER_FILL = PatternFill("solid", fgColor="F3E6CF")
WIDTHS = [6, 12, 10, 18, 18, 10, 8, 12, 20, 20, 40]


def _local(iso):
    """An ISO time from the selectors as a naive local datetime (Excel has no time zones)."""
    if not iso:
        return None
    return datetime.fromisoformat(iso).replace(tzinfo=None)


def signin_workbook(meeting, rows, attendance):
    wb = Workbook()
    sheet = wb.active
    sheet.title = "签到记录"
    sheet.append(RECORD_HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
    for n, row in enumerate(rows, start=1):
        sheet.append([
            n, row["number"], row["name"], row["delegation"], row["seat"], row["role_label"], row["status_label"],
            row["method_label"], row["place"], _local(row["at"]), record_note(row),
        ])
        sheet.cell(row=n + 1, column=10).number_format = "yyyy-mm-dd hh:mm:ss"
    for i, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = width
    sheet.freeze_panes = "A2"

    summary = wb.create_sheet("汇总")
    summary.append(["会议", meeting.title])
    summary.append(["机构", meeting.body.name])
    summary.append(["导出时间", timezone.localtime().replace(tzinfo=None, microsecond=0)])
    summary["B3"].number_format = "yyyy-mm-dd hh:mm:ss"
    summary.append([])
    for label, key in (("应到", "entitled"), ("实到", "present"), ("请假", "leave"), ("缺席", "absent"),
                       ("列席", "attendees")):
        summary.append([label, attendance[key]])
    summary.append(["法定人数", attendance["quorum"]["needed"]])
    summary.append(["是否达到法定人数", "已达到" if attendance["quorum"]["reached"] else "未达到"])
    summary.append([])
    for line in summary_lines(meeting, attendance):
        summary.append([line])
    summary.column_dimensions["A"].width = 18
    summary.column_dimensions["B"].width = 60

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
