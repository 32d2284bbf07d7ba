"""Turn an uploaded CSV or XLSX file into numbered rows keyed by canonical column names.

Row numbers are the ones the user sees in the spreadsheet: the header is row 1, the first data
row is row 2, and blank rows still count, so "第5行" points at the same line in Excel or WPS.
"""

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

DEFAULT_MAX_ROWS = 20_000
# A 5 MB xlsx can inflate to gigabytes (zip bomb); honest rosters inflate ~10x.
MAX_INFLATION = 40

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .et
_BRACKETED = re.compile(r"\(.*?\)|\[.*?\]|【.*?】")


class ImportFileError(Exception):
    """The file as a whole cannot be read; no row-level checking was possible."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the Chinese header written in templates and error messages
    aliases: tuple = ()
    required: bool = False
    max_length: int | None = None

    def names(self):
        return (self.key, self.label, *self.aliases)


@dataclass
class Sheet:
    headers: dict  # column key -> header text as written in the file
    rows: list  # [(row_number, {column key: str})]
    missing: list = field(default_factory=list)  # required Columns absent from the header row
    duplicated: list = field(default_factory=list)  # (Column, first header, second header)


def max_rows():
    return getattr(settings, "HUITANG_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)


def max_bytes():
    return settings.HUITANG_IMPORT_MAX_BYTES


def plain(text):
    """Full-width digits and letters (Chinese input methods type them) as ASCII."""
    return unicodedata.normalize("NFKC", text)


def normalise_header(text):
    # Spreadsheet headers arrive as "代表证号（必填）", " Member No ", "姓 名*": compare on the core.
    text = unicodedata.normalize("NFKC", str(text or "")).lower()
    text = _BRACKETED.sub("", text)
    return re.sub(r"[\s_\-*:：]+", "", text)


def read_sheet(content, filename, columns):
    """Read ``content`` (bytes) and map its header row onto ``columns``; raise ImportFileError."""
    raw_rows = read_rows(content, filename)
    if not raw_rows:
        raise ImportFileError(_("文件是空的，第1行应为表头"))
    header_number, header = raw_rows[0]
    if header_number != 1 or not any(header):
        raise ImportFileError(_("第1行应为表头"))

    lookup = {normalise_header(name): col for col in columns for name in col.names()}
    positions, headers, duplicated = {}, {}, []
    for index, text in enumerate(header):
        col = lookup.get(normalise_header(text))
        if col is None:
            continue  # extra columns such as 序号 or 备注 are common and harmless
        if col.key in positions:
            duplicated.append((col, headers[col.key], text))
            continue
        positions[col.key] = index
        headers[col.key] = text

    rows = []
    for number, values in raw_rows[1:]:
        if not any(values):
            continue
        rows.append((number, {
            key: values[index] if index < len(values) else "" for key, index in positions.items()
        }))
    missing = [col for col in columns if col.required and col.key not in positions]
    return Sheet(headers=headers, rows=rows, missing=missing, duplicated=duplicated)


def read_rows(content, filename):
    """Return [(row_number, [cell text, ...])] with every cell a stripped str."""
    limit = max_bytes()
    if len(content) > limit:
        raise ImportFileError(
            _("文件太大（%(size)s），上限为 %(limit)s") % {"size": megabytes(len(content)), "limit": megabytes(limit)}
        )
    kind = detect_kind(content, filename)
    return _read_xlsx(content) if kind == "xlsx" else _read_csv(content)


def _collect(records):
    """Number the records from 1 and stop early once the file is plainly over the row limit."""
    limit = max_rows()
    # Blank rows cost nothing to skip, but a sheet "formatted" down to row 1,048,576 must not
    # keep us reading for minutes.
    physical_limit = limit * 3 + 1000
    rows, filled = [], 0
    for number, values in enumerate(records, start=1):
        cells = [cell_text(value) for value in values]
        if any(cells):
            filled += 1
        # The header row does not count against the limit.
        if filled - 1 > limit or number > physical_limit:
            raise ImportFileError(_("行数过多：最多 %(limit)d 行数据") % {"limit": limit})
        rows.append((number, cells))
    while rows and not any(rows[-1][1]):
        rows.pop()
    return rows


def detect_kind(content, filename):
    """"csv" or "xlsx", judged by the bytes as well as the name, which a browser may mangle."""
    name = (filename or "").lower()
    if content.startswith(_OLE_MAGIC):
        raise ImportFileError(_("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后再导入"))
    if content.startswith(_XLSX_MAGIC):
        if name.endswith(".csv"):
            raise ImportFileError(_("文件扩展名为 .csv，但内容不是 CSV 文本"))
        if not name.endswith((".xlsx", ".xlsm")):
            raise ImportFileError(_("只能导入 CSV 或 XLSX 文件"))
        return "xlsx"
    if name.endswith((".xlsx", ".xlsm")):
        raise ImportFileError(_("文件扩展名为 .xlsx，但内容不是有效的 Excel 工作簿"))
    if not name.endswith((".csv", ".txt")):
        raise ImportFileError(_("只能导入 CSV 或 XLSX 文件"))
    return "csv"


def megabytes(size):
    return f"{size / (1024 * 1024):.1f} MB"


def decode_text(content):
    # Excel on Chinese Windows saves "CSV" in GB18030 (GBK); everything else sends UTF-8.
    if b"\x00" in content:
        raise ImportFileError(_("文件内容不是 CSV 文本"))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("无法识别文件编码，请另存为 UTF-8 或 GB18030 编码的 CSV"))


def _read_csv(content):
    text = decode_text(content)
    first_line = text.split("\n", 1)[0]
    # WPS "文本文件" export uses tabs; Excel "CSV" uses commas.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # One CSV record is one spreadsheet row even when a cell holds a line break.
        return _collect(reader)
    except csv.Error as exc:
        raise ImportFileError(_("CSV 格式错误：%(error)s") % {"error": exc}) from None


def _read_xlsx(content):
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
            if inflated > MAX_INFLATION * max(len(content), 1024 * 1024):
                raise ImportFileError(_("XLSX 文件解压后过大，拒绝读取"))
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many kinds for a broken or foreign zip
        raise ImportFileError(_("文件扩展名为 .xlsx，但内容不是有效的 Excel 工作簿")) from None
    try:
        if not workbook.worksheets:
            return []
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some exporters write a wrong <dimension>; read what is there
        return _collect(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        # Excel keeps every number as a float: 13800000000.0 is a phone number, 3.0 is row 3.
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()
