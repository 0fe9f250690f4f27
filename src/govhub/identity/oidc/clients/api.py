"""The relying-party admin API: register, list, read and disable clients. Callers hold an access token
with the `govhub:identity-admin` scope from the `client_credentials` grant (the first such client is made
with `govhub identity client create`). Errors in the token are RFC 6750 challenges; errors in the
registration are problem details naming each wrong field."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Request

from govhub.dependencies import DbSession
from govhub.identity.oidc.clients import service as registry
from govhub.identity.oidc.clients.schemas import ClientCreate, ClientView, CreatedClient
from govhub.identity.oidc.clients.service import register_client
from govhub.identity.oidc.provider import provider_of
from govhub.identity.oidc.tokens.access import IdentityAdmin
from govhub.kit.errors import NotFound
from govhub.kit.problems import PROBLEM_JSON
from govhub.kit.routing import api_router

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid access token (RFC 6750 challenge in WWW-Authenticate)."},
    403: {"description": "The token lacks the govhub:identity-admin scope."},
    404: {"description": "No such client.", "content": {PROBLEM_JSON: {}}},
    409: {"description": "A client with that id exists.", "content": {PROBLEM_JSON: {}}},
    422: {
        "description": "The registration is invalid; `errors` names each field.",
        "content": {PROBLEM_JSON: {}},
    },
}

router = api_router(prefix="/identity/clients", tags=["identity: relying parties"], responses=_PROBLEMS)
ClientId = Annotated[str, Path(alias="clientId", max_length=100)]


class ClientNotFound(NotFound):
    slug = "client-not-found"


@router.post("", summary="Register a relying party", status_code=201)
async def create_client(
    request: Request, body: ClientCreate, db: DbSession, _admin: IdentityAdmin
) -> CreatedClient:
    registered = await register_client(db, body.registration())
    # This node may remember the id as unknown from an earlier attempt.
    provider_of(request).clients.forget(registered.client.client_id)
    view = ClientView.of(registered.client).model_dump()
    return CreatedClient(**view, client_secret=registered.client_secret)


@router.get("", summary="List relying parties")
async def list_clients(db: DbSession, _admin: IdentityAdmin) -> list[ClientView]:
    return [ClientView.of(client) for client in await registry.all_clients(db)]


@router.get("/{clientId}", summary="Read a relying party")
async def get_client(client_id: ClientId, db: DbSession, _admin: IdentityAdmin) -> ClientView:
    client = await registry.client_by_id(db, client_id)
    if client is None:
        raise ClientNotFound(f"There is no client {client_id!r}.")
    return ClientView.of(client)


@router.post("/{clientId}/disable", summary="Disable a relying party")
async def disable_client(
    request: Request, client_id: ClientId, db: DbSession, _admin: IdentityAdmin
) -> ClientView:
    """It can no longer authenticate or sign anyone in (within `oidc_cache_seconds` on every node).
    Disabling twice keeps the first time."""
    client = await registry.disable_client(db, client_id)
    if client is None:
        raise ClientNotFound(f"There is no client {client_id!r}.")
    provider_of(request).clients.forget(client_id)
    return ClientView.of(client)
