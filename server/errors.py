"""Every problem the API can answer, with a stable code.

A code, once shipped, is never renamed or reused; the HTTP status lives here and
nowhere else. Problem bodies are `{code, detail, field}` (plus `errors` for lists of
row or item problems).
"""

from __future__ import annotations

import logging
import re
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

T = TypeVar("T")

STATUS: dict[str, int] = {
    "request.invalid": 400,
    "request.malformed_json": 400,
    "request.too_large": 413,
    "request.unsupported_media_type": 415,
    "auth.required": 401,
    "auth.invalid_credentials": 401,
    "auth.token_revoked": 401,  # shipped, no longer raised: a revoked token is auth.required
    "auth.session_expired": 401,
    "auth.rate_limited": 429,
    "auth.csrf_failed": 403,
    "auth.forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,  # shipped, no longer raised: every conflict now says what it is about
    "user.username_taken": 409,
    "member.own_role": 409,
    "site.unknown_timezone": 400,
    "location.parent_in_other_site": 400,
    "location.cycle": 409,
    "location.in_use": 409,
    "location.id_taken": 409,
    "location.version_conflict": 409,
    "asset.number_taken": 409,
    "asset.location_in_other_site": 400,
    "asset.keeper_not_member": 400,
    "asset.retired": 409,
    "asset.id_taken": 409,
    "asset.version_conflict": 409,
    "tag.invalid_code": 400,
    "tag.code_taken": 409,
    "tag.target_required": 400,
    "tag.retired": 409,
    "tag.not_active": 409,
    "import.invalid_rows": 422,
    "import.unreadable_file": 400,
    "import.too_many_rows": 422,
    "labels.too_many": 413,
    "template.invalid": 422,
    "site_checklist.version_conflict": 409,
    "inspection.id_not_uuid7": 400,
    "inspection.target_required": 400,
    "inspection.completed_in_future": 422,
    "inspection.started_after_completed": 422,
    "inspection.unknown_template": 422,
    "inspection.unknown_version": 422,
    "inspection.invalid_answers": 422,
    "inspection.supersedes_mismatch": 422,
    "inspection.conflict": 409,
    "inspection.already_superseded": 409,
    "action.conflict": 409,
    "action.step_conflict": 409,
    "action.reason_required": 422,
    "action.id_not_uuid7": 400,
    "report.conflict": 409,
    "report.id_not_uuid7": 400,
    "report.target_required": 400,
    "report.reported_in_future": 422,
    "schedule.calendar_required": 422,
    "schedule.effective_in_past": 422,
    "schedule.unknown_template": 422,
    "calendar.past_changed": 409,
    "calendar.version_conflict": 409,
    "schedule.version_conflict": 409,
    "occurrence.id_not_uuid7": 400,
    "occurrence.target_required": 400,
    "occurrence.not_a_target": 422,
    "occurrence.unknown": 422,
    "occurrence.conflict": 409,
    "excusal.id_not_uuid7": 400,
    "excusal.conflict": 409,
    "excusal.already_decided": 409,
    "excusal.decided_in_future": 422,
    "blob.invalid_name": 400,
    "blob.hash_mismatch": 400,
    "blob.unsupported_type": 415,
    "blob.corrupt_image": 400,
    "blob.too_many_pixels": 400,
    "blob.too_large_inflated": 400,
    "labels.font_missing": 503,
    "delivery.already_delivered": 409,
    "webhook.destination_not_public": 422,
    "webhook.destination_unresolvable": 422,
    "route.tag_unknown": 422,
    "route.tag_retired": 422,
    "route.tag_twice": 422,
    "route.unknown_template": 422,
    "route.version_conflict": 409,
    "route.retired": 409,
    "patrol_schedule.version_conflict": 409,
    "patrol_schedule.person_unknown": 422,
    "patrol_schedule.retired": 409,
    "round.id_not_uuid7": 400,
    "round.conflict": 409,
    "round.id_mismatch": 422,
    "round.schedule_mismatch": 422,
    "round.unknown_window": 422,
    "round.unknown_route_version": 422,
    "round.route_mismatch": 422,
    "round.recorded_in_future": 422,
    "visit.id_not_uuid7": 400,
    "visit.conflict": 409,
    "visit.id_format": 422,
    "visit.id_old_form": 422,
    "visit.id_region": 422,
    "visit.id_birth_date": 422,
    "visit.id_check_digit": 422,
    "visit.no_document_reason": 422,
    "visit.phone_format": 422,
    "visit.phone_landline": 422,
    "visit.plate_format": 422,
    "visit.host_not_member": 422,
    "visit.not_host": 422,
    "visit.site_mismatch": 422,
    "visit.recorded_in_future": 422,
    "visit.not_a_manager": 403,
    "gate_settings.version_conflict": 409,
    "watch.conflict": 409,
    "watch.no_document": 422,
    "pass.id_not_uuid7": 400,
    "pass.conflict": 409,
    "pass.site_mismatch": 422,
    "pass.recorded_in_future": 422,
    "pass.window_invalid": 422,
    "pass.phone_format": 422,
    "pass.not_creator": 403,
    "pass.closed": 409,
    "pickup_card.id_taken": 409,
    "pickup_card.version_conflict": 409,
    "pickup_card.window_invalid": 422,
    "pickup_card.key_twice": 422,
    "pickup_card.phone_format": 422,
    "card.id_not_uuid7": 400,
    "card.conflict": 409,
    "card.recorded_in_future": 422,
    "sync.device_required": 403,
    "sync.device_mismatch": 403,
    "sync.unsupported_protocol": 400,
    "sync.too_many_ops": 413,
    "sync.busy": 503,
    # Refusals of one op inside a push (its answer's `code`; the push itself is 200).
    "sync.invalid_hlc": 422,
    "sync.unknown_type": 422,
    "sync.unknown_version": 422,
    "sync.invalid_body": 422,
    "sync.write_failed": 422,
    "sync.seq_reused": 409,
    "server.not_ready": 503,
    "server.error": 500,
}


class DomainError(Exception):
    """A refusal the caller can act on. `code` must be a key of STATUS."""

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        field: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        current: Any = None,
    ) -> None:
        """`current` is the server's state a conflict was judged against; a device that
        pushed the refused record is sent it."""
        if code not in STATUS:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field
        self.errors = errors
        self.headers = headers or {}
        self.current = current
        self.site_id: Any = None
        """The site the refused record belongs to, when known (for managers' lists)."""

    @property
    def status(self) -> int:
        return STATUS[self.code]


def not_found(what: str) -> DomainError:
    return DomainError("not_found", f"{what} not found")


def forbidden(detail: str = "your role does not allow this") -> DomainError:
    return DomainError("auth.forbidden", detail)


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    code: str
    detail: str
    field: str | None = None
    errors: list[dict[str, Any]] | None = None


def problem_response(error: DomainError) -> Response[Problem]:
    body = Problem(code=error.code, detail=error.detail, field=error.field, errors=error.errors)
    return Response(body, status_code=error.status, headers=error.headers)


_MSGSPEC_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`")
_MISSING_FIELD = re.compile(r"missing required field `(?P<name>[^`]+)`")
_UNKNOWN_FIELD = re.compile(r"unknown field `(?P<name>[^`]+)`")


def _field_from_message(message: str) -> tuple[str, str | None]:
    """msgspec says 'Expected `int`, got `str` - at `$.items[2].name`'; split off the path."""
    match = _MSGSPEC_PATH.search(message)
    if not match:
        return message, None
    path = match.group("path").lstrip(".")
    return message[: match.start()], path or None


def decode_body(body: bytes, type: type[T]) -> T:
    """A request body decoded straight to its struct, for bodies that keep raw parts
    (msgspec.Raw), which Litestar's own decoding cannot; errors read like Litestar's."""
    try:
        return msgspec.json.decode(body, type=type)
    except msgspec.ValidationError as exc:
        message, field = _field_from_message(str(exc))
        named = _UNKNOWN_FIELD.search(message) or _MISSING_FIELD.search(message)
        if named:
            field = ".".join(p for p in (field, named.group("name")) if p)
        raise DomainError("request.invalid", message, field=field) from None
    except msgspec.DecodeError as exc:
        raise DomainError("request.malformed_json", str(exc)) from None
    except (RecursionError, UnicodeDecodeError) as exc:
        raise unreadable_body(exc) from None


def unreadable_body(exc: RecursionError | UnicodeDecodeError) -> DomainError:
    """JSON nested deeper than the decoder goes, or text that is not UTF-8."""
    if isinstance(exc, RecursionError):
        return DomainError("request.malformed_json", "the JSON is nested too deeply")
    return DomainError("request.malformed_json", f"the body is not UTF-8 text: {exc.reason}")


def _validation_problem(exc: ValidationException) -> DomainError:
    extra = exc.extra if isinstance(exc.extra, list) else []
    message = str(exc.detail)
    field: str | None = None
    for item in extra:
        if isinstance(item, dict) and item.get("key") == "data" and item.get("message") == "'data'":
            # Litestar's KeyError (its repr is the message) for a request without the body.
            return DomainError("request.invalid", "a JSON body is required")
        if isinstance(item, dict) and item.get("message"):
            message, field = _field_from_message(str(item["message"]))
            unknown = _UNKNOWN_FIELD.search(message)
            key = item.get("key")
            if unknown:
                field = ".".join(p for p in (field, unknown.group("name")) if p)
            elif field is None and key and key != "data":
                field = str(key)
            break
    if "malformed" in message.lower() or "JSON is malformed" in message:
        return DomainError("request.malformed_json", message, field=field)
    return DomainError("request.invalid", message, field=field)


def handle_domain_error(_: Request, exc: DomainError) -> Response[Problem]:
    return problem_response(exc)


def handle_http_exception(_: Request, exc: HTTPException) -> Response[Problem]:
    if isinstance(exc, ValidationException):
        return problem_response(_validation_problem(exc))
    if isinstance(exc, NotFoundException):
        return problem_response(DomainError("not_found", "no such resource"))
    if isinstance(exc, MethodNotAllowedException):
        return problem_response(DomainError("method_not_allowed", str(exc.detail)))
    if isinstance(exc, PermissionDeniedException):
        return problem_response(DomainError("auth.forbidden", str(exc.detail)))
    if exc.status_code == 413:
        return problem_response(DomainError("request.too_large", "the request body is too large"))
    if exc.status_code == 415:
        return problem_response(DomainError("request.unsupported_media_type", str(exc.detail)))
    if exc.status_code == 401:
        return problem_response(DomainError("auth.required", str(exc.detail)))
    if exc.status_code == 400:
        # Litestar's decoder refuses bodies that are not JSON before validation starts.
        return problem_response(DomainError("request.malformed_json", str(exc.detail)))
    body = Problem(
        code="server.error" if exc.status_code >= 500 else "request.invalid", detail=str(exc.detail)
    )
    return Response(body, status_code=exc.status_code)


def handle_unreadable_body(
    _: Request, exc: RecursionError | UnicodeDecodeError
) -> Response[Problem]:
    # Litestar decodes bodies with msgspec, which raises these two itself for a body too
    # deep or not UTF-8; neither can come from the server's own code paths.
    return problem_response(unreadable_body(exc))


def handle_unexpected(request: Request, exc: Exception) -> Response[Problem]:
    logging.getLogger("roundkeeper").exception(
        "unhandled error on %s %s", request.method, request.url.path, exc_info=exc
    )
    body = Problem(code="server.error", detail="internal error; the server log has the details")
    return Response(body, status_code=HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_exception,
    RecursionError: handle_unreadable_body,
    UnicodeDecodeError: handle_unreadable_body,
    Exception: handle_unexpected,
}
