"""The visitor slip (会客单): an A6 PDF, and a page for the gate's 80 mm receipt printer.
Gate staff, managers and the visit's host (server/gate/visit_slips.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

import anyio
from litestar import Controller, Response, get
from litestar.params import Parameter

from server.deps import AppSettings, CurrentCaller
from server.gate.slips import slip_html, slip_pdf
from server.gate.visit_slips import slip_font, visit_slip

Id = Annotated[uuid.UUID, Parameter()]


class SlipController(Controller):
    path = "/api/visits/{visit_id:uuid}"
    tags = ["gate"]

    @get("/slip.pdf", media_type="application/pdf")
    async def slip_pdf(
        self, caller: CurrentCaller, settings: AppSettings, visit_id: Id
    ) -> Response[bytes]:
        """The slip on an A6 page: the visitor, the masked ID (never the phone), the host,
        the QR the gate scans at check-out, and the host's signature line. A visit whose
        check-in has not arrived gets a slip that says so. 503 `labels.font_missing`
        without a CJK font."""
        source = await visit_slip(caller, visit_id, settings.public_url)
        font = slip_font(settings.label_font)
        pdf = await anyio.to_thread.run_sync(lambda: slip_pdf(source.content, font=font))
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="visit-{visit_id}.pdf"'},
        )

    @get("/slip", media_type="text/html")
    async def slip_page(self, caller: CurrentCaller, settings: AppSettings, visit_id: Id) -> str:
        """The same slip as a page for an 80 mm receipt printer, its QR inline (SVG)."""
        source = await visit_slip(caller, visit_id, settings.public_url)
        return slip_html(source.content)
