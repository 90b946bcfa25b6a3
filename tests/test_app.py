from __future__ import annotations

import httpx
import pytest

from server import db
from server.app import create_app
from tests.conftest import make_settings


async def test_health_and_readiness(api):
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = await api.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_openapi_schema_is_served(api):
    schema = (await api.get("/schema/openapi.json")).json()
    assert "/api/tags/{code}" in schema["paths"]
    assert "/api/assets" in schema["paths"]


async def test_the_schema_gives_each_paged_list_a_page_of_its_own_items(api):
    schema = (await api.get("/schema/openapi.json")).json()
    item_of = {
        "/api/locations": "LocationOut",
        "/api/assets": "AssetOut",
        "/api/tags": "TagOut",
        "/api/inspections": "InspectionSummary",
        "/api/assets/{asset_id}/inspections": "InspectionSummary",
    }
    for path, item in item_of.items():
        answer = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        page = schema["components"]["schemas"][answer["schema"]["$ref"].rpartition("/")[2]]
        assert page["properties"] == {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
            "next_after": {"oneOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]},
        }, path
        assert sorted(page["required"]) == ["items", "next_after"], path


async def test_an_unknown_path_is_a_problem_404(api):
    response = await api.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_the_server_refuses_to_start_on_an_unmigrated_database(
    server, empty_database, tmp_path
):
    suite_engine = db.current_engine()
    settings = make_settings(empty_database, tmp_path)
    app = create_app(settings)
    try:
        # The app's start-up hook is what an ASGI server runs before accepting requests.
        with pytest.raises(db.DatabaseNotReady, match="run: roundkeeper db upgrade"):
            for hook in app.on_startup:
                await hook()
        engine = db.engine_from_url(empty_database)
        db.bind(engine)
        with pytest.raises(db.DatabaseNotReady, match="roundkeeper db upgrade"):
            await db.check_ready()
        ran = await db.upgrade(engine, quiet=True)
        assert len(ran) >= 4
        await db.check_ready()
        await db.stop(engine)
    finally:
        for hook in app.on_shutdown:
            await hook()
        # Engines are bound process-wide: give the suite's own server its engine back.
        db.bind(suite_engine)
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get("/readyz")).status_code == 200
