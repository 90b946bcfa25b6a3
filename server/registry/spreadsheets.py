"""An uploaded asset list (.csv or .xlsx) read into a header and rows, within bounds that
a school's register stays far inside and a hostile file cannot stretch.

A 5 KB .xlsx can declare a sheet 16,384 columns wide and a million rows deep, put a cell
at XFD1048576, unpack to a gigabyte, or hold a row of half a million empty styled cells;
a CSV can hold one endless line. So nothing here trusts what a file says about itself:
before openpyxl opens an .xlsx, its archive's sizes and its XML's shape are checked; the
sheet's declared dimension is ignored; rows are streamed, counted and cut at the caps;
no more columns are read than an import can use. All of it is CPU work on bytes, run in a
worker thread (see `imports.import_assets`), never on the event loop.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any, NoReturn
from xml.parsers import expat

import msgspec

from server.errors import DomainError
from server.registry.wire import RowError

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Also the import route's request limit: a CSV of 5,000 rows x 64 columns fits easily."""
MAX_ROWS = 5_000
"""Rows with anything in them, below the header. More than the largest school's
register of safety equipment in one file (a register that large goes in by building);
small enough that checking and inserting all of it in one transaction takes seconds."""
MAX_SHEET_ROWS = 2 * MAX_ROWS
"""How far down a sheet is read. Blank rows are skipped, but only down to here: a sheet
that goes on further (even with empty, formatted rows) is refused rather than cut short."""
MAX_COLUMNS = 64
"""How far right a sheet is read: seven known columns leave room for 57 `attr:` ones."""
MAX_RECORD_CHARS = 64 * 1024
"""Longest CSV record, counting the lines a quoted field spans; it bounds the fields a
record can split into. Asset names stop at 200 characters."""
MAX_UNPACKED_BYTES = 2 * MAX_FILE_BYTES
"""An .xlsx spells out in XML what a CSV says in about half the bytes, so a workbook
holding what an upload may hold unpacks to well under twice the upload limit."""
MAX_RATIO = 100
"""Spreadsheet XML packs about 5 to 30 times; only a bomb packs a large member tighter."""
RATIO_CHECKED_FROM = 1024 * 1024
MAX_MEMBERS = 1_000
"""Parts in an .xlsx: a workbook has about ten, a hundred with many sheets and images."""
MAX_XML_ELEMENTS = 2_000_000
"""In a whole workbook. The largest sheet an import reads, 5,001 rows x 64 cells with as
many shared strings, takes 1.3 million."""
MAX_CHILDREN = (MAX_ROWS + 1) * MAX_COLUMNS
"""Of one element: as many shared strings as that largest sheet has cells."""
MAX_HELD = 50_000
"""Elements openpyxl holds at once in one piece: a row 16,384 cells wide (all Excel has)
fits, and so do the styles of a workbook with tens of thousands of cell formats."""
MAX_XML_DEPTH = 64
MAX_XML_STRETCH = 1024 * 1024
"""A cell holds at most 32,767 characters, so no tag or text of a sheet is longer."""
XML_CHUNK = 64 * 1024
XML_STARTS = (b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00<")


class Row(msgspec.Struct, kw_only=True):
    number: int
    values: dict[str, str]


def read_rows(content: bytes, filename: str) -> tuple[list[str], list[Row]]:
    """Header and data rows of a .csv (UTF-8, with or without BOM, or GB18030) or .xlsx.

    Blank rows are skipped; cells right of the header's last column are dropped."""
    if len(content) > MAX_FILE_BYTES:
        raise _unreadable(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
    if filename.lower().endswith(".xlsx"):
        return _read_xlsx(content)
    if filename.lower().endswith(".csv"):
        return _read_csv(content)
    raise DomainError("import.unreadable_file", "send a .csv or .xlsx file", field="file")


def _read_csv(content: bytes) -> tuple[list[str], list[Row]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _unreadable("the CSV is neither UTF-8 nor GB18030")
    records = _csv_records(text)
    try:
        return _table(next(records, None), records)
    except csv.Error as exc:
        raise _unreadable(f"not a readable CSV file: {exc}") from None


def _csv_records(text: str) -> Iterator[list[str]]:
    used = 0

    def lines() -> Iterator[str]:
        # One line at a time: neither a list of a million lines nor a copy of the text.
        nonlocal used
        start = 0
        while start < len(text):
            end = text.find("\n", start)
            end = len(text) if end < 0 else end + 1
            used += end - start
            if used > MAX_RECORD_CHARS:
                raise _unreadable(f"a CSV line is longer than {MAX_RECORD_CHARS} characters")
            yield text[start:end]
            start = end

    for record in csv.reader(lines()):
        used = 0
        yield record


def _read_xlsx(content: bytes) -> tuple[list[str], list[Row]]:
    from openpyxl import load_workbook

    _check_archive(content)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise _unreadable(f"not a readable .xlsx file: {exc}") from None
    try:
        sheet = book.worksheets[0]
        # The <dimension> a file declares sizes the rows openpyxl pads out: forget it, so
        # a row is as wide as its last cell and the sheet ends at its last row.
        sheet.reset_dimensions()
        header = next(sheet.iter_rows(max_row=1, values_only=True), None)
        body = sheet.iter_rows(min_row=2, max_col=MAX_COLUMNS, values_only=True)
        return _table(header, body)
    except DomainError:
        raise
    except Exception as exc:
        raise _unreadable(f"not a readable .xlsx file: {exc}") from None
    finally:
        book.close()


def _check_archive(content: bytes) -> None:
    """Refuse a zip bomb before anything unpacks it, and any XML in it that would make
    openpyxl build far more than a sheet of assets needs.

    The sizes checked are the ones the archive declares, and they hold: zipfile stops a
    member at its declared size and then fails its CRC check."""
    # Each member's entry in the archive's directory starts with this mark, so a count of
    # the mark bounds the members before zipfile builds an object for every one of them.
    if content.count(b"PK\x01\x02") > MAX_MEMBERS:
        raise _unreadable(f"the .xlsx holds more than {MAX_MEMBERS} parts")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            unpacked = sum(m.file_size for m in members)
            if unpacked > MAX_UNPACKED_BYTES:
                raise _unreadable(
                    f"the .xlsx unpacks to {unpacked // 2**20} MB, more than the "
                    f"{MAX_UNPACKED_BYTES // 2**20} MB a spreadsheet of assets needs"
                )
            for member in members:
                if member.file_size > max(RATIO_CHECKED_FROM, MAX_RATIO * member.compress_size):
                    raise _unreadable(
                        f"{member.filename} in the .xlsx is packed more than {MAX_RATIO} to "
                        "1, as no spreadsheet is"
                    )
            survey = _XmlSurvey()
            for member in members:
                with archive.open(member) as stream:
                    survey.read(member.filename, stream)
    except DomainError:
        raise
    except Exception as exc:
        raise _unreadable(f"not a readable .xlsx file: {exc}") from None


class _XmlSurvey:
    """Reads every XML part of a workbook once, in constant memory, and refuses one that
    openpyxl would turn into an outsize number of objects.

    openpyxl builds each part as a tree, except that it takes a worksheet row by row and
    the shared strings one at a time, so: no element may hold more than MAX_HELD elements
    except those containers (and calcChain, which openpyxl never reads); none may have
    more than MAX_CHILDREN children (the shared strings are all kept); and the whole
    workbook stays under MAX_XML_ELEMENTS. A DTD is refused: no spreadsheet has one, and
    entity expansion is the oldest XML bomb."""

    STREAMED = frozenset({"worksheet", "sheetData", "sst", "calcChain"})

    def __init__(self) -> None:
        self.elements = 0
        self.part = ""
        # One entry per open element: its number, its children so far, whether it streams.
        self.open: list[list[int]] = []

    def read(self, part: str, stream: IO[bytes]) -> None:
        chunk = stream.read(XML_CHUNK)
        if not chunk.lstrip().startswith(XML_STARTS):
            return  # an image or other binary part: openpyxl does not parse it as XML
        self.part = part
        self.open.clear()
        parser = expat.ParserCreate()
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.StartDoctypeDeclHandler = self._doctype
        stretch = 0  # bytes since the last ">": bounds a tag (its attributes) or a text
        while chunk:
            first = chunk.find(b">")
            stretch += len(chunk) if first < 0 else first
            if stretch > MAX_XML_STRETCH:
                self._refuse(f"has more than {MAX_XML_STRETCH} bytes without a tag ending")
            if first >= 0:
                stretch = len(chunk) - 1 - chunk.rfind(b">")
            parser.Parse(chunk, False)
            chunk = stream.read(XML_CHUNK)
        parser.Parse(b"", True)

    def _start(self, name: str, _attributes: object) -> None:
        self.elements += 1
        if self.elements > MAX_XML_ELEMENTS:
            self._refuse(f"takes the workbook past {MAX_XML_ELEMENTS} XML elements")
        if len(self.open) >= MAX_XML_DEPTH:
            self._refuse(f"nests elements more than {MAX_XML_DEPTH} deep")
        if self.open:
            parent = self.open[-1]
            parent[1] += 1
            if parent[1] > MAX_CHILDREN:
                self._refuse(f"has an element with more than {MAX_CHILDREN} children")
        streamed = name.rpartition(":")[2] in self.STREAMED
        self.open.append([self.elements, 0, streamed])

    def _end(self, name: str) -> None:
        number, _, streamed = self.open.pop()
        if not streamed and self.elements - number + 1 > MAX_HELD:
            self._refuse(f"has a <{name}> of more than {MAX_HELD} elements")

    def _doctype(self, *_: object) -> None:
        self._refuse("declares a DTD")

    def _refuse(self, what: str) -> NoReturn:
        raise _unreadable(f"{self.part} in the .xlsx {what}, as no spreadsheet of assets does")


def _table(
    header_cells: Sequence[Any] | None, body: Iterable[Sequence[Any]]
) -> tuple[list[str], list[Row]]:
    if header_cells is None:
        raise _unreadable("the file is empty")
    header = [_cell(v).strip() for v in header_cells]
    while header and not header[-1]:
        header.pop()
    if len(header) > MAX_COLUMNS:
        beyond = next(i for i in range(MAX_COLUMNS, len(header)) if header[i])
        raise _invalid_header(
            header[beyond],
            f"column {_column_letters(beyond + 1)}: at most {MAX_COLUMNS} columns are read",
        )
    rows: list[Row] = []
    for number, cells in enumerate(body, start=2):
        if number > MAX_SHEET_ROWS:
            raise _too_many_rows(
                f"the sheet goes on past row {MAX_SHEET_ROWS}; delete the empty rows below the data"
            )
        if all(v is None for v in cells):
            continue  # a row the sheet skips or leaves empty
        texts = [_cell(v).strip() for v in cells[:MAX_COLUMNS]]
        if not any(texts):
            continue
        if len(rows) == MAX_ROWS:
            raise _too_many_rows(f"at most {MAX_ROWS} rows per file")
        rows.append(Row(number=number, values=dict(zip(header, texts, strict=False))))
    return header, rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _column_letters(number: int) -> str:
    """The column as a spreadsheet names it: 1 is A, 27 is AA, 16,384 is XFD."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _unreadable(detail: str) -> DomainError:
    return DomainError("import.unreadable_file", detail)


def _too_many_rows(detail: str) -> DomainError:
    return DomainError("import.too_many_rows", detail)


def _invalid_header(column: str, reason: str) -> DomainError:
    return DomainError(
        "import.invalid_rows",
        f"the header is wider than {MAX_COLUMNS} columns; nothing was imported",
        errors=[
            msgspec.structs.asdict(
                RowError(row=1, column=column, code="columns_too_many", reason=reason)
            )
        ],
    )
