"""PDFs: the badge sheet (代表码) and the sign-in record, with reportlab's built-in CID font
STSong-Light for Chinese (no font file needed; the reader supplies the glyphs)."""

import io

import qrcode
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from meeting.models import SeatAssignment

from . import codes
from .models import BadgeKey

FONT = "STSong-Light"
RED = colors.HexColor("#8b0000")
GOLD = colors.HexColor("#b8892b")
MUTED = colors.HexColor("#6e5f55")

_registered = False


def _font():
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


# Any of the eight masks decodes the same; evaluating all eight (the qrcode default) costs four
# times the rest of a badge, and a sheet for 3,000 members must come out in seconds.
QR_MASK = 2


def qr_matrix(data):
    """The QR modules of ``data`` (error correction M), rows of booleans, no quiet zone."""
    qr = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=QR_MASK)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.get_matrix()


def draw_qr(c, data, x, y, size):
    """Draw the code with its bottom-left corner at (x, y), ``size`` points square: one rectangle
    per run of dark modules, in module units, so a sheet of thousands stays small and quick."""
    matrix = qr_matrix(data)
    n = len(matrix)
    c.saveState()
    c.translate(x, y + size)
    c.scale(size / n, -size / n)
    c.setFillColor(colors.black)
    path = c.beginPath()
    for r, row in enumerate(matrix):
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                path.rect(start, r, col - start, 1)
            else:
                col += 1
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()


def _fit(c, text, font, size, width, smallest=7):
    """The largest size ≤ ``size`` at which ``text`` fits ``width``."""
    while size > smallest and c.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


# ---- the badge sheet ---------------------------------------------------------------------------

BADGE_W, BADGE_H = 95 * mm, 66 * mm
COLS, ROWS = 2, 4
QR_SIZE = 40 * mm


def badge_sheet(meeting, members):
    """A4 pages of 2 x 4 badges to cut out: name, delegation, seat, number and the personal code."""
    font = _font()
    seats = dict(SeatAssignment.objects.filter(meeting=meeting, member__in=members)
                 .values_list("member_id", "seat__label"))
    versions = dict(BadgeKey.objects.filter(member__in=members).values_list("member_id", "version"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle(f"{meeting.title} 代表码")
    c.setAuthor("会堂")
    page_w, page_h = A4
    left = (page_w - COLS * BADGE_W) / 2
    top = page_h - (page_h - ROWS * BADGE_H) / 2
    per_page = COLS * ROWS
    if not members:
        c.setFont(font, 14)
        c.drawString(20 * mm, page_h - 30 * mm, "本次会议没有参会人员")
    for i, member in enumerate(members):
        if i and i % per_page == 0:
            c.showPage()
        slot = i % per_page
        x = left + (slot % COLS) * BADGE_W
        y = top - (slot // COLS + 1) * BADGE_H
        code = codes.badge_code(member.id, versions.get(member.id, 1))
        _badge(c, font, meeting, member, seats.get(member.id, ""), code, x, y)
    c.showPage()
    c.save()
    return buf.getvalue()


def _badge(c, font, meeting, member, seat, code, x, y):
    pad = 5 * mm
    c.saveState()
    c.setStrokeColor(colors.HexColor("#999999"))
    c.setDash(2, 2)
    c.setLineWidth(0.4)
    c.rect(x, y, BADGE_W, BADGE_H)
    c.restoreState()
    # A red band with the body's name.
    c.setFillColor(RED)
    c.rect(x + 0.5, y + BADGE_H - 11 * mm, BADGE_W - 1, 10.5 * mm, stroke=0, fill=1)
    c.setFillColor(colors.white)
    band = meeting.body.name
    c.setFont(font, _fit(c, band, font, 11, BADGE_W - 2 * pad))
    c.drawCentredString(x + BADGE_W / 2, y + BADGE_H - 7.3 * mm, band)

    text_w = BADGE_W - QR_SIZE - 3 * pad
    tx = x + pad
    c.setFillColor(colors.black)
    size = _fit(c, member.name, font, 22, text_w, 12)
    c.setFont(font, size)
    c.drawString(tx, y + BADGE_H - 23 * mm, member.name)
    c.setFillColor(MUTED)
    lines = [
        member.delegation.name if member.delegation_id else str(member.get_kind_display()),
        f"座位：{seat}" if seat else "座位：—",
        f"证号：{member.member_number}",
    ]
    for n, line in enumerate(lines):
        c.setFont(font, _fit(c, line, font, 10, text_w))
        c.drawString(tx, y + BADGE_H - (32 + 7 * n) * mm, line)
    c.setFillColor(RED)
    c.setFont(font, 8)
    c.drawString(tx, y + pad, "代表码　签到时出示")
    draw_qr(c, code, x + BADGE_W - pad - QR_SIZE, y + pad, QR_SIZE)
    c.setFillColor(colors.black)


# ---- the sign-in record ------------------------------------------------------------------------

def _time(iso):
    return iso[11:19] if iso else ""


def summary_lines(meeting, attendance):
    q = attendance["quorum"]
    figures = (f"应到 {attendance['entitled']} 人，实到 {attendance['present']} 人，请假 {attendance['leave']} 人，"
               f"缺席 {attendance['absent']} 人，列席 {attendance['attendees']} 人")
    quorum = f"法定人数：{q['rule_label']}（至少 {q['needed']} 人），{'已达到' if q['reached'] else '未达到'}"
    window = attendance["window"]
    times = f"签到状态：{window['state_label']}"
    if window["opened_at"]:
        times += f"，开始 {window['opened_at'][:19].replace('T', ' ')}"
    if window["closed_at"]:
        times += f"，截止 {window['closed_at'][:19].replace('T', ' ')}"
    return [figures, quorum, times]


RECORD_HEADER = ["序号", "代表证号", "姓名", "代表团", "座位", "身份", "状态", "签到方式", "签到地点", "签到时间", "备注"]


def record_note(row):
    notes = []
    if row["late"]:
        notes.append("迟到")
    if row["reason"]:
        notes.append(row["reason"])
    if row["actor"]:
        notes.append(f"经办：{row['actor']}")
    return "；".join(notes)


def signin_record(meeting, rows, attendance):
    font = _font()
    buf = io.BytesIO()
    generated = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm, title=f"{meeting.title} 签到记录",
                            author="会堂")
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=TA_CENTER, textColor=RED)
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15)
    cell = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10)
    story = [Paragraph(f"{meeting.title}　签到记录", title), Spacer(1, 3 * mm)]
    for line in summary_lines(meeting, attendance):
        story.append(Paragraph(line, body))
    story.append(Spacer(1, 4 * mm))
    data = [RECORD_HEADER]
    for n, row in enumerate(rows, start=1):
        data.append([
            str(n), row["number"], row["name"], Paragraph(row["delegation"] or "", cell), Paragraph(row["seat"] or "", cell),
            row["role_label"], row["status_label"], row["method_label"], Paragraph(row["place"] or "", cell),
            _time(row["at"]), Paragraph(record_note(row), cell),
        ])
    widths = [10, 20, 20, 32, 30, 18, 14, 20, 34, 18, 57]
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 8),
        ("FONT", (0, 0), (-1, 0), font, 9),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3e6cf")),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#bbaa90")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#fbf7ef")]),
    ]))
    story.append(table)

    def footer(c, doc_):
        c.saveState()
        c.setFont(font, 8)
        c.setFillColor(MUTED)
        c.drawString(12 * mm, 8 * mm, f"{meeting.body.name}　导出时间 {generated}")
        c.drawRightString(landscape(A4)[0] - 12 * mm, 8 * mm, f"第 {doc_.page} 页")
        c.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
