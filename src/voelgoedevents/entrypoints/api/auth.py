"""Who is calling: the organisation always comes from the API key, never from the request."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from voelgoedevents.bootstrap import Services
from voelgoedevents.domain.access import Role, allows
from voelgoedevents.domain.errors import Forbidden, Unauthenticated
from voelgoedevents.workflows.access import Authenticator, Caller

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer vg_...`")


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(services_of)]


async def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    if credentials is None:
        raise Unauthenticated("send an API key: Authorization: Bearer vg_...")
    authenticator: Authenticator = request.app.state.authenticator
    caller = await authenticator.caller(credentials.credentials)
    if caller is None:
        raise Unauthenticated("unknown or revoked API key")
    request.state.caller = caller
    await request.app.state.rate_limiter.check(caller)
    return caller


@dataclass(frozen=True)
class Member:
    """A caller acting inside its organisation."""

    caller: Caller
    organization_id: uuid.UUID

    @property
    def actor(self) -> str:
        return f"key:{self.caller.name}"


def member_with(needed: Role) -> Callable[[Caller], Awaitable[Member]]:
    async def dependency(caller: Annotated[Caller, Depends(current_caller)]) -> Member:
        if caller.organization_id is None:
            raise Forbidden("platform keys manage organisations; use an organisation's key")
        if not allows(caller.role, needed):
            raise Forbidden(f"this needs the {needed.value} role (the key is {caller.role.value})")
        return Member(caller, caller.organization_id)

    return dependency


async def platform(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    if caller.role is not Role.PLATFORM:
        raise Forbidden("this needs a platform key")
    return caller


Reader = Annotated[Member, Depends(member_with(Role.READ))]
Seller = Annotated[Member, Depends(member_with(Role.SALES))]
Admin = Annotated[Member, Depends(member_with(Role.ADMIN))]
Platform = Annotated[Caller, Depends(platform)]
AnyCaller = Annotated[Caller, Depends(current_caller)]
