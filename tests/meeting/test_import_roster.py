import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings as hypothesis_settings, strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from meeting.importing import roster
from meeting.importing.plan import PlanHasErrors
from meeting.models import AuditEntry, Body, BodyMembership, Delegation, Member

from .import_support import csv_bytes, xlsx_bytes
from .import_support import body  # noqa: F401  (fixtures)

HEADER = ["代表证号", "姓名", "性别", "代表团", "身份", "工作单位及职务", "联系电话"]
GOOD_ROWS = [
    ["LJ0001", "张伟", "男", "城关区代表团", "代表", "临江市第一中学校长", "13800000001"],
    ["LJ0002", "李娜", "女", "江北区代表团", "代表", "", "0571-88886666"],
    ["LJ0003", "王芳", "F", "", "列席", "临江市人民政府秘书长", "+8613800000003"],
]


def counts():
    return Member.objects.count(), BodyMembership.objects.count(), Delegation.objects.count()


def import_roster(body, content, filename="roster.csv", **options):
    plan = roster.parse(content, filename, body, **options)
    if plan.ok:
        roster.apply(plan)
    return plan


@pytest.mark.django_db
def test_good_csv_creates_members_in_the_body(body):
    plan = import_roster(body, csv_bytes([HEADER, *GOOD_ROWS]))

    assert plan.errors == [] and (plan.created, plan.updated) == (3, 0)
    zhang = Member.objects.get(member_number="LJ0001")
    assert (zhang.name, zhang.gender, zhang.kind, zhang.delegation.name) == ("张伟", "M", "deputy", "城关区代表团")
    wang = Member.objects.get(member_number="LJ0003")
    assert (wang.gender, wang.kind, wang.delegation, wang.phone) == ("F", "attendee", None, "+8613800000003")
    # 列席人员 are on the register but are not members of the body: votes never count them.
    assert set(body.members.values_list("member_number", flat=True)) == {"LJ0001", "LJ0002"}
    assert plan.items[2].cells[-1] == "列席人员，不加入本机构"
    assert AuditEntry.objects.filter(action="import_roster").count() == 1


@pytest.mark.django_db
def test_english_headers_bom_and_extra_columns(body):
    rows = [["序号", "member_number", "Name", "gender", "delegation", "kind", "phone"],
            ["1", "LJ0009", "赵强", "Ｍ", "城关区代表团", "deputy", "１３９００００００００"]]
    plan = import_roster(body, csv_bytes(rows, encoding="utf-8-sig"))
    assert plan.errors == []
    member = Member.objects.get(member_number="LJ0009")
    assert (member.name, member.gender, member.phone) == ("赵强", "M", "13900000000")


@pytest.mark.django_db
def test_good_xlsx_with_numbers_typed_as_numbers(body):
    # Excel users type member numbers and phones as numbers; they must come back without ".0".
    rows = [HEADER, [20250001, "张伟", "男", "城关区代表团", "代表", "", 13800000001]]
    plan = import_roster(body, xlsx_bytes(rows), filename="名册.xlsx")
    assert plan.errors == []
    member = Member.objects.get(member_number="20250001")
    assert member.phone == "13800000001"


@pytest.mark.django_db
def test_gb18030_csv_from_chinese_excel(body):
    content = csv_bytes([HEADER, *GOOD_ROWS], encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    plan = import_roster(body, content)
    assert plan.errors == []
    assert Member.objects.get(member_number="LJ0002").name == "李娜"


@pytest.mark.django_db
def test_reimport_updates_and_empty_cells_keep_what_is_on_record(body):
    import_roster(body, csv_bytes([HEADER, *GOOD_ROWS]))
    rows = [["代表证号", "姓名", "联系电话", "工作单位及职务"],
            ["LJ0001", "张伟", "13911112222", ""],
            ["LJ0002", "李娜", "", ""]]
    plan = import_roster(body, csv_bytes(rows))

    assert (plan.created, plan.updated, plan.unchanged) == (0, 1, 1)
    zhang = Member.objects.get(member_number="LJ0001")
    assert zhang.phone == "13911112222"
    assert zhang.organisation == "临江市第一中学校长"
    assert Member.objects.get(member_number="LJ0002").phone == "0571-88886666"


@pytest.mark.django_db
def test_known_member_joins_another_body(body):
    import_roster(body, csv_bytes([HEADER, *GOOD_ROWS]))
    committee = Body.objects.create(name="临江市人大常委会", kind=Body.Kind.STANDING_COMMITTEE, term=17, parent=body)
    plan = import_roster(committee, csv_bytes([["代表证号", "姓名", "机构职务"], ["LJ0001", "张伟", "主任"]]))
    assert plan.updated == 1
    assert BodyMembership.objects.get(body=committee).title == "主任"
    assert Member.objects.get(member_number="LJ0001").delegation.name == "城关区代表团"


@pytest.mark.django_db
def test_a_member_of_the_body_cannot_be_turned_into_an_attendee(body):
    import_roster(body, csv_bytes([HEADER, *GOOD_ROWS]))
    plan = roster.parse(csv_bytes([["代表证号", "姓名", "身份"], ["LJ0001", "张伟", "列席"]]), "r.csv", body)
    assert [str(e) for e in plan.errors] == ["第2行 [身份]: 张伟（LJ0001）是“临江市人民代表大会”的组成人员，不能改为列席"]


@pytest.mark.django_db
def test_an_attendee_elected_deputy_joins_the_body(body):
    import_roster(body, csv_bytes([HEADER, *GOOD_ROWS]))
    plan = import_roster(body, csv_bytes([["代表证号", "姓名", "身份"], ["LJ0003", "王芳", "代表"]]))
    assert plan.updated == 1 and plan.items[0].cells[-1] == "变更：身份、加入本机构"
    assert body.members.filter(member_number="LJ0003").exists()


@pytest.mark.django_db
def test_create_delegations_option(body):
    rows = [HEADER, ["LJ0100", "周敏", "女", "临江新区代表团", "代表", "", ""]]
    refused = roster.parse(csv_bytes(rows), "r.csv", body)
    assert [e.reason for e in refused.errors] == ["未知代表团“临江新区代表团”：请先在“临江市人民代表大会”下建立该代表团"]

    plan = import_roster(body, csv_bytes(rows), create_delegations=True)
    assert plan.extras["delegations"] == ["临江新区代表团"]
    assert Member.objects.get(member_number="LJ0100").delegation.name == "临江新区代表团"
    assert "新建代表团 1 个" in plan.summary()


def row_with(**changes):
    row = dict(zip(HEADER, GOOD_ROWS[0]), 代表证号="LJ0099")
    row.update(changes)
    return [row[h] for h in HEADER]


@pytest.mark.django_db
@pytest.mark.parametrize("bad_row, column, reason", [
    (row_with(代表证号=""), "代表证号", "代表证号不能为空"),
    (row_with(姓名=""), "姓名", "姓名不能为空"),
    (row_with(代表证号="LJ0002"), "代表证号", "代表证号“LJ0002”与第3行重复"),
    (row_with(代表团="火星代表团"), "代表团", "未知代表团“火星代表团”"),
    (row_with(性别="未知"), "性别", "性别应为 男/女/M/F，而不是“未知”"),
    (row_with(身份="委员"), "身份", "身份应为 代表 或 列席"),
    (row_with(姓名="长" * 65), "姓名", "超过 64 个字符（现为 65 个）"),
    (row_with(代表证号="X" * 33), "代表证号", "超过 32 个字符"),
    (row_with(工作单位及职务="单" * 201), "工作单位及职务", "超过 200 个字符"),
    (row_with(联系电话="138 0000 0000"), "联系电话", "只能包含数字、“-”和“+”"),
    (row_with(联系电话="电话13800000000"), "联系电话", "只能包含数字"),
])
def test_each_bad_row_is_reported_with_its_row_and_nothing_is_written(body, bad_row, column, reason):
    # Row 1 header, rows 2-4 good, row 5 blank (still counted by the spreadsheet), row 6 bad.
    rows = [HEADER, *GOOD_ROWS, [], bad_row]
    before = counts()
    plan = roster.parse(csv_bytes(rows), "roster.csv", body)

    assert len(plan.errors) == 1
    error = plan.errors[0]
    assert (error.row, error.column) == (6, column)
    assert reason in error.reason
    assert str(error).startswith(f"第6行 [{column}]: ")
    with pytest.raises(PlanHasErrors):
        roster.apply(plan)
    assert counts() == before


@pytest.mark.django_db
def test_missing_required_column_is_reported_once_on_row_1(body):
    rows = [["代表证号", "性别"], ["LJ0001", "男"], ["LJ0002", "女"]]
    plan = roster.parse(csv_bytes(rows), "roster.csv", body)
    assert [(e.row, e.column) for e in plan.errors] == [(1, "姓名")]
    assert "缺少必填列“姓名”" in plan.errors[0].reason
    assert plan.items == []


@pytest.mark.django_db
def test_headers_are_matched_loosely_but_not_twice(body):
    rows = [["代表证号（必填）", " 姓 名* ", "Member-Number"], ["LJ0001", "张伟", "LJ0001"]]
    plan = roster.parse(csv_bytes(rows), "roster.csv", body)
    assert [str(e) for e in plan.errors] == ["第1行 [Member-Number]: 与“代表证号（必填）”是同一列，重复出现"]
    plan = roster.parse(csv_bytes([row[:2] for row in rows]), "roster.csv", body)
    assert plan.errors == [] and plan.items[0].cells[:2] == ["LJ0001", "张伟"]


@pytest.mark.django_db
def test_every_bad_row_is_listed(body):
    rows = [HEADER, row_with(姓名=""), GOOD_ROWS[1], row_with(代表证号="LJ0002", 性别="?")]
    plan = roster.parse(csv_bytes(rows), "roster.csv", body)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "姓名"), (4, "性别"), (4, "代表证号")]


@pytest.mark.django_db
def test_xlsx_error_rows_match_the_sheet(body):
    rows = [HEADER, GOOD_ROWS[0], [None] * 7, [None] * 7, row_with(代表证号="LJ0005", 性别="X")]
    plan = roster.parse(xlsx_bytes(rows), "roster.xlsx", body)
    assert [(e.row, e.column) for e in plan.errors] == [(5, "性别")]


@pytest.mark.django_db
def test_whole_file_errors(body, settings):
    good = csv_bytes([HEADER, *GOOD_ROWS])
    cases = [
        (good, "roster.pdf", "只能导入 CSV 或 XLSX 文件"),
        (xlsx_bytes([HEADER]), "roster.docx", "只能导入 CSV 或 XLSX 文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "roster.xls", "不支持旧版 Excel"),
        (good, "roster.xlsx", "不是有效的 Excel 工作簿"),
        (b"PK\x03\x04garbage", "roster.xlsx", "不是有效的 Excel 工作簿"),
        (b"\x00\x01binary", "roster.csv", "不是 CSV 文本"),
        (b"", "roster.csv", "文件是空的"),
    ]
    for content, filename, reason in cases:
        plan = roster.parse(content, filename, body)
        assert [e.row for e in plan.errors] == [None], filename
        assert reason in plan.errors[0].reason, filename
        assert str(plan.errors[0]).startswith("文件: ")


@pytest.mark.django_db
def test_size_and_row_limits(body, settings):
    settings.HUITANG_IMPORT_MAX_ROWS = 3
    plan = roster.parse(csv_bytes([HEADER, *GOOD_ROWS]), "roster.csv", body)
    assert plan.errors == []
    four = csv_bytes([HEADER, *GOOD_ROWS, row_with(代表证号="LJ0004")])
    plan = roster.parse(four, "roster.csv", body)
    assert "行数过多：最多 3 行数据" in plan.errors[0].reason

    settings.HUITANG_IMPORT_MAX_BYTES = 100
    plan = roster.parse(csv_bytes([HEADER, *GOOD_ROWS]), "roster.csv", body)
    assert "文件太大" in plan.errors[0].reason


@pytest.mark.django_db
def test_command_imports_and_prints_the_preview(body, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes([HEADER, *GOOD_ROWS]))
    out = _run(["import_roster", "--body", str(body.id), str(path)])
    assert "新增 3 条，更新 0 条，不变 0 条" in out
    assert "导入完成" in out
    assert Member.objects.count() == 3


@pytest.mark.django_db
def test_command_dry_run_writes_nothing(body, tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes([HEADER, *GOOD_ROWS]))
    out = _run(["import_roster", "--body", body.name, str(path), "--dry-run"])
    assert "新增 3 条" in out and "未写入任何数据" in out
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_command_lists_every_error_and_fails(body, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes([HEADER, GOOD_ROWS[0], row_with(代表证号="LJ0002", 姓名=""),
                                row_with(代表证号="LJ0003", 代表团="火星代表团")]))
    before = counts()
    with pytest.raises(CommandError) as failure:
        _run(["import_roster", "--body", str(body.id), str(path)])
    assert failure.value.returncode == 1
    assert "文件有 2 处错误，未导入任何数据" in str(failure.value)
    assert failure.value.stderr_lines == [
        "第3行 [姓名]: 姓名不能为空",
        "第4行 [代表团]: 未知代表团“火星代表团”：请先在“临江市人民代表大会”下建立该代表团",
    ]
    assert counts() == before


@pytest.mark.django_db
def test_command_exit_status_is_non_zero(body, tmp_path, monkeypatch, capsys):
    from meeting.management.commands.import_roster import Command

    # run_from_argv closes connections when it finishes; the test's transaction must survive.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes([HEADER, row_with(性别="X")]))
    with pytest.raises(SystemExit) as exit_:
        Command().run_from_argv(["manage.py", "import_roster", "--body", str(body.id), str(path)])
    assert exit_.value.code == 1
    assert "第2行 [性别]: 性别应为 男/女/M/F，而不是“X”" in capsys.readouterr().err


@pytest.mark.django_db
def test_command_refuses_a_file_over_the_size_limit_before_reading_it(body, tmp_path, settings):
    settings.HUITANG_IMPORT_MAX_BYTES = 1024 * 1024
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes([HEADER]) + b"," * (3 * 1024 * 1024))
    with pytest.raises(CommandError, match=r"文件太大（3.0 MB），上限为 1.0 MB"):
        _run(["import_roster", "--body", str(body.id), str(path)])


@pytest.mark.django_db
def test_command_refuses_unknown_body_and_missing_file(body, tmp_path):
    with pytest.raises(CommandError, match="找不到机构“不存在的人大”"):
        _run(["import_roster", "--body", "不存在的人大", str(tmp_path / "x.csv")])
    with pytest.raises(CommandError, match="无法读取文件"):
        _run(["import_roster", "--body", str(body.id), str(tmp_path / "missing.csv")])


def _run(args):
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        exc.stderr_lines = err.getvalue().splitlines()
        raise
    return out.getvalue()


@given(content=st.binary(max_size=400), filename=st.sampled_from(["a.csv", "a.xlsx", "a.txt", "a"]))
@hypothesis_settings(max_examples=150, deadline=None)
def test_reader_never_crashes_on_arbitrary_bytes(content, filename):
    from meeting.importing.reader import ImportFileError, read_rows

    try:
        rows = read_rows(content, filename)
    except ImportFileError:
        return
    assert all(isinstance(cell, str) for _n, cells in rows for cell in cells)


class AnyRowOrderImportsTheSameRoster(HypothesisTestCase):
    @given(order=st.permutations(range(len(GOOD_ROWS) + 2)), as_xlsx=st.booleans())
    @hypothesis_settings(max_examples=25, deadline=None)
    def test_row_order_does_not_matter(self, order, as_xlsx):
        body = Body.objects.create(name="临江市人民代表大会", kind=Body.Kind.CONGRESS, term=17)
        for name in ("城关区代表团", "江北区代表团"):
            Delegation.objects.create(body=body, name=name)
        pool = [*GOOD_ROWS, row_with(代表证号="LJ0004", 姓名="陈杰"), row_with(代表证号="LJ0005", 性别="女")]
        rows = [HEADER, *[pool[i] for i in order]]
        content = xlsx_bytes(rows) if as_xlsx else csv_bytes(rows)
        plan = import_roster(body, content, filename="r.xlsx" if as_xlsx else "r.csv")

        assert plan.errors == []
        assert set(Member.objects.values_list("member_number", "name", "gender", "kind", "delegation__name")) == {
            ("LJ0001", "张伟", "M", "deputy", "城关区代表团"),
            ("LJ0002", "李娜", "F", "deputy", "江北区代表团"),
            ("LJ0003", "王芳", "F", "attendee", None),
            ("LJ0004", "陈杰", "M", "deputy", "城关区代表团"),
            ("LJ0005", "张伟", "F", "deputy", "城关区代表团"),
        }
