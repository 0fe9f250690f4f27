"""The registries' admin API: a register's owner manages who may use it (until the members block does)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path, Response
from pydantic import BaseModel, Field

from govhub.kit.routing import api_router
from govhub.registries.dependencies import CATALOGUE_PROBLEMS, CallerDep, Registries

router = api_router(
    prefix="/registers/{name}/grants", tags=["registries: admin"], responses=CATALOGUE_PROBLEMS
)
Grantee = Annotated[str, Path(description="INSTANCE/CLASS/MEMBER, or .../SUBSYSTEM for one system.")]


class GrantRequest(BaseModel):
    client: str = Field(
        description="INSTANCE/CLASS/MEMBER (every subsystem) or INSTANCE/CLASS/MEMBER/SUBSYSTEM."
    )


class Grant(BaseModel):
    client: str
    created_at: datetime


@router.get("", summary="List grants")
async def list_grants(name: str, registries: Registries, caller: CallerDep) -> list[Grant]:
    return [Grant(client=g.client, created_at=g.created_at) for g in await registries.grants(name, by=caller)]


@router.post("", summary="Grant access", status_code=201)
async def add_grant(name: str, body: GrantRequest, registries: Registries, caller: CallerDep) -> GrantRequest:
    await registries.grant(name, body.client, by=caller)
    return body


# Not `{client}`: the caller dependency already reads a parameter of that name, from a header.
@router.delete("/{grantee:path}", summary="Revoke access", status_code=204)
async def revoke_grant(name: str, grantee: Grantee, registries: Registries, caller: CallerDep) -> Response:
    await registries.revoke(name, grantee, by=caller)
    return Response(status_code=204)
