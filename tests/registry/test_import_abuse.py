"""Hostile asset imports, as a security probe sent them: workbooks that declare or reach a
sheet millions of cells wide, unpack to a gigabyte or hold a row of endless empty cells,
and files with more rows or a longer line than any register. Each is built here. The
server runs in this process, so what it allocates for an upload is measured around the
request (in every thread) and must stay far below what the original reader spent.
"""

from __future__ import annotations

import asyncio
import functools
import io
import sys
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from server.registry import imports, spreadsheets
from tests.factories import make_person, make_school
from tests.registry.test_imports import assets_of, import_file, xlsx

MIB = 1024 * 1024
SPENT_AT_MOST = 32 * MIB
"""What a hostile file of a few megabytes at most may cost the server. The reader these
tests were written against spent from 69 MB (a register padded to column XFD) to
gigabytes (a cell at XFD1048576) on them."""
SHEET = "xl/worksheets/sheet1.xml"
GOOD_ROWS = [
    ["name", "category"],
    ["干粉灭火器", "fire_extinguisher"],
    ["配电箱", "electrical_panel"],
]
REGISTER = [["name", "category"]] + [[f"灭火器{i}", "fire_extinguisher"] for i in range(500)]
"""Enough rows that reading each one 16,384 cells wide, as the sheet declares or reaches,
costs tens of megabytes."""


@dataclass
class Memory:
    traced_peak: int = 0


@contextmanager
def memory_spent() -> Iterator[Memory]:
    """The peak of Python allocations, in every thread, while the body runs."""
    memory = Memory()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    baseline = tracemalloc.get_traced_memory()[0]
    try:
        yield memory
    finally:
        memory.traced_peak = tracemalloc.get_traced_memory()[1] - baseline
        if not was_tracing:
            tracemalloc.stop()


async def import_hostile(api, person, school, content: bytes, fmt: str, **params):
    with memory_spent() as memory:
        answer = await import_file(api, person, school, content, fmt, **params)
    assert memory.traced_peak < SPENT_AT_MOST, f"{memory.traced_peak:,} bytes allocated"
    return answer


def rezipped(content: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook with one part's bytes changed, as a hand-edited file would have it."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info.filename, change(data) if info.filename == part else data)
    return out.getvalue()


def with_cell(reference: str, value: str, rows: list[list[str]] = GOOD_ROWS) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    sheet[reference] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@functools.cache
def gibibyte_sheet() -> bytes:
    """A workbook whose sheet goes on, after its rows, with 1 GiB of zeros: 4.5 MB packed.
    Written a mebibyte at a time, so building it costs no memory."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx(GOOD_ROWS))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for info in source.infolist():
            if info.filename != SHEET:
                target.writestr(info.filename, source.read(info))
                continue
            with target.open(SHEET, "w", force_zip64=True) as part:
                part.write(source.read(info))
                zeros = bytes(MIB)
                for _ in range(1024):
                    part.write(zeros)
    return out.getvalue()


def reading_a_file() -> bool:
    """Whether some thread is inside the import's file reader right now."""
    code = imports.read_rows.__code__
    for frame in sys._current_frames().values():
        while frame is not None:
            if frame.f_code is code:
                return True
            frame = frame.f_back
    return False


async def reading_begins(upload: asyncio.Task[object]) -> None:
    while True:
        if upload.done() or reading_a_file():
            return
        await asyncio.sleep(0.002)


async def test_a_declared_dimension_of_the_whole_sheet_is_ignored_and_the_rows_go_in(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    content = rezipped(
        xlsx(REGISTER),
        SHEET,
        lambda xml: xml.replace(b'<dimension ref="A1:B501"', b'<dimension ref="A1:XFD1048576"'),
    )
    assert b"XFD1048576" in zipfile.ZipFile(io.BytesIO(content)).read(SHEET)
    response = await import_hostile(api, admin, school, content, "xlsx")
    assert response.status_code == 200, response.text
    assert response.json() == {"rows": 500, "created": 500, "dry_run": False}
    names = {a["name"] for a in await assets_of(api, admin, school)}
    assert names == {name for name, _ in REGISTER[1:]}


async def test_a_cell_at_xfd1048576_is_refused_without_reading_a_million_rows(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    content = with_cell("XFD1048576", "x")
    assert len(content) < 5000
    response = await import_hostile(api, admin, school, content, "xlsx")
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "import.too_many_rows"
    assert f"past row {spreadsheets.MAX_SHEET_ROWS}" in response.json()["detail"]
    assert await assets_of(api, admin, school) == []


async def test_a_cell_far_right_of_the_header_is_not_read(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    content = with_cell("XFD2", "x", REGISTER)
    response = await import_hostile(api, admin, school, content, "xlsx", dry_run="true")
    assert response.status_code == 200, response.text
    assert response.json() == {"rows": 500, "created": 0, "dry_run": True}


async def test_a_header_wider_than_the_columns_read_is_refused_against_the_header(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    response = await import_hostile(api, admin, school, with_cell("XFD1", "颜色"), "xlsx")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "import.invalid_rows"
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(1, "颜色")]
    assert "column XFD" in body["errors"][0]["reason"]


async def test_a_row_of_many_empty_styled_cells_is_refused_before_it_is_parsed(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    # 200,000 formatted cells without values in one row, varied enough not to pack like
    # a bomb: what openpyxl would hold in memory all at once to read that row.
    cells = b"".join(
        b'<c r="%s4" s="%d"/>' % (get_column_letter(1 + i % 16384).encode(), i % 97)
        for i in range(200_000)
    )
    content = rezipped(
        xlsx(GOOD_ROWS),
        SHEET,
        lambda xml: xml.replace(b"</sheetData>", b'<row r="4">' + cells + b"</row></sheetData>"),
    )
    response = await import_hostile(api, admin, school, content, "xlsx")
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "import.unreadable_file"
    assert "<row>" in response.json()["detail"]


async def test_an_xlsx_that_unpacks_to_a_gibibyte_is_refused_before_it_is_unpacked(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    content = gibibyte_sheet()
    assert len(content) < spreadsheets.MAX_FILE_BYTES
    response = await import_hostile(api, admin, school, content, "xlsx")
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "import.unreadable_file"
    assert "unpacks to 1024 MB" in response.json()["detail"]
    assert await assets_of(api, admin, school) == []


async def test_rows_over_the_cap_are_refused_and_none_go_in(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    rows = "".join(f"灭火器{i},fire_extinguisher\n" for i in range(spreadsheets.MAX_ROWS + 3000))
    response = await import_hostile(api, admin, school, f"name,category\n{rows}".encode(), "csv")
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "import.too_many_rows"
    assert f"at most {spreadsheets.MAX_ROWS} rows" in response.json()["detail"]
    assert await assets_of(api, admin, school) == []


async def test_an_xlsx_one_row_over_the_cap_is_refused_and_one_at_the_cap_is_read(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    at_cap = [["name", "category"]] + [
        [f"灭火器{i}", "fire_extinguisher"] for i in range(spreadsheets.MAX_ROWS)
    ]
    over = await import_file(
        api, admin, school, xlsx([*at_cap, ["多一行", "fire_extinguisher"]]), "xlsx"
    )
    assert over.status_code == 422, over.text
    assert over.json()["code"] == "import.too_many_rows"
    checked = await import_file(api, admin, school, xlsx(at_cap), "xlsx", dry_run="true")
    assert checked.status_code == 200, checked.text
    assert checked.json() == {"rows": spreadsheets.MAX_ROWS, "created": 0, "dry_run": True}


async def test_a_csv_line_of_millions_of_columns_is_refused(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    content = b"name,category" + b"," * (2 * MIB) + "\n灭火器,fire_extinguisher\n".encode()
    response = await import_hostile(api, admin, school, content, "csv")
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "import.unreadable_file"
    assert "longer than" in response.json()["detail"]


async def test_a_csv_line_of_one_endless_field_is_refused_not_a_server_error(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    content = b"name,category\n" + b"x" * (1 * MIB) + b",fire_extinguisher\n"
    response = await import_hostile(api, admin, school, content, "csv")
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "import.unreadable_file"


async def test_other_requests_are_answered_while_an_import_is_being_read(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    header = ["name", "category", "asset_number"] + [f"attr:note_{i}" for i in range(5)]
    content = xlsx(
        [header]
        + [
            [f"灭火器{i}", "fire_extinguisher", f"MHQ-{i}"] + [f"第{i}行" for _ in range(5)]
            for i in range(4000)
        ]
    )
    upload = asyncio.create_task(import_file(api, admin, school, content, "xlsx", dry_run="true"))
    await reading_begins(upload)
    # The old reader ran on the event loop: this loop never saw it, as nothing else ran.
    assert reading_a_file(), "the file was read without letting anything else run"
    health = await api.get("/healthz")
    assert health.status_code == 200
    assert reading_a_file(), "/healthz waited for the file to be read"
    answer = await upload
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] == 4000
