"""What every request and every page is held to, whatever the route: the API takes JSON
bodies only (but the routes that take a file), and every HTML page is sent with the phone
shell's headers and loads nothing from elsewhere."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from qr.codes import new_code
from server.app import create_app
from server.inputs import FILE_BODY_ROUTES
from server.web.controllers import SHELL_HEADERS
from tests.blobs.pictures import photo, sha256
from tests.conftest import make_settings
from tests.factories import make_asset, make_person, make_school, make_tag
from tests.web.test_checklist import HANDOVER

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
NOT_JSON = {
    "text/plain": {"content": b'{"a": 1}', "headers": {"content-type": "text/plain"}},
    "form": {"data": {"a": "1"}},
    "multipart": {"files": {"f": ("f.txt", b"x")}},
    "no content type": {"content": b'{"a": 1}'},
}


def unsafe_api_routes() -> list[tuple[str, str]]:
    app = create_app(make_settings("sqlite:///unused.sqlite3", Path("unused")))
    routes = []
    for route in app.routes:
        methods = getattr(route, "route_handler_map", {})
        for method in sorted(set(methods) & set(UNSAFE)):
            if route.path_format.startswith("/api/"):
                routes.append((method, route.path_format))
    return routes


def concrete(path_format: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path_format)


def test_the_file_routes_are_routes_of_the_api() -> None:
    assert set(unsafe_api_routes()) >= FILE_BODY_ROUTES


async def test_every_unsafe_api_route_but_the_file_ones_refuses_a_body_that_is_not_json(api):
    routes = [r for r in unsafe_api_routes() if r not in FILE_BODY_ROUTES]
    assert ("POST", "/api/auth/login") in routes and len(routes) > 20
    for method, path_format in routes:
        for what, body in NOT_JSON.items():
            answer = await api.request(method, concrete(path_format), **body)  # type: ignore[arg-type]
            assert answer.status_code == 415, (method, path_format, what, answer.text)
            assert answer.json()["code"] == "request.unsupported_media_type"


async def test_a_request_without_a_body_needs_no_content_type(api):
    school = await make_school()
    person = await make_person(school, "inspector")
    token_id = (await api.get("/api/tokens", headers=person.headers)).json()[0]["id"]
    revoked = await api.delete(f"/api/tokens/{token_id}", headers=person.headers)
    assert revoked.status_code == 200, revoked.text


async def test_the_routes_that_take_a_file_take_it_whatever_its_type(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    picture = photo("JPEG")
    uploaded = await api.put(
        f"/api/blobs/{sha256(picture)}",
        params={"site_id": str(school.site_id)},
        content=picture,
        headers={**admin.headers, "Content-Type": "image/jpeg"},
    )
    assert uploaded.status_code == 201, uploaded.text
    imported = await api.post(
        f"/api/sites/{school.site_id}/assets/import",
        params={"format": "csv", "dry_run": "true"},
        content="name,category\n灭火器,fire_extinguisher\n".encode(),
        headers={**admin.headers, "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    published = await api.post(
        "/api/templates",
        params={"format": "yaml"},
        content=HANDOVER.encode(),
        headers={**admin.headers, "Content-Type": "application/yaml"},
    )
    assert published.status_code in (200, 201), published.text
    checked = await api.post(
        "/api/templates/check",
        content=HANDOVER.encode(),
        headers={**admin.headers, "Content-Type": "application/yaml"},
    )
    assert checked.status_code == 200 and checked.json()["valid"], checked.text


def assert_shell_headers(response, what: str) -> None:
    assert response.headers["content-type"].startswith("text/html"), what
    for name, value in SHELL_HEADERS.items():
        assert response.headers.get(name) == value, (what, name)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path", ["/app/", "/console/", "/schema", "/schema/nothing-here", "/t/{code}", "/t/0"]
)
async def test_every_html_page_has_the_shells_headers(api, path):
    assert_shell_headers(await api.get(path.format(code=new_code())), path)


async def test_a_tag_page_after_login_has_the_shells_headers(api):
    school = await make_school()
    admin = await make_person(school, "admin")
    code = await make_tag(admin, asset=await make_asset(admin, school))
    page = await api.get(f"/t/{code}", headers=admin.headers)
    assert page.status_code == 200 and "/web/app/main.js" in page.text
    assert_shell_headers(page, "tag page")


async def test_the_tag_page_has_no_inline_code(api):
    html = (await api.get(f"/t/{new_code()}")).text
    assert "<style" not in html and "style=" not in html
    assert re.findall(r"<script[^>]*>(.*?)</script>", html, re.S) == [""]


async def test_the_api_page_loads_nothing_from_elsewhere_and_links_the_description(api):
    page = await api.get("/schema")
    assert page.status_code == 200
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", page.text), page.text[:500]
    # Its code is files of this server, none inline.
    assert "<style" not in page.text and "style=" not in page.text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts and all(body == "" for _, body in scripts)
    for attributes, _ in scripts:
        src = re.search(r'src="(/web/[^"]+)"', attributes)
        assert src, attributes
        served = await api.get(src.group(1))
        assert served.status_code == 200 and "javascript" in served.headers["content-type"]
    assert (await api.get("/web/vendor/swagger-ui.css")).status_code == 200
    assert 'href="/schema/openapi.json"' in page.text
    assert "POST /api/auth/login" in page.text
    assert (await api.get("/schema/openapi.json")).json()["openapi"].startswith("3.")
