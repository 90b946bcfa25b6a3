"""The OpenAPI description, corrected once after Litestar generates it, so that a client
generated from `/schema/openapi.json` works against the server as it is.

Litestar documents every error as its own ValidationException body and writes unions in a
way that a strict validator reads as "no value matches" or "every value does". Nothing here
is listed by hand: each operation's error answers are derived from its route (a path that
names a record can be 404, an unsafe method can be refused for its body) and from the
problem codes its handler can reach (a 409 is documented where a 409 code is raised).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Collection, Iterator
from dataclasses import fields
from functools import cache
from types import ModuleType
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    Components,
    Discriminator,
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.routes import HTTPRoute

from server.accounts.auth import CSRF_HEADER, SESSION_COOKIE
from server.errors import STATUS

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PROBLEM = Reference(ref="#/components/schemas/Problem")
AUTHENTICATED: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]
TITLES = {
    400: "The request is malformed or invalid",
    401: "Not authenticated",
    403: "Refused to this caller",
    404: "No such record, or one of a site the caller does not belong to",
    409: "Conflicts with the server's state",
    413: "The request body is too large",
    415: "The body's type is not accepted",
    422: "Well-formed, but the domain refuses it",
    429: "Too many attempts; try again later",
    503: "Not available now; try again later",
}
GENERIC_CODES = {
    "request.invalid": 400,
    "request.malformed_json": 400,
    "not_found": 404,
    "request.too_large": 413,
    "request.unsupported_media_type": 415,
}
"""What any operation answering one of these statuses may say, whatever its handler."""
_OWN_CODE = ("server.",)
"""Functions whose source is read for problem codes: the server's own, not libraries'."""


def describe(app: Litestar, *, file_body_routes: Collection[tuple[str, str]]) -> None:
    """Correct `app.openapi_schema` in place, before the first request serves it.
    `file_body_routes` are the unsafe routes whose body is a raw file, not JSON."""
    openapi = app.openapi_schema
    components = openapi.components if openapi.components else Components()
    openapi.components = components
    components.schemas = {**(components.schemas or {}), "Problem": _problem_schema()}
    components.security_schemes = {
        "bearer": SecurityScheme(type="http", scheme="bearer", description="an rk_... token"),
        "session": SecurityScheme(
            type="apiKey",
            name=SESSION_COOKIE,
            security_scheme_in="cookie",
            description=f"the cookie POST /api/auth/login sets; unsafe methods also need "
            f"the {CSRF_HEADER} header",
        ),
    }
    operations = []
    for path, method, handler in _operations(app):
        item = (openapi.paths or {}).get(path)
        operation: Operation | None = getattr(item, method.lower(), None)
        if operation is not None:
            is_file = (method, path) in file_body_routes
            _correct_operation(operation, path, method, handler, is_file=is_file)
            operations.append(operation)
    for node in [*operations, *components.schemas.values()]:
        _make_unions_exclusive(node, components.schemas)


def _correct_operation(
    operation: Operation, path: str, method: str, handler: HTTPRouteHandler, *, is_file: bool
) -> None:
    if is_file and operation.request_body is None:
        operation.request_body = RequestBody(
            content={
                "application/octet-stream": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
                )
            },
            required=True,
            description="the file itself, as the raw body",
        )
    _document_other_successes(operation, handler)
    codes = set(_reachable_codes(handler.fn))
    caller = handler.resolve_dependencies().get("caller")
    if caller is not None and "caller" in handler.parsed_fn_signature.parameters:
        codes.update(_reachable_codes(caller.dependency))
        if method not in UNSAFE_METHODS:
            codes.discard("auth.csrf_failed")  # asked of a session's unsafe requests only
        operation.security = AUTHENTICATED
    statuses = _error_statuses(path, method, operation, codes, is_file=is_file)
    codes.update(code for code, status in GENERIC_CODES.items() if status in statuses)
    if method not in UNSAFE_METHODS:
        codes.discard("request.malformed_json")  # no body to read
    kept = {
        status: answer
        for status, answer in (operation.responses or {}).items()
        if not status.startswith(("4", "5"))
    }
    operation.responses = kept | {
        str(status): _problem_response(status, codes) for status in sorted(statuses)
    }


def _operations(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            for method in handler.http_methods:
                yield route.path_format or "/", method, handler


def _document_other_successes(operation: Operation, handler: HTTPRouteHandler) -> None:
    """A handler that answers `Response(..., status_code=201 if created else 200)` has
    two successes; Litestar documents the decorator's only. The other gets the same body."""
    responses = operation.responses or {}
    documented = next((r for s, r in responses.items() if s.startswith("2")), None)
    if not isinstance(documented, OpenAPIResponse):
        return
    for status in sorted(_written_statuses(handler.fn)):
        if 200 <= status < 300 and str(status) not in responses:
            again = "the same request again: what the first one made"
            responses[str(status)] = OpenAPIResponse(
                description="created" if status == 201 else again,
                content=documented.content,
                headers=documented.headers,
            )
    operation.responses = responses


def _written_statuses(fn: Callable[..., Any]) -> set[int]:
    """The literal statuses in `status_code=` arguments of `fn`'s source."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(fn))))
    except (OSError, TypeError, SyntaxError):
        return set()
    return {
        constant.value
        for keyword in ast.walk(tree)
        if isinstance(keyword, ast.keyword) and keyword.arg == "status_code"
        for constant in ast.walk(keyword.value)
        if isinstance(constant, ast.Constant) and isinstance(constant.value, int)
    }


def _error_statuses(
    path: str, method: str, operation: Operation, codes: set[str], *, is_file: bool
) -> set[int]:
    statuses = {STATUS[code] for code in codes if 400 <= STATUS[code] < 500 or STATUS[code] == 503}
    if "{" in path or any(getattr(p, "name", "") == "site_id" for p in operation.parameters or ()):
        statuses.add(404)  # a record, or a site the caller may not belong to
    if operation.parameters or operation.request_body or method in UNSAFE_METHODS:
        statuses.add(400)
    if method in UNSAFE_METHODS and path.startswith("/api/"):
        statuses.add(413)  # every body has a limit, JSON or file
        if not is_file:
            statuses.add(415)  # JSON bodies only
    return statuses


def _problem_schema() -> Schema:
    return Schema(
        type=OpenAPIType.OBJECT,
        title="Problem",
        description="Every refusal: `code` is stable (server/errors.py lists them all).",
        required=["code", "detail"],
        properties={
            "code": Schema(type=OpenAPIType.STRING, examples=["asset.id_taken"]),
            "detail": Schema(type=OpenAPIType.STRING, description="for a person to read"),
            "field": Schema(
                one_of=[Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)],
                description="the body's field at fault, e.g. `items[2].name`",
            ),
            "errors": Schema(
                type=OpenAPIType.ARRAY,
                items=Schema(type=OpenAPIType.OBJECT),
                description="one problem per row or item, for a refusal of many",
            ),
        },
    )


def _problem_response(status: int, codes: set[str]) -> OpenAPIResponse:
    named = sorted(code for code in codes if STATUS[code] == status)
    description = TITLES.get(status, "Refused")
    if named:
        description += ": " + ", ".join(f"`{code}`" for code in named)
    return OpenAPIResponse(
        description=description,
        content={"application/json": OpenAPIMediaType(schema=PROBLEM)},
    )


@cache
def _reachable_codes(fn: Callable[..., Any]) -> frozenset[str]:
    """The problem codes written in `fn` and in the server's functions it calls, however
    deep: what the handler can answer. A call is followed when its target can be known
    from the source: a function or class of a module, a method of `self`, of an
    annotated parameter (`caller: Caller`) or of a module-level instance."""
    codes: set[str] = set()
    seen: set[Callable[..., Any]] = set()
    pending = [inspect.unwrap(fn)]
    while pending:
        function = pending.pop()
        if function not in seen:
            seen.add(function)
            written, called = _read(function)
            codes.update(written)
            pending.extend(called)
    return frozenset(codes)


@cache
def _read(function: Callable[..., Any]) -> tuple[frozenset[str], tuple[Callable[..., Any], ...]]:
    """The codes written in one function and the server's functions it names."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return frozenset(), ()
    names: dict[str, Any] = dict(getattr(function, "__globals__", {}))
    local: dict[str, Any] = {}
    owner = names.get(function.__qualname__.split(".")[0])
    if isinstance(owner, type):
        local["self"] = local["cls"] = owner
    for arg in ast.walk(tree):
        if isinstance(arg, ast.arg) and isinstance(arg.annotation, ast.Name | ast.Constant):
            annotation = arg.annotation
            name = annotation.id if isinstance(annotation, ast.Name) else str(annotation.value)
            if isinstance(names.get(name), type):
                local[arg.arg] = names[name]
    codes: set[str] = set()
    called: list[Callable[..., Any] | None] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in STATUS:
            codes.add(node.value)
        elif isinstance(node, ast.Name) and node.id not in local:
            value = names.get(node.id)
            if isinstance(value, str) and value in STATUS:
                codes.add(value)
            elif isinstance(value, type):  # a constructor call
                called.extend(_own(vars(value).get(m)) for m in ("__init__", "__post_init__"))
            else:
                called.append(_own(value))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            base = local.get(node.value.id, names.get(node.value.id))
            value = getattr(base, node.attr, None) if base is not None else None
            if isinstance(value, str) and value in STATUS:
                codes.add(value)
            elif not isinstance(base, ModuleType | type) and _is_own(type(base)):
                # A module-level instance: what its class sets is what its base uses.
                for member in vars(type(base)).values():
                    if isinstance(member, str) and member in STATUS:
                        codes.add(member)
                    called.append(_own(member))
            called.append(_own(value))
    return frozenset(codes), tuple(f for f in called if f is not None)


def _own(value: Any) -> Callable[..., Any] | None:
    """`value` as one of the server's own functions, if it is one."""
    value = getattr(value, "__func__", value)
    if inspect.isfunction(value) and _is_own(value):
        return inspect.unwrap(value)
    return None


def _is_own(thing: Any) -> bool:
    return str(getattr(thing, "__module__", "")).startswith(_OWN_CODE)


def _make_unions_exclusive(node: Any, components: dict[str, Schema]) -> None:
    """Make every `oneOf` below `node` match exactly one of its members, as it must."""
    for child in _children(node):
        _make_unions_exclusive(child, components)
    if not isinstance(node, Schema) or not node.one_of:
        return
    members = list(node.one_of)
    # Litestar writes `tuple[X, ...]` as `oneOf: [X, {}]`, which every X matches twice.
    if len(members) > 1:
        members = [m for m in members if not _is_empty(m)]
    # A whole number is both an integer and a number: `int | float` is just a number.
    if any(_type_of(m) == "number" for m in members):
        members = [m for m in members if _type_of(m) != "integer"]
    node.one_of = members
    _add_discriminator(node, components)


def _add_discriminator(node: Schema, components: dict[str, Schema]) -> None:
    """A msgspec tagged union (each struct has its `tag_field` as a constant) gets the
    discriminator that lets a client pick the member without trying each one; a null
    alternative stays beside the tagged union, as a discriminator takes only objects."""
    members = node.one_of or []
    refs = [m for m in members if isinstance(m, Reference)]
    others = [m for m in members if not isinstance(m, Reference)]
    if len(refs) < 2 or any(_type_of(m) != "null" for m in others):
        return
    tags: dict[str, str] | None = None
    property_name = ""
    for candidate in _constant_properties(refs[0], components):
        mapping = {}
        for ref in refs:
            schema = components.get(ref.ref.rpartition("/")[2]) or Schema()
            prop = (schema.properties or {}).get(candidate)
            required = schema.required or []
            if not isinstance(prop, Schema) or prop.const is None or candidate not in required:
                break
            mapping[str(prop.const)] = ref.ref
        else:
            if len(mapping) == len(refs):
                tags, property_name = mapping, candidate
                break
    if tags is None:
        return
    tagged = Schema(
        one_of=list(refs), discriminator=Discriminator(property_name=property_name, mapping=tags)
    )
    if others:
        node.one_of = [tagged, *others]
    else:
        node.one_of = tagged.one_of
        node.discriminator = tagged.discriminator


def _constant_properties(ref: Reference, components: dict[str, Schema]) -> list[str]:
    schema = components.get(ref.ref.rpartition("/")[2])
    if schema is None:
        return []
    return [
        name
        for name, prop in (schema.properties or {}).items()
        if isinstance(prop, Schema) and prop.const is not None
    ]


def _is_empty(member: Schema | Reference) -> bool:
    return isinstance(member, Schema) and member == Schema()


def _type_of(member: Schema | Reference) -> str | None:
    if isinstance(member, Schema) and isinstance(member.type, OpenAPIType):
        return member.type.value
    return None


def _children(node: Any) -> Iterator[Any]:
    """The spec objects directly inside `node` (schemas, bodies, responses, parameters)."""
    if isinstance(node, list | tuple):
        yield from node
        return
    if isinstance(node, dict):
        yield from node.values()
        return
    if not hasattr(node, "__dataclass_fields__"):
        return
    for field in fields(node):
        value = getattr(node, field.name)
        if value is not None and not isinstance(value, str | int | float | bool):
            yield value
