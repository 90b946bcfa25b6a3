"""How the server hands out the phone app's files."""

from __future__ import annotations

import json

import pytest

from server.web.controllers import WEB_DIR, build_id, public_files

# Files only: the database behind the server does not matter here.
pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


async def test_the_shell_is_served_at_app_with_a_strict_content_policy(api) -> None:
    response = await api.get("/app/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert '<script type="module" src="/web/app/main.js">' in response.text
    # Every screen of the app is the same shell: a reload on /app/actions works online too.
    for screen in ("/app", "/app/actions", "/app/actions/0192f0c1-aaaa-7bbb-8ccc-000000000001"):
        again = await api.get(screen)
        assert again.status_code == 200 and again.text == response.text, screen
    root = await api.get("/")
    assert root.status_code in (301, 302, 307, 308) and root.headers["location"] == "/app/"


async def test_the_service_worker_may_control_the_whole_site(api) -> None:
    response = await api.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["service-worker-allowed"] == "/"
    assert response.headers["cache-control"] == "no-cache"
    assert f'const BUILD = "{build_id()}";' in response.text
    assert "__FILES__" not in response.text
    assert ",".join(public_files()) in response.text


async def test_every_file_the_service_worker_caches_is_served_with_its_type(api) -> None:
    types = {
        ".js": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".json": "application/json; charset=utf-8",
        ".png": "image/png",
        ".webmanifest": "application/manifest+json; charset=utf-8",
        "/": "text/html; charset=utf-8",
    }
    files = public_files()
    assert {"/web/app/main.js", "/web/i18n/zh-CN.json", "/web/i18n/en.json"} <= set(files)
    for path in files:
        response = await api.get(path)
        assert response.status_code == 200, path
        suffix = next(s for s in types if path.endswith(s))
        assert response.headers["content-type"] == types[suffix], path
    manifest = json.loads((await api.get("/web/manifest.webmanifest")).content)
    assert manifest["start_url"] == "/app/" and manifest["scope"] == "/"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}


@pytest.mark.parametrize(
    "path",
    [
        "/web/controllers.py",
        "/web/__init__.py",
        "/web/app/../controllers.py",
        "/web/%2e%2e/app.py",
        "/web/app/missing.js",
        "/web/index.html",
        "/web/sw.js",
        "/web/vendor/package.json",
        "/web/vendor/package-lock.json",
        "/web/vendor/node_modules/jsqr/dist/jsQR.js",
        "/web/vendor/node_modules/jsqr/package.json",
        "/web/vendor/node_modules/jsqr/dist/index.d.ts",
        "/web/vendor/node_modules/.package-lock.json",
        "/web/vendor/jsqr/dist/jsQR.js",
        "/web/console/index.html",
        "/web/console/missing.js",
        "/web/console/../controllers.py",
    ],
)
async def test_nothing_but_the_app_files_is_served(api, path: str) -> None:
    assert (await api.get(path)).status_code == 404


async def test_the_scanners_decoder_is_served_from_its_pinned_package_and_cached(api) -> None:
    """jsQR, installed by npm ci from the lockfile, is the one file of node_modules the
    server hands out; the service worker caches it so that the scanner works offline."""
    lock = json.loads((WEB_DIR / "vendor" / "package-lock.json").read_text())
    installed = json.loads(
        (WEB_DIR / "vendor" / "node_modules" / "jsqr" / "package.json").read_text()
    )
    assert installed["version"] == lock["packages"]["node_modules/jsqr"]["version"] == "1.4.0"
    assert installed["license"] == "Apache-2.0"
    response = await api.get("/web/vendor/jsQR.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert b'root["jsQR"] = factory();' in response.content
    assert "/web/vendor/jsQR.js" in public_files()
    assert "/web/vendor/jsQR.js" in (await api.get("/sw.js")).text
    assert [p for p in public_files() if p.startswith("/web/vendor/")] == [
        "/web/vendor/jsQR.js",
        "/web/vendor/qrcode.js",
    ]


async def test_the_consoles_files_are_served_but_never_to_the_service_worker(api) -> None:
    """The console's files are served as the app's are, and none of them is among the files
    the service worker caches, in its build id's list or in /sw.js."""
    console = WEB_DIR / "console"
    served = [
        f"/web/{file.relative_to(WEB_DIR).as_posix()}"
        for file in sorted(console.rglob("*"))
        if file.is_file() and file.name != "index.html"
    ]
    assert {"/web/console/main.js", "/web/console/i18n/zh-CN.json"} <= set(served)
    worker = (await api.get("/sw.js")).text
    for path in served:
        response = await api.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-cache", path
        assert path not in public_files() and path not in worker, path
    assert not [p for p in public_files() if "console" in p]


async def test_both_translations_have_the_same_keys(api) -> None:
    zh = (await api.get("/web/i18n/zh-CN.json")).json()
    en = (await api.get("/web/i18n/en.json")).json()
    assert zh.keys() == en.keys()
    assert zh["lang.switch"] == "English" and en["lang.switch"] == "中文"


async def test_a_browser_without_the_app_gets_the_app_itself_at_a_tag_url(api) -> None:
    """WeChat's browser never runs the service worker: the server answers the tag URL with
    the shell, as the worker does (tests/web/test_tag_page.py uses it)."""
    response = await api.get("/t/K7QM-X3P9")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == (await api.get("/app/")).content
    assert '<script type="module" src="/web/app/main.js"></script>' in response.text
