"""The device client against the real server, on SQLite and on PostgreSQL: enrol, pull,
inspect offline, push, and the `roundkeeper device` commands on top."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner
from PIL import Image
from uuid_utils.compat import uuid7

from server.cli.device import device
from sync.client import DeviceClient
from sync.device import BlobFile
from sync.store import DeviceStore
from tests.factories import make_asset, make_tag
from tests.inspections.helpers import extinguisher_answers, extinguisher_school

TEMPLATE = "fire_extinguisher_monthly"


def png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


async def tagged_extinguisher():
    school, admin, inspector, asset = await extinguisher_school()
    code = await make_tag(admin, asset=asset)
    return school, inspector, asset, code


async def tagged_extinguisher_with_admin():
    school, admin, inspector, asset = await extinguisher_school()
    return school, admin, inspector, await make_tag(admin, asset=asset)


def inspection(asset: Any, **answers: Any) -> tuple[dict[str, Any], datetime]:
    completed = datetime.now(UTC) - timedelta(seconds=5)
    body = {
        "id": str(uuid7()),
        "template_key": TEMPLATE,
        "template_version": 1,
        "asset_id": str(asset),
        "answers": extinguisher_answers(**answers),
        "started_at": (completed - timedelta(minutes=1)).isoformat(),
        "completed_at": completed.isoformat(),
    }
    return body, completed


async def server_count(api: httpx.AsyncClient, person, site_id) -> int:
    page = await api.get(
        "/api/inspections", params={"site_id": str(site_id), "limit": 200}, headers=person.headers
    )
    assert page.status_code == 200, page.text
    return len(page.json()["items"])


async def test_enrol_pull_inspect_offline_push_and_the_server_has_it_once(api, clean, tmp_path):
    school, inspector, asset, code = await tagged_extinguisher()
    store = DeviceStore(tmp_path / "phone.sqlite3")
    async with DeviceClient(store) as client:
        me = await client.enrol(clean.url, inspector.token)
        assert me.username == inspector.username
        pulled = await client.pull()
        assert pulled.scopes == {str(school.site_id): "ok"}
        tag = store.cache.find_tag(code)
        assert tag is not None and tag.data["asset_id"] == str(asset)
        assert store.cache.get("asset", str(asset)).data["category"] == "fire_extinguisher"
        template = store.cache.get("template", TEMPLATE, scope=str(school.site_id))
        assert template.data["version"] == 1
        assert store.cache.cursors()[str(school.site_id)]

        body, completed = inspection(asset)
        op = client.enqueue("inspection.submitted", body, completed)
        assert op.device_seq == 1
        report = await client.push()
        assert (report.sent, report.settled, report.remaining) == (1, 1, 0)
        assert report.last_applied_seq == 1
        [result] = store.outbox.results()
        assert result.status == "applied"

        stored = await api.get(f"/api/inspections/{body['id']}", headers=inspector.headers)
        assert stored.status_code == 200, stored.text
        assert stored.json()["device_id"] == str(me.device_id)
        assert await server_count(api, inspector, school.site_id) == 1

        again = await client.push()
        assert (again.sent, again.batches) == (0, 0)
        assert await server_count(api, inspector, school.site_id) == 1
        status = client.status()
        assert status.queued_ops == 0 and status.needs_attention == []
        assert status.last_push_at is not None and status.last_pull_at is not None
    store.close()


async def test_a_restarted_client_keeps_its_outbox_and_sends_each_op_once(api, clean, tmp_path):
    school, inspector, asset, _ = await tagged_extinguisher()
    path = tmp_path / "phone.sqlite3"
    with DeviceStore(path) as store:
        async with DeviceClient(store) as client:
            await client.enrol(clean.url, inspector.token)
            for _ in range(3):
                client.enqueue("inspection.submitted", *inspection(asset))
    with DeviceStore(path) as store:
        assert [op.device_seq for op in store.outbox.pending()] == [1, 2, 3]
        async with DeviceClient(store) as client:
            report = await client.push()
        assert (report.settled, report.last_applied_seq) == (3, 3)
    assert await server_count(api, inspector, school.site_id) == 3


async def test_a_pull_in_small_pages_gets_everything_then_only_what_changed(api, clean, tmp_path):
    school, admin, inspector, _ = await tagged_extinguisher_with_admin()
    for n in range(4):
        await make_tag(admin, asset=await make_asset(admin, school, asset_number=f"MHQ-1{n}"))
    whole = DeviceStore(tmp_path / "whole.sqlite3")
    paged = DeviceStore(tmp_path / "paged.sqlite3")
    async with DeviceClient(whole) as one, DeviceClient(paged, pull_limit=2) as other:
        for client in (one, other):
            await client.enrol(clean.url, inspector.token)
            await client.pull()
        assert paged.cache.counts() == whole.cache.counts()
        assert paged.cache.counts()["tag"] == 5
        assert [(r.entity, r.id, r.version) for r in paged.cache.all("asset")] == [
            (r.entity, r.id, r.version) for r in whole.cache.all("asset")
        ]

        asset = paged.cache.all("asset")[0]
        renamed = await api.patch(
            f"/api/assets/{asset.id}",
            json={"name": "二氧化碳灭火器", "version": asset.version},
            headers=admin.headers,
        )
        assert renamed.status_code == 200, renamed.text
        again = await other.pull()
        assert again.changes >= 1 and again.changes < 5
        cached = paged.cache.get("asset", asset.id)
        assert cached.data["name"] == "二氧化碳灭火器" and cached.version > asset.version
    whole.close()
    paged.close()


class LoseAnswers(httpx.AsyncBaseTransport):
    """A network that delivers the first `lose` pushes to the server and loses the answer."""

    def __init__(self, lose: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lose = lose
        self.pushes = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path == "/api/sync/push":
            self.pushes += 1
            if self.pushes <= self.lose:
                await response.aread()
                raise httpx.ReadError("connection reset", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_an_answer_lost_after_the_server_committed_is_replayed_not_reapplied(
    api, clean, tmp_path
):
    school, inspector, asset, _ = await tagged_extinguisher()
    network = LoseAnswers(lose=2)
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    with DeviceStore(tmp_path / "phone.sqlite3") as store:
        async with DeviceClient(store, transport=network, sleep=no_wait) as client:
            await client.enrol(clean.url, inspector.token)
            for _ in range(4):
                client.enqueue("inspection.submitted", *inspection(asset))
            report = await client.push()
        assert network.pushes == 3 and len(waits) == 2
        assert report.settled == 4
        assert {r.status for r in store.outbox.results()} == {"applied"}
    assert await server_count(api, inspector, school.site_id) == 4


async def test_a_refused_record_is_kept_for_a_person_and_does_not_block_the_next(
    api, clean, tmp_path
):
    school, inspector, asset, _ = await tagged_extinguisher()
    with DeviceStore(tmp_path / "phone.sqlite3") as store:
        async with DeviceClient(store) as client:
            await client.enrol(clean.url, inspector.token)
            bad, when = inspection(asset, hose=None, gauge_zone="purple")
            client.enqueue("inspection.submitted", bad, when)
            client.enqueue("inspection.submitted", *inspection(asset))
            report = await client.push()
        assert (report.settled, report.needs_attention, report.remaining) == (2, 1, 0)
        [refused] = store.status().needs_attention
        assert (refused.device_seq, refused.status) == (1, "rejected")
        assert refused.code and refused.body["id"] == bad["id"]
    assert await server_count(api, inspector, school.site_id) == 1


async def test_rule_39_photos_upload_apart_and_a_bad_one_never_holds_back_records(
    api, clean, tmp_path
):
    school, inspector, asset, _ = await tagged_extinguisher()
    good = tmp_path / "gauge.png"
    good.write_bytes(png())
    bad = tmp_path / "not-a-photo.png"
    bad.write_bytes(b"these bytes are not an image")
    digest = photo_sha(good)
    with DeviceStore(tmp_path / "phone.sqlite3") as store:
        async with DeviceClient(store) as client:
            await client.enrol(clean.url, inspector.token)
            body, when = inspection(asset, photo=[digest])
            files = [
                BlobFile(sha256=digest, site_id=school.site_id, path=good),
                BlobFile(sha256=photo_sha(bad), site_id=school.site_id, path=bad),
            ]
            client.enqueue("inspection.submitted", body, when, blobs=files)
            pushed = await client.push()
            assert pushed.settled == 1
            blobs = await client.upload_blobs()
            assert (blobs.uploaded, blobs.failed, blobs.remaining) == (1, 1, 1)
            assert len(blobs.errors) == 1
            [left] = store.blobs.queued()
            assert left.sha256 == photo_sha(bad) and left.attempts == 1 and left.last_error
            # Records still flow while the bad photo waits.
            client.enqueue("inspection.submitted", *inspection(asset))
            assert (await client.push()).settled == 1
    head = await api.head(f"/api/blobs/{digest}", headers=inspector.headers)
    assert head.status_code == 200
    stored = await api.get(f"/api/inspections/{body['id']}", headers=inspector.headers)
    assert stored.json()["missing_blobs"] == []


def photo_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# The command line ---------------------------------------------------------------------


async def cli(store: Path, *args: str, ok: bool = True):
    """Run `roundkeeper device ...` in a worker thread: its asyncio.run needs a thread of
    its own while this test's loop serves the HTTP server."""
    runner = CliRunner()
    result = await asyncio.to_thread(
        runner.invoke, device, list(args), env={"ROUNDKEEPER_DEVICE_STORE": str(store)}
    )
    if ok:
        assert result.exit_code == 0, result.output + repr(result.exception)
    return result


async def test_the_device_commands_end_to_end(api, clean, tmp_path):
    school, inspector, _, code = await tagged_extinguisher()
    store = tmp_path / "kiosk.sqlite3"
    gauge = tmp_path / "gauge.png"
    gauge.write_bytes(png("green"))

    enrolled = await cli(store, "enrol", "--server", clean.url, "--token", inspector.token)
    assert inspector.username in enrolled.output
    assert inspector.token not in enrolled.output
    pulled = await cli(store, "pull")
    assert "tag 1" in pulled.output and "template" in pulled.output

    typed = f"{code[:4]}-{code[4:]}".lower()
    answers = tmp_path / "answers.yaml"
    answers.write_text("gauge_zone: green\nservice_life_end: 2031-06-30\nhose: fail\n")
    flags = [f"--answer={key}=pass" for key in ("seal_and_pin", "body", "signage_and_access")]
    queued = await cli(
        store,
        "inspect",
        typed,
        "--answers-file",
        str(answers),
        *flags,
        "--answer",
        "cabinet_opens=na",
        "--photo",
        str(gauge),
    )
    assert "queued inspection" in queued.output and ": fail (hose)" in queued.output
    status = json.loads((await cli(store, "status", "--json")).output)
    assert (status["queued_ops"], status["queued_blobs"]) == (1, 1)

    refused = await cli(store, "inspect", code, "--answer", "gauge_zone=blue", ok=False)
    assert refused.exit_code != 0
    assert "answers.gauge_zone" in refused.output and "answers.hose" in refused.output
    assert "not queued" in refused.output
    unknown = await cli(store, "inspect", "AAAA-AAAA", ok=False)
    assert unknown.exit_code != 0

    pushed = await cli(store, "push")
    assert "1 answered" in pushed.output and "1 uploaded" in pushed.output
    status = json.loads((await cli(store, "status", "--json")).output)
    assert (status["queued_ops"], status["queued_blobs"], status["needs_attention"]) == (0, 0, [])
    human = (await cli(store, "status")).output
    assert "queued: 0 records, 0 photos" in human
    listing = await api.get(
        "/api/inspections", params={"site_id": str(school.site_id)}, headers=inspector.headers
    )
    [stored] = listing.json()["items"]
    assert stored["result"] == "fail" and stored["failed_items"] == ["hose"]


async def test_inspect_follows_the_sites_own_rule_for_where_a_checklist_applies(
    api, clean, tmp_path
):
    school, admin, inspector, code = await tagged_extinguisher_with_admin()
    store = tmp_path / "kiosk.sqlite3"
    rules = f"/api/sites/{school.site_id}/checklists"
    await cli(store, "enrol", "--server", clean.url, "--token", inspector.token)
    moved = {"asset_categories": ["fire_extinguisher"]}
    off = {"enabled": False}
    for key, rule in (("fire_extinguisher_monthly", off), ("fire_hydrant_box_monthly", moved)):
        response = await api.put(f"{rules}/{key}", json=rule, headers=admin.headers)
        assert response.status_code == 200, response.text
    await cli(store, "pull")
    refused = await cli(store, "inspect", code, "--template", TEMPLATE, ok=False)
    assert "does not apply" in refused.output
    assert "these do: fire_hydrant_box_monthly" in refused.output

    cleared = await api.delete(f"{rules}/{TEMPLATE}", headers=admin.headers)
    assert cleared.status_code == 200, cleared.text
    await cli(store, "pull")
    several = await cli(store, "inspect", code, ok=False)
    assert "several checklists apply" in several.output
    assert "fire_extinguisher_monthly, fire_hydrant_box_monthly" in several.output


def test_the_device_commands_are_part_of_roundkeeper(tmp_path):
    done = subprocess.run(
        [str(Path(sys.executable).parent / "roundkeeper"), "device", "status"],
        env={**os.environ, "ROUNDKEEPER_DEVICE_STORE": str(tmp_path / "none.sqlite3")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "not enrolled" in done.stdout
