import io
from datetime import datetime, timezone

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings as hypothesis_settings, strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from meeting.importing import assignments
from meeting.importing.plan import PlanHasErrors
from meeting.models import Body, Meeting, Member, Seat, SeatAssignment, Venue, Zone

from .import_support import csv_bytes, hall, xlsx_bytes
from .import_support import body, meeting, venue  # noqa: F401  (fixtures)

HEADER = ["代表证号", "座位号"]


def seating(meeting):
    return dict(SeatAssignment.objects.filter(meeting=meeting).values_list("member__member_number", "seat__label"))


def import_file(meeting, content, filename="seats.csv"):
    plan = assignments.parse(content, filename, meeting)
    if plan.ok:
        assignments.apply(plan)
    return plan


@pytest.fixture
def seated(meeting):
    hall(meeting)
    return meeting


@pytest.mark.django_db
def test_good_csv_seats_everyone(seated):
    plan = import_file(seated, csv_bytes([HEADER, ["LJ0001", "1排1号"], ["LJ0002", "1排2号"], ["LJ0003", "1排6号"]]))
    assert plan.errors == [] and plan.created == 3
    assert seating(seated) == {"LJ0001": "1排1号", "LJ0002": "1排2号", "LJ0003": "1排6号"}


@pytest.mark.django_db
def test_reimport_moves_members_and_swaps_work(seated):
    import_file(seated, csv_bytes([HEADER, ["LJ0001", "1排1号"], ["LJ0002", "1排2号"], ["LJ0003", "1排3号"]]))
    rows = [["member_number", "seat"], ["LJ0001", "1排2号"], ["LJ0002", "1排1号"], ["LJ0003", "1排3号"]]
    plan = import_file(seated, xlsx_bytes(rows), "swap.xlsx")

    assert plan.errors == []
    assert (plan.created, plan.updated, plan.unchanged) == (0, 2, 1)
    assert plan.items[0].cells[-1] == "原座位：1排1号"
    assert seating(seated) == {"LJ0001": "1排2号", "LJ0002": "1排1号", "LJ0003": "1排3号"}


@pytest.mark.django_db
def test_gb18030_csv(seated):
    plan = import_file(seated, csv_bytes([HEADER, ["LJ0004", "1排4号"]], encoding="gb18030"))
    assert plan.errors == [] and seating(seated) == {"LJ0004": "1排4号"}


@pytest.mark.django_db
def test_each_error_kind_with_its_row(seated):
    outsider = Member.objects.create(member_number="WB0001", name="外宾")
    other_venue = Venue.objects.create(name="别的会堂")
    Seat.objects.create(venue=other_venue, zone=Zone.objects.create(venue=other_venue, name="A"),
                        row=1, number=1, label="1排9号", x=0, y=0)
    rows = [
        HEADER,
        ["LJ0001", "1排1号"],   # 2: fine
        ["ZZ9999", "1排2号"],   # 3: unknown member
        [outsider.member_number, "1排3号"],  # 4: not a participant
        ["LJ0002", "1排9号"],   # 5: seat not in this meeting's venue
        ["LJ0003", "1排1号"],   # 6: seat already taken in the file
        ["LJ0001", "1排5号"],   # 7: member seated twice
        ["", "1排4号"],         # 8: empty member number
    ]
    before = SeatAssignment.objects.count()
    plan = assignments.parse(csv_bytes(rows), "seats.csv", seated)

    assert [str(e) for e in plan.errors] == [
        "第3行 [代表证号]: 未知代表证号“ZZ9999”",
        "第4行 [代表证号]: 外宾（WB0001）不是本次会议的参会人员",
        "第5行 [座位号]: 会场“临江会堂”中没有座位“1排9号”",
        "第6行 [座位号]: 座位“1排1号”已在第2行安排给他人",
        "第7行 [代表证号]: 代表1（LJ0001）已在第2行安排座位",
        "第8行 [代表证号]: 代表证号不能为空",
    ]
    with pytest.raises(PlanHasErrors):
        assignments.apply(plan)
    assert SeatAssignment.objects.count() == before


@pytest.mark.django_db
def test_seat_already_assigned_to_someone_else(seated):
    import_file(seated, csv_bytes([HEADER, ["LJ0001", "1排1号"]]))
    plan = assignments.parse(csv_bytes([HEADER, ["LJ0002", "1排1号"]]), "s.csv", seated)
    assert [str(e) for e in plan.errors] == ["第2行 [座位号]: 座位“1排1号”已安排给代表1（LJ0001）"]
    assert seating(seated) == {"LJ0001": "1排1号"}


@pytest.mark.django_db
def test_missing_column(seated):
    plan = assignments.parse(csv_bytes([["代表证号", "姓名"], ["LJ0001", "代表1"]]), "s.csv", seated)
    assert [(e.row, e.column) for e in plan.errors] == [(1, "座位号")]


@pytest.mark.django_db
def test_command_preview_dry_run_and_errors(seated, tmp_path):
    path = tmp_path / "seats.csv"
    path.write_bytes(csv_bytes([HEADER, ["LJ0001", "1排1号"], ["LJ0002", "1排2号"]]))
    out = io.StringIO()
    call_command("import_seats", "--meeting", str(seated.id), str(path), "--dry-run", stdout=out)
    assert "新增 2 条，更新 0 条，不变 0 条" in out.getvalue()
    assert seating(seated) == {}

    out = io.StringIO()
    call_command("import_seats", "--meeting", str(seated.id), str(path), "-v", "2", stdout=out)
    assert "第2行 新增：LJ0001 | 代表1 | 1排1号" in out.getvalue()
    assert len(seating(seated)) == 2

    path.write_bytes(csv_bytes([HEADER, ["LJ0003", "1排1号"]]))
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_seats", "--meeting", str(seated.id), str(path), stdout=io.StringIO(), stderr=err)
    assert failure.value.returncode == 1
    assert err.getvalue().strip() == "第2行 [座位号]: 座位“1排1号”已安排给代表1（LJ0001）"
    assert len(seating(seated)) == 2

    with pytest.raises(CommandError, match="找不到编号为 9999 的会议"):
        call_command("import_seats", "--meeting", "9999", str(path))


class AnyReshuffleOfSeatedMembersImportsInOneGo(HypothesisTestCase):
    """Swaps and longer cycles of moves must not trip over seats that the same file frees."""

    @given(seats=st.permutations(range(1, 7)), order=st.permutations(range(4)))
    @hypothesis_settings(max_examples=30, deadline=None)
    def test_reshuffle(self, seats, order):
        body = Body.objects.create(name="临江市人民代表大会", kind=Body.Kind.CONGRESS, term=17)
        venue = Venue.objects.create(name="临江会堂")
        meeting = Meeting.objects.create(body=body, kind=Meeting.Kind.PLENARY, title="会议", session_number=1,
                                         venue=venue, starts_at=datetime(2026, 1, 10, tzinfo=timezone.utc))
        hall(meeting, people=4, seats=6)
        first = {f"LJ{n:04d}": f"1排{n}号" for n in range(1, 5)}
        import_file(meeting, csv_bytes([HEADER, *first.items()]))

        wanted = {f"LJ{n:04d}": f"1排{seats[n - 1]}号" for n in range(1, 5)}
        rows = [list(wanted.items())[i] for i in order]
        plan = import_file(meeting, csv_bytes([HEADER, *rows]))

        assert plan.errors == []
        assert seating(meeting) == wanted
