"""The result sheet (表决结果单) of a closed poll, as a PDF in Chinese.

It shows the frozen result — counts, the rule applied, pass/fail — and what makes it checkable:
the ballot log's head hash and length, the server's Ed25519 signature over the result and the
server's public key. reportlab's built-in CID font STSong-Light sets the Chinese (no font file;
the reader supplies the glyphs); hashes and signatures are set in Courier."""

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from . import signing
from .models import HandCount, Poll

FONT = "STSong-Light"
MONO = "Courier"
RED = colors.HexColor("#8b0000")
MUTED = colors.HexColor("#6e5f55")
LINE = colors.HexColor("#b9a89a")
SHADE = colors.HexColor("#f6efe6")
MONO_WIDTH = 64  # characters per line of a hash or signature (fits A4 at 8 pt)

_registered = False


def _font():
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _time(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M:%S") if dt else "—"


def _wrap(text, width=MONO_WIDTH):
    text = text or ""
    return "<br/>".join(escape(text[i:i + width]) for i in range(0, len(text), width)) or "—"


def _styles():
    font = _font()
    base = dict(fontName=font, wordWrap="CJK")
    return {
        "meeting": ParagraphStyle("meeting", fontSize=13, leading=18, alignment=TA_CENTER, textColor=MUTED, **base),
        "heading": ParagraphStyle("heading", fontSize=20, leading=28, alignment=TA_CENTER, textColor=RED, **base),
        "title": ParagraphStyle("title", fontSize=15, leading=22, alignment=TA_CENTER, **base),
        "body": ParagraphStyle("body", fontSize=10.5, leading=16, **base),
        "small": ParagraphStyle("small", fontSize=9, leading=13, textColor=MUTED, **base),
        "cell": ParagraphStyle("cell", fontSize=10.5, leading=14, alignment=TA_CENTER, **base),
        "cell_left": ParagraphStyle("cell_left", fontSize=10.5, leading=14, **base),
        "count": ParagraphStyle("count", fontSize=18, leading=24, alignment=TA_CENTER, **base),
        "verdict": ParagraphStyle("verdict", fontSize=40, leading=52, alignment=TA_CENTER, **base),
        "mark": ParagraphStyle("mark", fontSize=11, leading=16, textColor=RED, **base),
        "label": ParagraphStyle("label", fontSize=9.5, leading=13, textColor=MUTED, **base),
        "mono": ParagraphStyle("mono", fontName=MONO, fontSize=8, leading=10.5),
    }


def _verdict(passed, st, size=None):
    color = "#8b0000" if passed else "#333333"
    word = "通过" if passed else "未通过"
    style = st["verdict"] if size is None else ParagraphStyle("v", parent=st["verdict"], fontSize=size,
                                                              leading=size * 1.3)
    return Paragraph(f'<font color="{color}">{word}</font>', style)


def _grid(data, widths, header_rows=1):
    table = Table(data, colWidths=widths, hAlign="CENTER")
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.6, LINE),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), SHADE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def _motion(result, st, width):
    heads = ["应到", "实到", "赞成", "反对", "弃权", "未按"]
    values = [result["entitled"], result["signed_in"], result["for"], result["against"], result["abstain"],
              result["not_voted"]]
    data = [[Paragraph(h, st["cell"]) for h in heads], [Paragraph(str(v), st["count"]) for v in values]]
    return [_grid(data, [width / 6] * 6), Spacer(1, 6 * mm),
            Paragraph(f"通过规则：{escape(result['rule'])}（需赞成票 {result['required']} 票）", st["body"]),
            Spacer(1, 4 * mm), _verdict(result["passed"], st)]


def _appointment(result, st, width):
    heads = ["被提名人", "拟任职务", "赞成", "反对", "弃权", "未按", "需赞成", "结果"]
    data = [[Paragraph(h, st["cell"]) for h in heads]]
    for row in result["nominees"]:
        data.append([
            Paragraph(escape(str(row.get("name", row["nominee"]))), st["cell_left"]),
            Paragraph(escape(row.get("post", "") or "—"), st["cell_left"]),
            *[Paragraph(str(row[k]), st["cell"]) for k in ("for", "against", "abstain", "not_voted", "required")],
            _verdict(row["passed"], st, size=13),
        ])
    fixed = width * 0.09
    table = _grid(data, [width * 0.19, width * 0.25] + [fixed] * 5 + [width - width * 0.44 - fixed * 5])
    passed = sum(1 for row in result["nominees"] if row["passed"])
    failed = len(result["nominees"]) - passed
    out = [Paragraph(f"应到 {result['entitled']} 人，实到 {result['signed_in']} 人；逐人表决，"
                     f"每名被提名人单独计票、单独决定。", st["body"]), Spacer(1, 3 * mm), table,
           Spacer(1, 5 * mm),
           Paragraph(f"通过规则：{escape(result['rule'])}", st["body"]), Spacer(1, 4 * mm)]
    if len(result["nominees"]) == 1:
        out.append(_verdict(passed == 1, st))
    else:
        summary = f'<font color="#8b0000">通过 {passed} 人</font>　未通过 {failed} 人'
        out.append(Paragraph(summary, ParagraphStyle("sum", parent=st["verdict"], fontSize=26, leading=34)))
    return out


def result_sheet(poll):
    """The PDF bytes of a closed or announced poll's result sheet."""
    st = _styles()
    result = poll.result
    meeting = poll.meeting
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"{poll.title} 表决结果", author="会堂",
                            subject=f"{meeting.title}")
    width = doc.width
    kind = "人事任免（逐人表决）" if poll.kind == Poll.Kind.APPOINTMENT else "议案表决"
    if result.get("hand_counted"):
        secrecy = "人工计票（举手或纸质表决）"
    else:
        secrecy = "无记名表决" if poll.anonymous else "记名表决"
    story = [
        Paragraph(escape(meeting.title), st["meeting"]),
        Paragraph("表 决 结 果", st["heading"]),
        Paragraph(escape(poll.title), st["title"]),
        Spacer(1, 5 * mm),
    ]
    info = [
        [Paragraph("表决方式", st["cell_left"]), Paragraph(f"{kind}　{secrecy}"
                                                       + ("　允许结束前改票" if poll.allow_change else ""),
                                                       st["cell_left"])],
        [Paragraph("开始时间", st["cell_left"]), Paragraph(_time(poll.opened_at), st["cell_left"])],
        [Paragraph("结束时间", st["cell_left"]), Paragraph(_time(poll.closed_at), st["cell_left"])],
        [Paragraph("状态", st["cell_left"]), Paragraph(str(Poll.State(poll.state).label)
                                                     + (f"（宣布于 {_time(poll.announced_at)}）"
                                                        if poll.announced_at else ""), st["cell_left"])],
    ]
    info_table = Table(info, colWidths=[width * 0.18, width * 0.82])
    info_table.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE),
        ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    story += [info_table, Spacer(1, 6 * mm)]

    if result.get("hand_counted"):
        hand = HandCount.objects.filter(poll=poll).first()
        when = f"，录入时间 {_time(hand.entered_at)}" if hand else ""
        note = f"；备注：{escape(hand.note)}" if hand and hand.note else ""
        mark = Table([[Paragraph(f"人工计票：本项表决因故以举手或纸质方式进行，结果由 "
                                 f"{escape(result.get('entered_by', ''))} 录入{when}{note}。", st["mark"])]],
                     colWidths=[width])
        mark.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.2, RED), ("TOPPADDING", (0, 0), (-1, -1), 6),
                                  ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
        story += [mark, Spacer(1, 5 * mm)]

    story += _appointment(result, st, width) if poll.kind == Poll.Kind.APPOINTMENT else _motion(result, st, width)
    story.append(Spacer(1, 8 * mm))

    head = poll.log_head
    integrity = [
        Paragraph("核验信息", ParagraphStyle("h2", parent=st["body"], fontSize=12, leading=18, textColor=RED)),
        Paragraph(f"选票记录条数：{poll.log_length}", st["body"]),
        Paragraph("选票记录链头（SHA-256）：", st["label"]),
        Paragraph(_wrap(head) if head else "（无电子选票，链头为空）", st["mono"] if head else st["body"]),
        Spacer(1, 2 * mm),
        Paragraph("服务器签名（Ed25519，base64url）：", st["label"]),
        Paragraph(_wrap(poll.result_signature), st["mono"]),
        Spacer(1, 2 * mm),
        Paragraph("服务器公钥（Ed25519，base64url）：", st["label"]),
        Paragraph(_wrap(signing.public_key_b64()), st["mono"]),
        Spacer(1, 3 * mm),
        Paragraph(
            "核验方法：在主控台下载本项表决的选票记录 log.json，运行 "
            f'<font name="{MONO}" size="8.5">python tools/verify_ballot_log.py log.json --server-key </font>'
            "〈上面的服务器公钥〉。该程序只依赖 cryptography，按 docs/ballot-log.md 重新计算哈希链、各项签名和票数，"
            "与本结果单不符时以非零状态退出。代表可用终端上的回执（序号和记录哈希）核对自己的选票在记录中。",
            st["small"]),
    ]
    story.append(KeepTogether(integrity))

    generated = timezone.localtime().strftime("%Y-%m-%d %H:%M")

    def footer(canvas, doc_):
        canvas.saveState()
        canvas.setFont(_font(), 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(doc_.leftMargin, 9 * mm, f"会堂 · 表决结果单 · 会议 {meeting.id} 表决 {poll.id} · 生成于 {generated}")
        canvas.drawRightString(A4[0] - doc_.rightMargin, 9 * mm, f"第 {doc_.page} 页")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
