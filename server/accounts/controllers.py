from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.params import Body, Parameter

from server.accounts import people, sites, tokens, users
from server.accounts.auth import CSRF_COOKIE, SESSION_COOKIE, client_address
from server.accounts.sessions import login, logout
from server.accounts.wire import (
    LoginRequest,
    LoginResponse,
    Me,
    MemberCreate,
    MemberOut,
    MemberUpdate,
    SiteCreate,
    SiteOut,
    SiteUpdate,
    TokenCreate,
    TokenCreated,
    TokenOut,
)
from server.deps import AppSettings, CurrentCaller

SiteId = Annotated[uuid.UUID, Parameter(description="site id")]
UserId = Annotated[uuid.UUID, Parameter(description="the person's user id")]


class AuthController(Controller):
    path = "/api/auth"
    tags = ["accounts"]

    @post("/login", status_code=200)
    async def login(
        self, request: Request, settings: AppSettings, data: Annotated[LoginRequest, Body()]
    ) -> Response[LoginResponse]:
        session = await login(
            settings, data.username, data.password, client_address(request, settings)
        )
        me = Me(
            id=session.caller.user_id,
            username=session.caller.username,
            display_name=session.caller.display_name,
            organization_id=session.caller.organization_id,
            sites=await users.site_roles(session.caller),
        )
        max_age = settings.session_days * 86400
        secure = settings.cookie_secure
        cookies = [
            Cookie(
                key=SESSION_COOKIE,
                value=session.token,
                max_age=max_age,
                httponly=True,
                secure=secure,
                samesite="lax",
                path="/",
            ),
            Cookie(
                key=CSRF_COOKIE,
                value=session.csrf_token,
                max_age=max_age,
                httponly=False,
                secure=secure,
                samesite="strict",
                path="/",
            ),
        ]
        body = LoginResponse(user=me, csrf_token=session.csrf_token, expires_at=session.expires_at)
        return Response(body, status_code=200, cookies=cookies)

    @post("/logout", status_code=204)
    async def logout(self, caller: CurrentCaller) -> Response[None]:
        if caller.session_id is not None:
            await logout(caller.session_id)
        return Response(
            None,
            status_code=204,
            cookies=[
                Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/", httponly=True),
                Cookie(key=CSRF_COOKIE, value="", max_age=0, path="/"),
            ],
        )


class MeController(Controller):
    path = "/api/me"
    tags = ["accounts"]

    @get("/")
    async def me(self, caller: CurrentCaller) -> Me:
        return Me(
            id=caller.user_id,
            username=caller.username,
            display_name=caller.display_name,
            organization_id=caller.organization_id,
            sites=await users.site_roles(caller),
            device_id=caller.device_id,
        )


class SiteController(Controller):
    path = "/api/sites"
    tags = ["accounts"]

    @get("/")
    async def list_sites(self, caller: CurrentCaller) -> list[SiteOut]:
        return await sites.list_sites(caller)

    @post("/")
    async def add_site(self, caller: CurrentCaller, data: Annotated[SiteCreate, Body()]) -> SiteOut:
        return await sites.add_site(caller, data)

    @get("/{site_id:uuid}")
    async def get_site(self, caller: CurrentCaller, site_id: SiteId) -> SiteOut:
        return await sites.get_site(caller, site_id)

    @patch("/{site_id:uuid}")
    async def update_site(
        self, caller: CurrentCaller, site_id: SiteId, data: Annotated[SiteUpdate, Body()]
    ) -> SiteOut:
        return await sites.update_site(caller, site_id, data)

    @get("/{site_id:uuid}/members")
    async def list_members(self, caller: CurrentCaller, site_id: SiteId) -> list[MemberOut]:
        return await users.list_members(caller, site_id)

    @get("/{site_id:uuid}/people")
    async def list_people(
        self, caller: CurrentCaller, settings: AppSettings, site_id: SiteId
    ) -> list[MemberOut]:
        """The members with their phones and login locks: the console's people page."""
        return await people.list_people(caller, site_id, settings)

    @patch("/{site_id:uuid}/members/{user_id:uuid}")
    async def update_member(
        self,
        caller: CurrentCaller,
        site_id: SiteId,
        user_id: UserId,
        data: Annotated[MemberUpdate, Body()],
    ) -> MemberOut:
        return await people.update_member(caller, site_id, user_id, data)

    @post("/{site_id:uuid}/members/{user_id:uuid}/unlock", status_code=200)
    async def unlock_member(
        self, caller: CurrentCaller, site_id: SiteId, user_id: UserId
    ) -> MemberOut:
        return await people.unlock(caller, site_id, user_id)

    @post("/{site_id:uuid}/members")
    async def add_member(
        self,
        caller: CurrentCaller,
        settings: AppSettings,
        site_id: SiteId,
        data: Annotated[MemberCreate, Body()],
    ) -> MemberOut:
        return await users.add_member(caller, site_id, data, settings.password_hashing)


class TokenController(Controller):
    path = "/api/tokens"
    tags = ["accounts"]

    @get("/")
    async def list_tokens(self, caller: CurrentCaller) -> list[TokenOut]:
        return await tokens.list_tokens(caller)

    @post("/")
    async def create_token(
        self, caller: CurrentCaller, data: Annotated[TokenCreate, Body()]
    ) -> TokenCreated:
        return await tokens.create_token(caller.user_id, data.device_name)

    @delete("/{token_id:uuid}", status_code=200)
    async def revoke_token(
        self, caller: CurrentCaller, token_id: Annotated[uuid.UUID, Parameter()]
    ) -> TokenOut:
        return await tokens.revoke_token(caller, token_id)
