"""Sign-in pages and files over HTTP: who may open them, the scanner endpoint, the rotating code,
the badge sheet and the exported record (PDF and XLSX)."""

import io
import json
import re
import zlib

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from openpyxl import load_workbook

from meeting.models import AuditEntry
from meeting.roles import DISPLAY, OPERATOR, sync_role_groups
from signin import codes, selectors, services
from signin.models import SigninRecord

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clients(hall):
    sync_role_groups()
    meeting, members, operator, sub = hall
    operator.groups.add(Group.objects.get(name=OPERATOR))
    screen = User.objects.create_user("screen", password="x" * 12)
    screen.groups.add(Group.objects.get(name=DISPLAY))
    nobody = User.objects.create_user("nobody", password="x" * 12)
    op, disp, plain = Client(), Client(), Client()
    op.force_login(operator)
    disp.force_login(screen)
    plain.force_login(nobody)
    return {"operator": op, "display": disp, "plain": plain, "anonymous": Client()}


def pages(meeting, sub):
    base = f"/console/{meeting.id}"
    return [f"{base}/scanner/", f"{base}/badges.pdf", f"{base}/signin.pdf", f"{base}/signin.xlsx",
            f"{base}/signin/members/?q=代表"]


def test_staff_pages_need_an_operator(hall, clients):
    meeting, _, _, sub = hall
    for url in pages(meeting, sub):
        assert clients["operator"].get(url).status_code == 200, url
        anonymous = clients["anonymous"].get(url)
        assert anonymous.status_code in (302, 403), url
        if anonymous.status_code == 302:
            assert "/login/" in anonymous["Location"]
        assert clients["plain"].get(url).status_code == 403, url
        assert clients["display"].get(url).status_code == 403, url
    for url in pages(meeting, sub):
        missing = url.replace(f"/console/{meeting.id}/", "/console/999999/")
        assert clients["operator"].get(missing).status_code == 404, missing


def test_the_rotating_code_page_is_for_operators_and_display_accounts(hall, clients):
    meeting, _, _, sub = hall
    page = f"/display/{meeting.id}/venue-code/{sub.id}/"
    for who in ("operator", "display"):
        assert clients[who].get(page).status_code == 200
        data = clients[who].get(page + "code/").json()
        assert codes.read_venue_code(data["code"], meeting.id).venue_id == sub.id
        assert data["svg"].startswith("<svg") or "<svg" in data["svg"][:200]
        assert 0 < data["seconds_left"] <= codes.WINDOW_SECONDS and data["venue"] == "青山县分会场"
    assert clients["plain"].get(page).status_code == 403
    assert clients["anonymous"].get(page + "code/").status_code == 403
    assert clients["operator"].get(f"/display/{meeting.id}/venue-code/{meeting.venue_id}/").status_code == 404
    assert clients["operator"].get(f"/display/999999/venue-code/{sub.id}/").status_code == 404


def scan(client, meeting, code, place=""):
    return client.post(f"/console/{meeting.id}/scanner/scan/", data=json.dumps({"code": code, "place": place}),
                       content_type="application/json")


def test_the_scanner_endpoint_signs_in_and_explains_refusals(hall, clients):
    meeting, members, operator, _ = hall
    op = clients["operator"]
    code = codes.badge_code(members[0].id, 1)
    refused = scan(op, meeting, code)
    assert refused.status_code == 400 and refused.json()["error"] == "signin_not_started"
    services.open_window(meeting.id, operator)
    ok = scan(op, meeting, code, "东门").json()
    assert ok["ok"] and not ok["already"] and ok["member"]["name"] == members[0].name
    assert ok["signin"]["place"] == "东门" and ok["signin"]["method"] == "badge"
    again = scan(op, meeting, code).json()
    assert again["ok"] and again["already"]
    forged = scan(op, meeting, code[:-3] + "abc")
    assert forged.status_code == 400 and forged.json()["error"] == "bad_code" and forged.json()["message"]
    assert SigninRecord.objects.filter(meeting=meeting).count() == 1
    assert scan(clients["plain"], meeting, code).status_code == 403
    assert scan(clients["anonymous"], meeting, code).json()["error"] == "login_required"
    assert op.get(f"/console/{meeting.id}/scanner/scan/").status_code == 405
    bad = op.post(f"/console/{meeting.id}/scanner/scan/", data="not json", content_type="application/json")
    assert bad.json()["error"] == "malformed"


def test_the_scanner_endpoint_wants_the_csrf_token(hall, clients):
    meeting, members, operator, _ = hall
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(operator)
    response = strict.post(f"/console/{meeting.id}/scanner/scan/", data=json.dumps({"code": "x"}),
                           content_type="application/json")
    assert response.status_code == 403


def test_roster_search_for_the_console(hall, clients):
    meeting, members, operator, _ = hall
    services.open_window(meeting.id, operator)
    services.tap(meeting.id, members[0].id)
    rows = clients["operator"].get(f"/console/{meeting.id}/signin/members/", {"q": members[0].member_number}).json()
    assert [(r["id"], r["status"]) for r in rows["members"]] == [(members[0].id, "signed_in")]


# ---- files ---------------------------------------------------------------------------------

def pdf_pages(content):
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    return len(re.findall(rb"/Type\s*/Page\b", content))


def pdf_text_streams(content):
    """The decoded content streams (reportlab writes ASCII85 over Flate)."""
    import base64

    out = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", content, re.S):
        data = match.group(1).strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data, adobe=True, ignorechars=b" \t\n\r\x0b")
        try:
            out.append(zlib.decompress(data))
        except zlib.error:
            out.append(data)
    return out


def pdf_text(content):
    """All the text of a PDF, when pypdfium2 (requirements-dev) is there to read it."""
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(content)
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def test_the_badge_sheet_has_a_badge_for_every_participant(hall, clients):
    meeting, members, operator, _ = hall
    response = clients["operator"].get(f"/console/{meeting.id}/badges.pdf")
    assert response["Content-Type"] == "application/pdf" and "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert pdf_pages(content) == 1  # 8 participants: one sheet of 8
    streams = b"".join(pdf_text_streams(content))
    assert streams.count(b" re") > 8 * 50  # QR modules drawn as rectangles
    assert b"STSong-Light" in content
    text = pdf_text(content)
    for m in members:
        assert m.name in text and m.member_number in text
    assert "座位：1排1号" in text and "城关区代表团" in text and meeting.body.name in text
    entry = AuditEntry.objects.get(action="signin.badges")
    assert entry.detail == {"count": 8, "member": None} and entry.actor == operator


def test_a_single_reissued_badge(hall, clients):
    meeting, members, operator, _ = hall
    services.revoke_badge(meeting.id, members[2].id, operator)
    one = clients["operator"].get(f"/console/{meeting.id}/badges.pdf", {"member": members[2].id})
    assert one.status_code == 200 and pdf_pages(one.content) == 1
    assert clients["operator"].get(f"/console/{meeting.id}/badges.pdf", {"member": "x"}).status_code == 400
    assert clients["operator"].get(f"/console/{meeting.id}/badges.pdf", {"member": 999999}).status_code == 404


def test_the_badge_qr_carries_the_current_code(hall):
    from signin import pdf

    meeting, members, operator, _ = hall
    services.revoke_badge(meeting.id, members[0].id, operator)
    code = codes.badge_code(members[0].id, selectors.badge_version(members[0].id))
    assert codes.read_badge(code).version == 2
    matrix = pdf.qr_matrix(code)
    import qrcode

    reference = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=pdf.QR_MASK)
    reference.add_data(code)
    reference.make(fit=True)
    assert matrix == reference.get_matrix()


def signed_in_hall(hall):
    meeting, members, operator, sub = hall
    services.open_window(meeting.id, operator)
    services.scan_badge(meeting.id, codes.badge_code(members[0].id, 1), "东门", operator)
    services.tap(meeting.id, members[1].id)
    services.manual_sign_in(meeting.id, members[2].id, "代表证遗忘", operator)
    services.record_leave(meeting.id, members[3].id, "出差", operator)
    services.close_window(meeting.id, operator)
    services.venue_sign_in(meeting.id, members[4].id, codes.venue_code(meeting.id, sub.id))
    services.tap(meeting.id, members[6].id)
    return meeting, members


def test_the_sign_in_record_as_xlsx_matches_the_records(hall, clients):
    meeting, members = signed_in_hall(hall)
    response = clients["operator"].get(f"/console/{meeting.id}/signin.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["签到记录"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("序号", "代表证号", "姓名", "代表团", "座位", "身份", "状态", "签到方式", "签到地点", "签到时间", "备注")
    by_number = {r[1]: r for r in rows[1:]}
    assert len(by_number) == 8
    first = by_number[members[0].member_number]
    assert first[2:9] == (members[0].name, "城关区代表团", "1排1号", "表决成员", "已签到", "扫代表码", "东门")
    record = SigninRecord.objects.get(member=members[0])
    from django.utils import timezone

    assert first[9] == timezone.localtime(record.at).replace(tzinfo=None, microsecond=first[9].microsecond)
    assert by_number[members[2].member_number][7] == "人工签到"
    assert "代表证遗忘" in by_number[members[2].member_number][10] and "op" in by_number[members[2].member_number][10]
    assert by_number[members[3].member_number][6] == "请假" and by_number[members[3].member_number][10] == "出差"
    assert by_number[members[4].member_number][7:9] == ("分会场扫码", "青山县分会场")
    assert by_number[members[4].member_number][10].startswith("迟到")
    assert by_number[members[5].member_number][6] == "缺席" and by_number[members[5].member_number][9] is None
    assert by_number[members[6].member_number][5:7] == ("列席", "已签到")
    assert by_number[members[7].member_number][6] == "未到"
    summary = {r[0]: r[1] for r in book["汇总"].iter_rows(values_only=True) if r and r[0]}
    assert (summary["应到"], summary["实到"], summary["请假"], summary["缺席"], summary["列席"]) == (6, 4, 1, 1, 1)
    assert summary["法定人数"] == 4 and summary["是否达到法定人数"] == "已达到"


def test_the_sign_in_record_as_pdf(hall, clients):
    meeting, _ = signed_in_hall(hall)
    response = clients["operator"].get(f"/console/{meeting.id}/signin.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert pdf_pages(response.content) == 1 and b"STSong-Light" in response.content
    text = pdf_text(response.content)
    assert "应到 6 人，实到 4 人，请假 1 人，缺席 1 人，列席 1 人" in text
    assert "已达到" in text and "签到记录" in text and "代表证遗忘" in text and "青山县分会场" in text
    assert AuditEntry.objects.filter(action="signin.export", detail__format="pdf").exists()
