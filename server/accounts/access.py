"""Who is calling, and what their memberships let them do.

Every domain query is scoped by a Caller. A site the caller does not belong to is
answered as "not found", never "forbidden": a foreign id must not be confirmed to exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import msgspec

from server.errors import DomainError, forbidden, not_found
from server.feeds import Audience, Scope

ROLES = ("admin", "manager", "inspector", "guard", "gatekeeper", "maintainer", "auditor")
EVERYONE = frozenset(ROLES)
MANAGERS = frozenset({"admin", "manager"})
ADMINS = frozenset({"admin"})
GATE_STAFF = frozenset({"gatekeeper"})

AUDIENCE_ROLES: dict[Audience, frozenset[str]] = {
    Audience.SITE: EVERYONE,
    Audience.GATE: GATE_STAFF | MANAGERS,
}
"""Who receives each audience's records (PROTOCOL.md R45): visitor records and ID data
reach the gate and the site's managers, never an inspector's or an auditor's phone."""


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    user_id: uuid.UUID
    organization_id: uuid.UUID
    username: str
    display_name: str
    roles: dict[uuid.UUID, str]
    """Role per site, expired memberships already left out."""
    device_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None

    def site_ids(self, allowed: Iterable[str] = EVERYONE) -> list[uuid.UUID]:
        allowed = frozenset(allowed)
        return [site for site, role in self.roles.items() if role in allowed]

    def scopes(self, audiences: Iterable[Audience] = tuple(Audience)) -> list[Scope]:
        """The scopes of these audiences the caller's roles let them receive (R45)."""
        return [
            Scope(site, audience)
            for site, role in self.roles.items()
            for audience in audiences
            if role in AUDIENCE_ROLES[audience]
        ]

    def role_at(self, site_id: uuid.UUID) -> str | None:
        return self.roles.get(site_id)

    def require(self, site_id: uuid.UUID, allowed: Iterable[str], what: str = "site") -> str:
        """The caller's role at `site_id`, or a refusal: 404 for a stranger, 403 for a member
        whose role is not in `allowed`."""
        role = self.roles.get(site_id)
        if role is None:
            raise not_found(what)
        if role not in frozenset(allowed):
            raise forbidden(f"the {role} role cannot do this")
        return role


def check_role(role: str) -> str:
    if role not in ROLES:
        raise DomainError(
            "request.invalid", f"unknown role {role!r}; one of {', '.join(ROLES)}", field="role"
        )
    return role
