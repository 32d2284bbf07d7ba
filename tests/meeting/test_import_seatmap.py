import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from meeting.importing import seatmap
from meeting.importing.plan import PlanHasErrors
from meeting.models import Seat, Venue, Zone

from .import_support import csv_bytes, xlsx_bytes
from .import_support import venue  # noqa: F401  (fixtures)

HEADER = ["区域", "区域类别", "排", "号", "座位号", "x", "y"]
GOOD_ROWS = [
    ["主席台", "主席台", "1", "1", "主席台1号", "480", "40"],
    ["主席台", "", "1", "2", "", "520", "40"],
    ["池座", "池座", "1", "1", "", "100", "200"],
    ["池座", "floor", "1", "2", "", "130.5", "200"],
    ["二楼", "楼座", "１", "１", "", "100", "500"],  # full-width digits, as Chinese input methods type them
]


def counts():
    return Venue.objects.count(), Zone.objects.count(), Seat.objects.count()


def import_seats(venue, content, filename="seats.csv"):
    plan = seatmap.parse(content, filename, venue)
    if plan.ok:
        seatmap.apply(plan)
    return plan


@pytest.mark.django_db
def test_good_csv_creates_zones_and_seats(venue):
    plan = import_seats(venue, csv_bytes([HEADER, *GOOD_ROWS]))

    assert plan.errors == [] and plan.created == 5
    assert list(venue.zones.values_list("name", "kind", "order")) == [
        ("主席台", "presidium", 1), ("池座", "floor", 2), ("二楼", "balcony", 3),
    ]
    assert set(venue.seats.values_list("label", flat=True)) == {
        "主席台1号", "主席台1排2号", "池座1排1号", "池座1排2号", "二楼1排1号",
    }
    seat = Seat.objects.get(label="池座1排2号")
    assert (seat.zone.name, seat.row, seat.number, seat.x, seat.y) == ("池座", 1, 2, 130.5, 200.0)
    assert "新建区域 3 个" in plan.summary()


@pytest.mark.django_db
def test_english_headers_xlsx_and_an_existing_zone(venue):
    Zone.objects.create(venue=venue, name="池座", kind=Zone.Kind.FLOOR, order=5)
    rows = [["zone", "zone_kind", "row", "number", "label", "X", "Y"],
            ["池座", None, 3, 12, None, 100, 250.25],
            ["列席区", "observers", 1, 1, "列1", 900, 600]]
    plan = import_seats(venue, xlsx_bytes(rows), "seats.xlsx")
    assert plan.errors == []
    assert plan.extras["zones"] == ["列席区"]
    assert Seat.objects.get(label="池座3排12号").y == 250.25
    assert Zone.objects.get(name="列席区").order == 6


@pytest.mark.django_db
def test_new_venue_is_created_only_on_apply(db):
    venue = seatmap.venue_for("临江会堂二号厅")
    plan = seatmap.parse(csv_bytes([HEADER, *GOOD_ROWS]), "s.csv", venue)
    assert Venue.objects.count() == 0 and plan.extras["venue"] == ["临江会堂二号厅"]
    seatmap.apply(plan)
    assert Venue.objects.get(name="临江会堂二号厅").seats.count() == 5


def row_with(**changes):
    row = dict(zip(HEADER, ["池座", "池座", "9", "9", "", "10", "10"]))
    row.update(changes)
    return [row[h] for h in HEADER]


@pytest.mark.django_db
@pytest.mark.parametrize("bad_row, column, reason", [
    (row_with(排="三"), "排", "排应为 1 到 9999 之间的整数，而不是“三”"),
    (row_with(排="2.5"), "排", "排应为 1 到 9999 之间的整数"),
    (row_with(号="0"), "号", "号应为 1 到 9999 之间的整数"),
    (row_with(号=""), "号", "号不能为空"),
    (row_with(x="左边"), "x", "坐标应为数字，而不是“左边”"),
    (row_with(y="nan"), "y", "坐标应为数字"),
    (row_with(区域=""), "区域", "区域不能为空"),
    (row_with(区域类别="贵宾席"), "区域类别", "区域类别应为 主席台/池座/楼座/列席席"),
    (row_with(区域类别="楼座"), "区域类别", "区域“池座”的类别与第4行不一致"),
    (row_with(座位号="主席台1号"), "座位号", "座位号“主席台1号”与第2行重复"),
    (row_with(排="1", 号="2", 座位号="另一个"), "号", "池座1排2号与第5行是同一座位"),
    (row_with(座位号="长" * 33), "座位号", "超过 32 个字符"),
])
def test_each_bad_row_is_reported_and_nothing_is_written(venue, bad_row, column, reason):
    rows = [HEADER, *GOOD_ROWS, bad_row]  # the bad row is row 7
    before = counts()
    plan = seatmap.parse(csv_bytes(rows), "seats.csv", venue)

    assert [(e.row, e.column) for e in plan.errors] == [(7, column)]
    assert reason in plan.errors[0].reason
    with pytest.raises(PlanHasErrors):
        seatmap.apply(plan)
    assert counts() == before


@pytest.mark.django_db
def test_seats_already_in_the_venue_are_refused(venue):
    import_seats(venue, csv_bytes([HEADER, *GOOD_ROWS]))
    before = counts()
    rows = [HEADER, ["池座", "", "1", "1", "新标签", "0", "0"], ["二楼", "", "2", "1", "主席台1号", "0", "0"],
            ["池座", "", "5", "5", "", "0", "0"]]
    plan = seatmap.parse(csv_bytes(rows), "seats.csv", venue)
    assert [str(e) for e in plan.errors] == [
        "第2行 [号]: 会场中已有座位 池座1排1号",
        "第3行 [座位号]: 会场中已有座位号“主席台1号”",
    ]
    assert counts() == before


@pytest.mark.django_db
def test_existing_zone_kind_must_match(venue):
    Zone.objects.create(venue=venue, name="池座", kind=Zone.Kind.FLOOR)
    plan = seatmap.parse(csv_bytes([HEADER, row_with(区域类别="主席台")]), "s.csv", venue)
    assert [str(e) for e in plan.errors] == ["第2行 [区域类别]: 区域“池座”已存在，类别为池座"]


@pytest.mark.django_db
def test_missing_columns_reported_once_each_on_row_1(venue):
    plan = seatmap.parse(csv_bytes([["区域", "排", "号"], ["池座", "1", "1"]]), "s.csv", venue)
    assert [(e.row, e.column) for e in plan.errors] == [(1, "x"), (1, "y")]


@pytest.mark.django_db
def test_command_creates_the_venue_and_dry_run_does_not(db, tmp_path):
    path = tmp_path / "seats.csv"
    path.write_bytes(csv_bytes([HEADER, *GOOD_ROWS]))

    out = io.StringIO()
    call_command("import_seatmap", "--venue", "新会堂", str(path), "--dry-run", stdout=out)
    assert "新增 5 条" in out.getvalue() and "新建会场 1 个：新会堂" in out.getvalue()
    assert counts() == (0, 0, 0)

    call_command("import_seatmap", "--venue", "新会堂", str(path), stdout=io.StringIO())
    assert counts() == (1, 3, 5)


@pytest.mark.django_db
def test_command_fails_with_every_error(venue, tmp_path):
    path = tmp_path / "seats.xlsx"
    path.write_bytes(xlsx_bytes([HEADER, *GOOD_ROWS, row_with(排="A"), row_with(x="?", 号="8")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="文件有 2 处错误") as failure:
        call_command("import_seatmap", "--venue", venue.name, str(path), stdout=io.StringIO(), stderr=err)
    assert failure.value.returncode == 1
    assert err.getvalue().splitlines() == [
        "第7行 [排]: 排应为 1 到 9999 之间的整数，而不是“A”",
        "第8行 [x]: 坐标应为数字，而不是“?”",
    ]
    assert counts() == (1, 0, 0)
