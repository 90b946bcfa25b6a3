"""The phone app's and the management console's files, served as they are (no build step).

The phone's shell is at `/app/`; its modules, translations, icons and manifest under `/web/`;
the service worker at `/sw.js`, so that its scope covers both `/app/` and `/t/` and a tag URL
opened by the phone's camera app is answered by the app, offline too. A browser without the
service worker (WeChat's) gets the same shell from the server for `/t/{code}`.

The console (desktop pages for a site's managers) has its shell at `/console/` and its files
under `/web/console/`. It is no part of the phone app: not in the service worker's list, not
in its build id, never answered by it, so a phone neither downloads it nor re-installs the app
when a console page changes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

WEB_DIR = Path(__file__).parent
SHELL = "index.html"
SERVICE_WORKER = "sw.js"
# Only these folders and files are public; the package's Python files are not.
PUBLIC_DIRS = ("app", "i18n", "icons")
PUBLIC_FILES = ("manifest.webmanifest",)
# Public too, but not the phone's: served, never cached by the service worker. Its shell is
# served at /console/ only, as the phone's is at /app/ only.
CONSOLE_DIR = "console"
CONSOLE_SHELL = "console/index.html"
# Third-party browser code, installed by npm (scripts/setup.sh) from vendor/package-lock.json:
# the URL path under /web/ -> the one file served from the package. Nothing else of
# node_modules is public. A server installed without them still serves the app; only the
# scanner's fallback decoder and the gate slip's QR are missing then (and
# tests/web/test_files.py fails).
VENDOR_FILES = {
    "vendor/jsQR.js": "vendor/node_modules/jsqr/dist/jsQR.js",
    "vendor/qrcode.js": "vendor/node_modules/qrcode-generator/dist/qrcode.mjs",
}
# The API documentation's viewer (Swagger UI), for /schema: served like the vendor files,
# but no part of the phone app (not in the service worker's list nor its build id).
DOCS_FILES = {
    "vendor/swagger-ui-bundle.js": "vendor/node_modules/swagger-ui-dist/swagger-ui-bundle.js",
    "vendor/swagger-ui.css": "vendor/node_modules/swagger-ui-dist/swagger-ui.css",
}
# Litestar adds "; charset=utf-8" to text/* itself.
CONTENT_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
    ".png": "image/png",
}
# The shell allows nothing from elsewhere and no inline code.
SHELL_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}


# `import ... from "./x.js"` and `import "./x.js"` at the start of a line, over lines too.
STATIC_IMPORT = re.compile(r'^import\s+(?:[^;]*?\bfrom\s+)?"\./([\w.-]+\.js)"', re.MULTILINE)
PRELOADS = "<!-- modulepreload -->"
# The tab's icon goes into the shell itself, as a data: URL: fetched, it would go through
# the service worker and be decoded while a tag URL's first screen is still being read.
TAB_ICON = "/web/icons/icon-32.png"


def first_modules() -> list[str]:
    """The modules main.js imports statically, directly or through others (the screens it
    loads when shown are not): the shell names them all, so the browser fetches them at
    once instead of one level of imports after another."""
    found: set[str] = set()
    todo = ["main.js"]
    while todo:
        text = (WEB_DIR / "app" / todo.pop()).read_text(encoding="utf-8")
        for name in STATIC_IMPORT.findall(text):
            if name not in found:
                found.add(name)
                todo.append(name)
    return sorted(found)


def _with_tab_icon(text: str) -> bytes:
    icon = base64.b64encode((WEB_DIR / TAB_ICON.removeprefix("/web/")).read_bytes()).decode()
    return text.replace(f'href="{TAB_ICON}"', f'href="data:image/png;base64,{icon}"').encode()


def shell() -> bytes:
    links = "\n".join(
        f'<link rel="modulepreload" href="/web/app/{name}">' for name in first_modules()
    )
    return _with_tab_icon((WEB_DIR / SHELL).read_text(encoding="utf-8").replace(PRELOADS, links))


def console_shell() -> bytes:
    """The console's shell, with the tab's icon in it too: on a phone that has the app, a
    console page then asks nothing of the service worker."""
    return _with_tab_icon((WEB_DIR / CONSOLE_SHELL).read_text(encoding="utf-8"))


def public_files() -> list[str]:
    """The URL paths the service worker caches on install: the shell and every public file."""
    paths = ["/app/"]
    for folder in PUBLIC_DIRS:
        for file in sorted((WEB_DIR / folder).rglob("*")):
            if file.is_file() and file.suffix in CONTENT_TYPES:
                paths.append(f"/web/{file.relative_to(WEB_DIR).as_posix()}")
    paths += [f"/web/{name}" for name in PUBLIC_FILES]
    paths += [f"/web/{name}" for name, file in VENDOR_FILES.items() if (WEB_DIR / file).is_file()]
    return paths


def build_id() -> str:
    """A digest of every file the app is made of: any change makes the browser install the
    new service worker, which caches the new files and drops the old ones."""
    digest = hashlib.sha256()
    for name in [SHELL, SERVICE_WORKER, *(p.removeprefix("/web/") for p in public_files()[1:])]:
        file = WEB_DIR / VENDOR_FILES.get(name, name)
        digest.update(name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


def _public_path(path: str) -> Path:
    relative = path.strip("/")
    for files in (VENDOR_FILES, DOCS_FILES):
        if relative in files and (WEB_DIR / files[relative]).is_file():
            return WEB_DIR / files[relative]
    file = (WEB_DIR / relative).resolve()
    if not file.is_relative_to(WEB_DIR.resolve()) or file.suffix not in CONTENT_TYPES:
        raise NotFoundException()
    parts = file.relative_to(WEB_DIR.resolve()).parts
    console = parts[0] == CONSOLE_DIR and "/".join(parts) != CONSOLE_SHELL
    allowed = (len(parts) > 1 and (parts[0] in PUBLIC_DIRS or console)) or (
        len(parts) == 1 and parts[0] in PUBLIC_FILES
    )
    if not allowed or not file.is_file():
        raise NotFoundException()
    return file


def _revalidated(
    request: Request, body: bytes, media_type: str, headers: dict[str, str]
) -> Response[bytes]:
    """The file with an ETag of its content: a browser that has it asks again with
    If-None-Match and gets 304 without the body (the service worker caching the app right
    after the first visit, or after an update, for every file that did not change)."""
    tag = f'"{hashlib.sha256(body).hexdigest()[:20]}"'
    headers = {**headers, "ETag": tag}
    if tag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


class WebAppController(Controller):
    include_in_schema = False

    @get("/", cache=False)
    async def root(self) -> Redirect:
        return Redirect(path="/app/")

    @get(["/app", "/app/{screen:path}", "/t/{code:str}"], cache=False)
    async def shell(self, request: Request) -> Response[bytes]:
        """The shell answers every screen of the app (/app/actions, /app/due, ...) and every
        tag URL: the app reads the URL itself. A tag URL reaches the server when the browser
        has no service worker of the app: the first scan on a phone, or any scan in WeChat,
        whose browser never runs one. The app then works online as it does installed: its
        login enrols the phone, the thing and its checklists are shown and filled there and
        then, in the person's language."""
        return _revalidated(request, shell(), CONTENT_TYPES[".html"], SHELL_HEADERS)

    @get(["/console", "/console/{page:path}"], cache=False)
    async def console(self, request: Request) -> Response[bytes]:
        """The console's shell answers every page of it, as the app's does; sw.js leaves
        these URLs to the network."""
        return _revalidated(request, console_shell(), CONTENT_TYPES[".html"], SHELL_HEADERS)

    @get("/sw.js", cache=False)
    async def service_worker(self) -> Response[bytes]:
        text = (
            (WEB_DIR / SERVICE_WORKER)
            .read_text(encoding="utf-8")
            .replace("__BUILD__", build_id())
            .replace("__FILES__", ",".join(public_files()))
        )
        return Response(
            text.encode(),
            media_type=CONTENT_TYPES[".js"],
            headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
        )

    @get("/web/{path:path}", cache=False)
    async def web_file(self, request: Request, path: FromPath[str]) -> Response[bytes]:
        file = _public_path(path)
        headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        return _revalidated(request, file.read_bytes(), CONTENT_TYPES[file.suffix], headers)
