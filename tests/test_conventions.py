"""The house's conventions, checked by reading the source (CONTRIBUTING.md).

Each would otherwise be kept by review alone: a problem code missing from the catalogue
fails only when its rare path runs; a domain reading another's tables couples them
silently; a module that reads the clock its own way does not move when a test moves time.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import grimp
import pytest

from server import clock
from server.errors import STATUS
from server.registry.wire import ROW_PROBLEMS
from tests.factories import make_asset, make_person, make_school

ROOT = Path(__file__).resolve().parent.parent
SOURCE = sorted(
    path
    for package in ("server", "sync")
    for path in (ROOT / package).rglob("*.py")
    if "piccolo_migrations" not in path.parts
)
SERVER_SIDE = [
    path
    for path in SOURCE
    if path.parts[-2] != "sync" or path.name in ("engine.py", "feed.py", "changelog.py")
]
"""What answers requests. The device's client (sync/client.py and its store) has error
codes of its own, which no server answer carries."""
CODE_ATTRIBUTES = {"id_code", "conflict_code"}


def _codes_in(path: Path, call: str | None = None) -> set[str]:
    """The problem codes a module raises or answers with: `DomainError("code", ...)`, an
    op's `Outcome(status, "code", ...)`, any `code="..."`, and the fact kit's code
    attributes."""
    codes: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            # A row of an import has problems of its own vocabulary (ROW_PROBLEMS), under
            # the one problem code import.invalid_rows: read only when asked for.
            if (name == "RowError") != (call == "RowError"):
                continue
            position = {"DomainError": 0, "Outcome": 1}.get(name)
            if position is not None and len(node.args) > position:
                arg = node.args[position]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    codes.add(arg.value)
            for keyword in node.keywords:
                value = keyword.value
                if (
                    keyword.arg == "code"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    codes.add(value.value)
        elif call is None and isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            names = {getattr(t, "id", None) for t in node.targets}
            if names & CODE_ATTRIBUTES and isinstance(node.value.value, str):
                codes.add(node.value.value)
    return codes


def test_every_problem_code_in_the_source_is_in_the_catalogue() -> None:
    found = {code: path.relative_to(ROOT) for path in SERVER_SIDE for code in _codes_in(path)}
    # The scan must see the codes it checks (a broken scan would pass on nothing).
    assert {"inspection.conflict", "sync.seq_reused", "report.id_not_uuid7"} <= set(found)
    missing = {code: str(path) for code, path in found.items() if code not in STATUS}
    assert missing == {}


def test_every_import_row_problem_is_known_and_said_in_both_languages() -> None:
    found = {code for path in SERVER_SIDE for code in _codes_in(path, "RowError")}
    assert {"required", "number_taken", "columns_too_many"} <= found
    assert found <= ROW_PROBLEMS, found - ROW_PROBLEMS
    page = (ROOT / "server/web/console/pages/register/import.js").read_text(encoding="utf-8")
    said = dict(re.findall(r"^  (\w+): \"(import\.problem_\w+)\",$", page, re.MULTILINE))
    assert said.keys() == ROW_PROBLEMS
    for lang in ("zh-CN", "en"):
        strings = json.loads(
            (ROOT / f"server/web/console/i18n/register-import.{lang}.json").read_text("utf-8")
        )
        assert set(said.values()) <= strings.keys(), lang


def test_no_code_raised_is_the_generic_conflict() -> None:
    raising = [str(p.relative_to(ROOT)) for p in SERVER_SIDE if "conflict" in _codes_in(p)]
    assert raising == []


def test_no_domain_reads_another_domains_tables() -> None:
    graph = grimp.build_graph("server")
    tables = sorted(m for m in graph.modules if m.count(".") == 2 and m.endswith(".tables"))
    assert "server.actions.tables" in tables and "server.registry.tables" in tables
    # Piccolo's "inspections" app registers the tables split out of it (see pyproject.toml).
    allowed = {"server.inspections.piccolo_app"}
    strangers = {
        table: sorted(
            importer
            for importer in graph.find_modules_that_directly_import(table)
            if not importer.startswith(table.rsplit(".", 1)[0] + ".") and importer not in allowed
        )
        for table in tables
    }
    assert {table: who for table, who in strangers.items() if who} == {}


def test_nothing_reads_the_clock_but_server_clock() -> None:
    readers: list[str] = []
    for path in SOURCE:
        if path == ROOT / "server" / "clock.py" or path.parts[-2] == "sync":
            continue  # sync/ runs on devices too and takes the time it is given
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "server.clock"
                and any(alias.name == "utcnow" for alias in node.names)
            ):
                readers.append(f"{where} imports utcnow by name")
            if isinstance(node, ast.Call) and _reads_the_system_clock(node.func):
                readers.append(f"{where} reads the system clock")
    assert readers == []


def _reads_the_system_clock(func: ast.expr) -> bool:
    """`datetime.now()`, `dt.date.today()`, `time.time()` and the like."""
    if not isinstance(func, ast.Attribute):
        return False
    receiver = func.value
    name = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
    return (name in ("datetime", "date") and func.attr in ("now", "today", "utcnow")) or (
        name == "time" and func.attr in ("time", "time_ns")
    )


async def test_moving_the_clock_moves_it_everywhere(api, monkeypatch: pytest.MonkeyPatch) -> None:
    school = await make_school()
    admin = await make_person(school, "admin")
    moved = datetime(2026, 9, 1, 1, 30, tzinfo=UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: moved)
    asset = await make_asset(admin, school, asset_number="MHQ-CLOCK")
    answer = await api.get(f"/api/assets/{asset}", headers=admin.headers)
    assert answer.status_code == 200, answer.text
    assert datetime.fromisoformat(answer.json()["created_at"]) == moved
