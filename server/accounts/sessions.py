"""Browser sessions: login with a password, an HttpOnly cookie, and a CSRF token.

Session tokens are random and stored only as their SHA-256; the CSRF token is kept
with the session and must come back in a header on every unsafe request.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec

from server import clock
from server.accounts.access import Caller
from server.accounts.passwords import dummy_verify, verify_password
from server.accounts.tables import LoginFailure, User, UserSession
from server.accounts.users import load_caller
from server.clock import new_id
from server.db import transaction
from server.errors import DomainError
from server.settings import Settings

ADDRESS_SLACK = 4


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    token: str
    """Goes to the browser only, in the HttpOnly cookie; the database keeps its hash."""
    csrf_token: str
    expires_at: datetime
    caller: Caller


async def login(settings: Settings, username: str, password: str, address: str) -> NewSession:
    """Check a password and open a session.

    Two limits, both over the last `login_lockout_minutes`, both answered 429 with
    Retry-After:

    - a username with `login_max_failures` failures is locked, whatever the password (the
      same for a username that does not exist, which must look like one that does);
    - an address with ADDRESS_SLACK times as many failures *for usernames that do not
      exist* is guessing names: each of its failed logins is answered 429 instead of 401.
      Failures for real usernames never count there, and a right password for a username
      that is not locked always logs in: a whole school behind one NAT address can never
      be locked out by someone typing made-up names from it. A wrong password for a real
      username from such an address is answered 429 as well (and counts for that
      username), so the answer never tells which usernames exist. Guessing passwords of
      real usernames is held back by the per-username lock alone."""
    now = clock.utcnow()
    window_start = now - timedelta(minutes=settings.login_lockout_minutes)
    retry = {"Retry-After": str(settings.login_lockout_minutes * 60)}
    failures = (
        await LoginFailure.count()
        .where((LoginFailure.username == username) & (LoginFailure.at > window_start))
        .run()
    )
    if failures >= settings.login_max_failures:
        raise DomainError(
            "auth.rate_limited",
            f"too many failed logins; try again in {settings.login_lockout_minutes} minutes",
            headers=retry,
        )
    user = await User.select().where(User.username == username).first().run()
    if user is None:
        dummy_verify(password, settings.password_hashing)
        ok = False
    else:
        ok = user["active"] and verify_password(
            user["password_hash"], password, settings.password_hashing
        )
    if user is None or not ok:
        guessing = address and await _guessed_names(address[:64], window_start) >= (
            settings.login_max_failures * ADDRESS_SLACK
        )
        await LoginFailure.insert(
            LoginFailure(id=new_id(), username=username, address=address[:64], at=now)
        ).run()
        if guessing:
            raise DomainError(
                "auth.rate_limited",
                "wrong username or password, and too many usernames that do not exist were "
                "tried from this address: check both and try again later",
                headers=retry,
            )
        raise DomainError("auth.invalid_credentials", "wrong username or password")
    caller = await load_caller(user["id"])
    assert caller is not None
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=settings.session_days)
    session_id = new_id()
    async with transaction():
        await UserSession.insert(
            UserSession(
                id=session_id,
                user=user["id"],
                token_hash=digest(token),
                csrf_token=csrf_token,
                created_at=now,
                expires_at=expires_at,
            )
        ).run()
        await LoginFailure.delete().where(LoginFailure.username == username).run()
    caller = msgspec.structs.replace(caller, session_id=session_id)
    return NewSession(token, csrf_token, expires_at, caller)


async def locked_out(settings: Settings, usernames: list[str]) -> set[str]:
    """Which of `usernames` cannot log in now: as many failures as `login` locks at, within
    its window."""
    if not usernames:
        return set()
    since = clock.utcnow() - timedelta(minutes=settings.login_lockout_minutes)
    rows = (
        await LoginFailure.select(LoginFailure.username)
        .where(LoginFailure.username.is_in(usernames) & (LoginFailure.at > since))
        .run()
    )
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["username"]] = counts.get(row["username"], 0) + 1
    return {name for name, count in counts.items() if count >= settings.login_max_failures}


async def lift_lock(username: str) -> None:
    """Forget a username's failed logins: its lock, if any, is lifted at once."""
    await LoginFailure.delete().where(LoginFailure.username == username).run()


async def _guessed_names(address: str, since: datetime) -> int:
    """Failed logins from `address` for usernames that do not exist."""
    return await LoginFailure.count().where(
        (LoginFailure.address == address)
        & (LoginFailure.at > since)
        & LoginFailure.username.not_in(User.select(User.username))
    )


async def resolve_session(token: str) -> tuple[Caller, str]:
    """The caller and CSRF token for a session cookie."""
    row = await UserSession.select().where(UserSession.token_hash == digest(token)).first().run()
    if row is None:
        raise DomainError("auth.required", "not logged in")
    if row["expires_at"] <= clock.utcnow():
        raise DomainError("auth.session_expired", "the session has expired; log in again")
    caller = await load_caller(row["user"], session_id=row["id"])
    if caller is None:
        raise DomainError("auth.required", "this account is deactivated")
    return caller, row["csrf_token"]


async def logout(session_id: uuid.UUID) -> None:
    await UserSession.delete().where(UserSession.id == session_id).run()
