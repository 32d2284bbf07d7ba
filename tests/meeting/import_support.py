"""Files and records the import tests share.

Not a conftest.py: other apps' tests live in this folder too, and these fixtures are only for
the import tests, which import them by name.
"""

import csv
import io
from datetime import datetime, timezone

import openpyxl
import pytest

from meeting.models import Body, Delegation, Meeting, Member, Participant, Seat, Venue, Zone


def csv_bytes(rows, encoding="utf-8"):
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def hall(meeting, people=4, seats=6):
    zone = Zone.objects.create(venue=meeting.venue, name="池座")
    for n in range(1, seats + 1):
        Seat.objects.create(venue=meeting.venue, zone=zone, row=1, number=n, label=f"1排{n}号", x=n, y=1)
    for n in range(1, people + 1):
        member = Member.objects.create(member_number=f"LJ{n:04d}", name=f"代表{n}")
        Participant.objects.create(meeting=meeting, member=member)


@pytest.fixture
def body(db):
    body = Body.objects.create(name="临江市人民代表大会", kind=Body.Kind.CONGRESS, term=17)
    Delegation.objects.create(body=body, name="城关区代表团", order=1)
    Delegation.objects.create(body=body, name="江北区代表团", order=2)
    return body


@pytest.fixture
def venue(db):
    return Venue.objects.create(name="临江会堂")


@pytest.fixture
def meeting(body, venue):
    return Meeting.objects.create(
        body=body, kind=Meeting.Kind.PLENARY, title="临江市第十七届人民代表大会第一次会议", session_number=1,
        venue=venue, starts_at=datetime(2026, 1, 10, 1, 0, tzinfo=timezone.utc),
    )


@pytest.fixture
def import_dir(settings, tmp_path):
    # Uploads waiting for confirmation must not land in the developer's var/.
    settings.VAR_DIR = tmp_path
    return tmp_path / "imports"
