"""The composition root: create_app(settings) wires the domains into one Litestar app."""

from __future__ import annotations

import logging
from html import escape
from typing import Any

import msgspec
from litestar import Litestar, Request, Response, get
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from server import db
from server.accounts.access import Caller
from server.accounts.auth import provide_caller
from server.accounts.controllers import (
    AuthController,
    MeController,
    SiteController,
    TokenController,
)
from server.actions.controllers import (
    ActionController,
    HazardReportController,
    ServiceLevelController,
)
from server.blobs.controllers import BlobController
from server.errors import EXCEPTION_HANDLERS, DomainError, Problem, problem_response
from server.gate.controllers import CONTROLLERS as GATE_CONTROLLERS
from server.gate.daily_purge import daily_purge
from server.gate.host import use_public_url
from server.gate.visit_facts import use_secret_key
from server.inputs import FILE_BODY_ROUTES, json_bodies_only, refuse_nul_characters
from server.inspections.controllers import (
    AssetHistoryController,
    FindingController,
    InspectionController,
)
from server.notifications.controllers import WebhookController
from server.notifications.runner import BackgroundDispatcher
from server.notifications.visitor_notices import forget_visitor_notices
from server.openapi import describe
from server.overview.controllers import TodayController
from server.patrols.controllers import CONTROLLERS as PATROL_CONTROLLERS
from server.registry.controllers import (
    AssetController,
    ImportController,
    LabelController,
    LabelSheetController,
    LocationController,
    SiteTagController,
    TagController,
)
from server.scans.controllers import ScanController
from server.schedules.controllers import (
    CalendarController,
    DueController,
    ExcusalController,
    ExcusalPolicyController,
    PlanController,
    ScheduleController,
)
from server.settings import Settings
from server.syncing.controllers import SyncController
from server.templates.controllers import SiteChecklistController, TemplateController
from server.web.controllers import SHELL_HEADERS, WebAppController

JSON_BODY_LIMIT = 1024 * 1024
log = logging.getLogger("roundkeeper")


class Health(msgspec.Struct, frozen=True):
    status: str


@get("/healthz", include_in_schema=False, cache=False)
async def healthz() -> Health:
    return Health(status="ok")


@get("/readyz", include_in_schema=False, cache=False)
async def readyz() -> Response[Health] | Response[Problem]:
    try:
        await db.check_ready()
    except db.DatabaseNotReady as exc:
        return problem_response(DomainError("server.not_ready", str(exc)))
    return Response(Health(status="ready"))


def shell_headers_on_pages(app: ASGIApp) -> ASGIApp:
    """Every HTML page (a tag page, the API's page, the shells) is sent with the phone
    shell's headers: nothing from elsewhere, no inline code, never in a frame, no sniffing."""
    shell = [(name.lower().encode(), value.encode()) for name, value in SHELL_HEADERS.items()]
    replaced = {name for name, _ in shell}

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_page(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if content_type.lower().startswith(b"text/html"):
                    kept = [(k, v) for k, v in headers if k.lower() not in replaced]
                    message = {**message, "headers": kept + shell}  # type: ignore[typeddict-item]
            await send(message)

        await app(scope, receive, send_page if scope["type"] == "http" else send)

    return middleware


class ApiPage(OpenAPIRenderPlugin):
    """`/schema`: the API's documentation. Swagger UI reads `/schema/openapi.json`; its code
    and styles are served by this server (npm's swagger-ui-dist, `/web/vendor/`), so the page
    works with no internet, and its start is a file (`/web/console/api-docs.js`), since the
    pages' policy allows no inline code. Under it, the operations as a plain list: what a
    browser without JavaScript shows, hidden once the viewer has drawn."""

    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        url = escape(self.get_openapi_json_route(request))
        operations = "".join(
            f"<li><code>{escape(method.upper())} {escape(path)}</code> "
            f"{escape(operation.get('summary', ''))}</li>"
            for path, item in openapi_schema.get("paths", {}).items()
            for method, operation in item.items()
            if isinstance(operation, dict) and "responses" in operation
        )
        title = escape(openapi_schema.get("info", {}).get("title", "API"))
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title} API</title>"
            '<link rel="stylesheet" href="/web/vendor/swagger-ui.css"></head><body>'
            f'<div id="docs" data-openapi="{url}"></div>'
            f'<section id="rk-operations"><h1>{title} API</h1>'
            f'<p>OpenAPI description: <a href="{url}">{url}</a> (open it in any OpenAPI '
            f"tool).</p><ul>{operations}</ul></section>"
            '<script src="/web/vendor/swagger-ui-bundle.js"></script>'
            '<script src="/web/console/api-docs.js"></script></body></html>'
        ).encode()


def create_app(settings: Settings) -> Litestar:
    engine = db.engine_from_url(settings.database_url)
    notifier = BackgroundDispatcher.from_settings(settings)
    use_secret_key(settings.secret_key)
    use_public_url(settings.public_url)

    async def on_startup() -> None:
        await db.start(engine)
        # Refuse to serve an unmigrated database rather than fail request by request.
        await db.check_ready()
        log.info("database ready; public URL (printed in QR codes): %s", settings.public_url)

    async def on_shutdown() -> None:
        await db.stop(engine)

    app = Litestar(
        route_handlers=[
            healthz,
            readyz,
            AuthController,
            MeController,
            SiteController,
            TokenController,
            LocationController,
            AssetController,
            ImportController,
            TagController,
            LabelController,
            SiteTagController,
            LabelSheetController,
            TemplateController,
            BlobController,
            ScanController,
            SiteChecklistController,
            InspectionController,
            AssetHistoryController,
            FindingController,
            HazardReportController,
            ActionController,
            ServiceLevelController,
            CalendarController,
            ScheduleController,
            PlanController,
            DueController,
            ExcusalController,
            ExcusalPolicyController,
            SyncController,
            WebhookController,
            TodayController,
            *PATROL_CONTROLLERS,
            *GATE_CONTROLLERS,
            WebAppController,
        ],
        dependencies={
            "caller": Provide(provide_caller),
            "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
        },
        signature_namespace={"Caller": Caller, "Settings": Settings},
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[refuse_nul_characters, json_bodies_only, shell_headers_on_pages],
        on_startup=[on_startup, notifier.start],
        lifespan=[daily_purge(forget_visitor_notices)],
        on_shutdown=[notifier.stop, on_shutdown],
        request_max_body_size=JSON_BODY_LIMIT,
        openapi_config=OpenAPIConfig(
            title="Roundkeeper",
            version="0.1.0",
            path="/schema",
            render_plugins=[ApiPage()],
        ),
        debug=False,
    )
    describe(app, file_body_routes=FILE_BODY_ROUTES)
    return app


def app_from_env() -> Litestar:
    """Entry point for `roundkeeper serve` (and any ASGI server): settings from the environment."""
    return create_app(Settings.from_env())
