"""The `roundkeeper` command as an operator runs it: a separate process, on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pypdfium2
import zxingcpp

from tests.conftest import PUBLIC_URL

BIN = Path(sys.executable).parent / "roundkeeper"


def run(url: str, data_dir: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ROUNDKEEPER_DATABASE_URL": url,
        "ROUNDKEEPER_DATA_DIR": str(data_dir),
        "ROUNDKEEPER_PUBLIC_URL": PUBLIC_URL,
        "ROUNDKEEPER_PASSWORD_HASHING": "fast",
    }
    done = subprocess.run(
        [str(BIN), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    if ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_serve_refuses_an_unmigrated_database_then_setup_works(empty_database, tmp_path):
    refused = run(empty_database, tmp_path, "serve", "--port", "1", ok=False)
    assert refused.returncode != 0
    assert "roundkeeper db upgrade" in refused.stderr
    assert "migrations applied" in run(empty_database, tmp_path, "db", "upgrade").stdout
    assert "already up to date" in run(empty_database, tmp_path, "db", "upgrade").stdout
    assert "up to date" in run(empty_database, tmp_path, "db", "status").stdout

    run(
        empty_database,
        tmp_path,
        "site",
        "create",
        "--organization",
        "二中集团",
        "--name",
        "第二中学",
    )
    run(
        empty_database,
        tmp_path,
        "user",
        "create",
        "wang",
        "--site",
        "第二中学",
        "--role",
        "admin",
        "--password",
        "long enough password",
    )
    no_end = run(
        empty_database,
        tmp_path,
        "user",
        "create",
        "aud",
        "--site",
        "第二中学",
        "--role",
        "auditor",
        "--password",
        "long enough password",
        ok=False,
    )
    assert "--expires" in no_end.stderr
    token = run(
        empty_database, tmp_path, "token", "create", "wang", "--device", "平板"
    ).stdout.strip()
    assert token.startswith("rk_") and len(token) > 30

    csv = tmp_path / "assets.csv"
    csv.write_text(
        "名称,类别,编号\n灭火器1,fire_extinguisher,MHQ-1\n灭火器2,fire_extinguisher,MHQ-2\n"
    )
    checked = run(
        empty_database, tmp_path, "assets", "import", str(csv), "--site", "第二中学", "--dry-run"
    )
    assert "would import 2 rows" in checked.stdout
    assert (
        "imported 2 rows"
        in run(empty_database, tmp_path, "assets", "import", str(csv), "--site", "第二中学").stdout
    )
    again = run(empty_database, tmp_path, "assets", "import", str(csv), "--site", "第二中学")
    assert "imported already" in again.stdout
    csv.write_text(
        "名称,类别,编号\n灭火器3,fire_extinguisher,MHQ-3\n灭火器1,fire_extinguisher,MHQ-1\n"
    )
    clash = run(
        empty_database, tmp_path, "assets", "import", str(csv), "--site", "第二中学", ok=False
    )
    assert "row 3, asset_number: already used at this site" in clash.stderr

    template = tmp_path / "stairwell.yaml"
    template.write_text(
        "key: fire_extinguisher_monthly\nversion: 1\ntitle: {zh-CN: 灭火器, en: Extinguisher}\n"
        "category: fire\napplies_to: {asset_categories: [fire_extinguisher]}\n"
        "frequency: {every: monthly}\nitems:\n  - type: check\n    key: gauge\n"
        "    label: {zh-CN: 压力正常, en: Pressure normal}\n",
        encoding="utf-8",
    )
    published = run(
        empty_database,
        tmp_path,
        "templates",
        "publish",
        str(template),
        "--organization",
        "二中集团",
    ).stdout
    # The built-in library came with the new organization, so this is version 2.
    assert "published fire_extinguisher_monthly version 2" in published
    unchanged = run(
        empty_database,
        tmp_path,
        "templates",
        "publish",
        str(template),
        "--organization",
        "二中集团",
    ).stdout
    assert "unchanged" in unchanged
    template.write_text("key: x\n", encoding="utf-8")
    refused = run(
        empty_database,
        tmp_path,
        "templates",
        "publish",
        str(template),
        "--organization",
        "二中集团",
        ok=False,
    )
    assert refused.returncode != 0 and "missing required field `version`" in refused.stderr

    pdf = tmp_path / "labels.pdf"
    out = run(
        empty_database,
        tmp_path,
        "labels",
        "--site",
        "第二中学",
        "--issue-missing",
        "--preset",
        "a4-4x10",
        "-o",
        str(pdf),
    ).stdout
    assert "issued 2 new tags" in out and "wrote 2 labels" in out
    page = pypdfium2.PdfDocument(pdf.read_bytes())[0].render(scale=300 / 72).to_pil()
    urls = {r.text for r in zxingcpp.read_barcodes(page)}
    assert len(urls) == 2 and all(u.startswith(f"{PUBLIC_URL}/t/") for u in urls)


def test_demo_is_idempotent_from_the_command_line(empty_database, tmp_path):
    run(empty_database, tmp_path, "db", "upgrade")
    first = run(empty_database, tmp_path, "demo").stdout
    assert "130 assets" in first and "roundkeeper-demo" in first and "auditor" in first
    assert "nurse" in first  # the patrols' people are printed with the others
    assert "nothing changed" in run(empty_database, tmp_path, "demo").stdout
