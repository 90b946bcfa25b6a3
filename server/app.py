"""The composition root: create_app(settings) wires the domains into one Litestar app."""

from __future__ import annotations

import logging

import msgspec
from litestar import Litestar, Response, get
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin

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
from server.inspections.controllers import (
    AssetHistoryController,
    FindingController,
    InspectionController,
)
from server.notifications.controllers import WebhookController
from server.notifications.runner import BackgroundDispatcher
from server.registry.controllers import (
    AssetController,
    ImportController,
    LabelController,
    LocationController,
    TagController,
    TagPageController,
)
from server.scans.controllers import ScanController
from server.schedules.controllers import (
    CalendarController,
    DueController,
    ExcusalController,
    PlanController,
    ScheduleController,
)
from server.settings import Settings
from server.syncing.controllers import SyncController
from server.templates.controllers import SiteChecklistController, TemplateController
from server.web.controllers import WebAppController

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


def create_app(settings: Settings) -> Litestar:
    engine = db.engine_from_url(settings.database_url)
    notifier = BackgroundDispatcher.from_settings(settings)

    async def on_startup() -> None:
        await db.start(engine)
        # Refuse to serve an unmigrated database rather than fail request by request.
        await db.check_ready()
        log.info("database ready; public URL (printed in QR codes): %s", settings.public_url)

    async def on_shutdown() -> None:
        await db.stop(engine)

    return Litestar(
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
            TagPageController,
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
            SyncController,
            WebhookController,
            WebAppController,
        ],
        dependencies={
            "caller": Provide(provide_caller),
            "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
        },
        signature_namespace={"Caller": Caller, "Settings": Settings},
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[on_startup, notifier.start],
        on_shutdown=[notifier.stop, on_shutdown],
        request_max_body_size=JSON_BODY_LIMIT,
        openapi_config=OpenAPIConfig(
            title="Roundkeeper",
            version="0.1.0",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
        ),
        debug=False,
    )


def app_from_env() -> Litestar:
    """Entry point for `roundkeeper serve` (and any ASGI server): settings from the environment."""
    return create_app(Settings.from_env())
