"""The OpenAPI description at /schema/openapi.json says what the server does, so a client
generated from it works: every refusal is a documented Problem, every `oneOf` picks one
member, and Schemathesis, sending what the description allows (and what it does not) to
the real server, finds no server error and no answer the description does not promise.

`make fuzz` runs the same check longer: ROUNDKEEPER_FUZZ_EXAMPLES examples an operation,
random rather than the suite's fixed seed.
"""

from __future__ import annotations

import os
from typing import Any

import anyio
import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import make_asset, make_location, make_person, make_school, make_tag

FUZZ_EXAMPLES = int(os.environ.get("ROUNDKEEPER_FUZZ_EXAMPLES", "0"))
EXAMPLES = FUZZ_EXAMPLES or 6
"""Examples an operation and a generation mode: the suite's budget keeps each database's
run well under a minute; `make fuzz` raises it."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXCLUDED: dict[tuple[str, str], str] = {
    ("POST", "/api/auth/logout"): "would end the admin's session that the run uses",
    ("DELETE", "/api/tokens/{token_id}"): "would revoke the admin's token that the run uses",
}
"""Operations the run does not send, each with why; conformance there is checked by the
description's own tests below and by the domains' tests."""
UNSAFE = {"post", "put", "patch", "delete"}


async def _schema(api: Any) -> dict[str, Any]:
    response = await api.get("/schema/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]


async def test_every_refusal_is_documented_as_a_problem(api):
    schema = await _schema(api)
    problem = schema["components"]["schemas"]["Problem"]
    assert sorted(problem["required"]) == ["code", "detail"]
    assert set(problem["properties"]) == {"code", "detail", "field", "errors"}
    public = {("post", "/api/auth/login")}
    for path, method, operation in _operations(schema):
        errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
        for status, answer in errors.items():
            body = answer["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Problem"}, (method, path, status)
        if (method, path) not in public:
            assert "401" in errors and operation["security"], (method, path)
        if "{" in path:
            assert "404" in errors, (method, path)
        if method in UNSAFE:
            assert {"400", "413"} <= set(errors), (method, path)
    login = schema["paths"]["/api/auth/login"]["post"]["responses"]
    assert "429" in login and "401" in login


async def test_each_status_lists_the_codes_its_handler_can_raise(api):
    schema = await _schema(api)
    location = schema["paths"]["/api/locations/{location_id}"]["patch"]["responses"]
    assert "`location.version_conflict`" in location["409"]["description"]
    inspections = schema["paths"]["/api/inspections"]["post"]["responses"]
    assert "`inspection.invalid_answers`" in inspections["422"]["description"]
    assert "`inspection.conflict`" in inspections["409"]["description"]
    assert "409" not in schema["paths"]["/api/sites"]["post"]["responses"]


def _one_of_unions(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        if "oneOf" in node:
            found.append(node)
        for value in node.values():
            found += _one_of_unions(value)
    elif isinstance(node, list):
        for value in node:
            found += _one_of_unions(value)
    return found


async def test_every_one_of_matches_exactly_one_member(api):
    schema = await _schema(api)
    components = schema["components"]["schemas"]
    unions = _one_of_unions(schema)
    assert unions
    for union in unions:
        members = union["oneOf"]
        assert {} not in members or len(members) == 1, union  # {} matches every value
        types = [m.get("type") for m in members if "type" in m]
        assert len(types) == len(set(types)), union  # two strings: which one?
        assert not {"integer", "number"} <= set(types), union  # 1 is both
        refs = [m["$ref"] for m in members if "$ref" in m]
        if len(refs) > 1:
            assert not types or types == ["null"], union
            tag = union["discriminator"]["propertyName"]
            mapping = union["discriminator"]["mapping"]
            assert sorted(mapping.values()) == sorted(refs), union
            for value, ref in mapping.items():
                member = components[ref.rpartition("/")[2]]
                assert member["properties"][tag]["const"] == value
                assert tag in member["required"]
        nested = [m for m in members if "oneOf" in m]
        assert all(m.get("discriminator") for m in nested), union


async def test_login_is_documented_as_it_answers(api):
    schema = await _schema(api)
    documented = schema["paths"]["/api/auth/login"]["post"]["responses"]
    assert [s for s in documented if s.startswith("2")] == ["200"]
    school = await make_school()
    admin = await make_person(school)
    response = await api.post(
        "/api/auth/login", json={"username": admin.username, "password": "correct horse battery"}
    )
    assert response.status_code == 200


async def test_an_idempotent_create_documents_both_of_its_answers(api):
    schema = await _schema(api)
    for path, method in [
        ("/api/inspections", "post"),
        ("/api/reports", "post"),
        ("/api/blobs/{sha256}", "put"),
    ]:
        responses = schema["paths"][path][method]["responses"]
        assert {"200", "201"} <= set(responses), path
        assert responses["200"]["content"] == responses["201"]["content"], path


async def test_an_empty_json_body_is_a_clear_problem(api):
    school = await make_school()
    admin = await make_person(school)
    response = await api.post(
        "/api/locations", headers={**admin.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"code": "request.invalid", "detail": "a JSON body is required"}


async def test_the_server_answers_as_its_openapi_description_says(api, clean):
    """Schemathesis against the real server, as the school's admin, with the ids of real
    records in place of generated ones half of the time (a random id is mostly a 404)."""
    raw = await _schema(api)
    school = await make_school()
    admin = await make_person(school)
    location = await make_location(admin, school)
    asset = await make_asset(admin, school, location=location)
    tag = await make_tag(admin, asset=asset)
    known = {
        "site_id": str(school.site_id),
        "location_id": str(location),
        "asset_id": str(asset),
        "code": tag,
    }
    failures = await anyio.to_thread.run_sync(_run, raw, clean.url, admin.headers, known)
    assert not failures, f"{len(failures)} operations fail:\n\n" + "\n\n".join(failures)


def _run(
    raw: dict[str, Any], base_url: str, headers: dict[str, str], known: dict[str, str]
) -> list[str]:
    """Every operation in both generation modes; the failures, each with its case."""
    schema = schemathesis.openapi.from_dict(raw)
    failures = []
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) in EXCLUDED:
                continue
            for mode in (
                schemathesis.GenerationMode.POSITIVE,
                schemathesis.GenerationMode.NEGATIVE,
            ):
                try:
                    _check_operation(operation, mode, session, base_url, headers, known)
                except hypothesis.errors.Unsatisfiable:
                    continue  # nothing in the operation can be sent wrong (GET /api/me)
                except (Exception, BaseExceptionGroup) as exc:  # schemathesis's FailureGroup
                    failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {exc}")
    return failures


def _check_operation(
    operation: Any,
    mode: schemathesis.GenerationMode,
    session: requests.Session,
    base_url: str,
    headers: dict[str, str],
    known: dict[str, str],
) -> None:
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not FUZZ_EXAMPLES,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the case is printed whole
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), real=st.booleans())
    def check(case: schemathesis.Case, real: bool) -> None:
        if real:
            for name in (case.path_parameters or {}).keys() & known.keys():
                case.path_parameters[name] = known[name]
            if case.query and "site_id" in case.query:
                case.query["site_id"] = known["site_id"]
            if isinstance(case.body, dict) and "site_id" in case.body:
                case.body["site_id"] = known["site_id"]
        # A failure says what was sent, as a curl command.
        case.call_and_validate(base_url=base_url, session=session, headers=headers, checks=CHECKS)

    check()
