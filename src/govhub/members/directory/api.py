"""The directory's routes: the X-Road metaservices (`govhub.members.directory.service`), each at its
GovStack path and again without the `/r1` prefix (GovStack's conformance scenarios call them so), and the
public service catalogue's feeds (`/catalogue.json`, `/catalogue.csv`; the page is `pages.py`).

Who may ask what. The directory is public information in govhub (the catalogue publishes it anyway), so
`listClients`, `listMethods` and `getOpenAPI` are open to anyone; a client header, when sent, must be
well-formed, but it proves nothing and is not required, so that the catalogue's documentation links work in
a browser. `allowedMethods` reveals a subsystem's access rights, to that subsystem alone: the caller sends
a `client_credentials` access token (`Authorization: Bearer`) and names the same subsystem in the client
header; a token without the header is 400 (`Client.BadRequest`), another subsystem's (or a person's) token
403 (`Client.InvalidClientIdentifier`), a token that is not valid 401. A caller without a token is not
anyone in particular, whatever client header it sends (a header proves nothing): it is answered what anyone
may call without an access right, which is nothing, since every govhub service needs one (200, an empty
`member` list; GovStack's scenarios call so).

These routes must be registered before the gateway's `ANY /r1/{instance}/{class}/{member}/{subsystem}/
{serviceCode}/{path...}`: the metaservice names are reserved service codes (`xroad_ids.METASERVICES`)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from starlette.responses import Response

from govhub.dependencies import AppSettings, DbSession
from govhub.identity.oidc import ACCOUNT_CLAIM, access_token_holder
from govhub.kit.access import ACCESS_DEPENDENCIES, PUBLIC
from govhub.kit.routing import api_router
from govhub.members.directory.catalogue import as_csv, as_json, catalogue
from govhub.members.directory.service import (
    BAD_REQUEST,
    INVALID_CLIENT,
    JSON,
    Directory,
    XRoadError,
    client_of,
    provider_of,
)
from govhub.members.membership.service import active_subsystem_of_client
from govhub.members.xroad_ids import MAX_INSTANCE, SubsystemId

_XROAD_ERROR: dict[str, Any] = {
    "content": {
        "application/json": {"example": {"type": "Client.BadRequest", "message": "...", "detail": "<uuid>"}}
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A malformed identifier or client header (`Client.BadRequest`).", **_XROAD_ERROR},
    404: {"description": "No such subsystem or service in the directory.", **_XROAD_ERROR},
}
#: The directory changes rarely and is public: shared caches may keep it briefly.
PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}
PROVIDER = "/{instanceId}/{memberClass}/{memberCode}/{applicationCode}"

router = api_router(tags=["directory"], responses=_ERRORS)


def _json(body: Any, headers: dict[str, str]) -> Response:
    return Response(json.dumps(body), media_type=JSON, headers=headers)


async def allowed_methods_caller(request: Request, db: DbSession) -> SubsystemId | XRoadError | None:
    """The client subsystem the request names, proved by its `client_credentials` access token; None for a
    caller without a token (anyone); or the X-Road error to answer with (returned, not raised: no exception
    handler knows X-Road errors)."""
    try:
        client = client_of(request.headers, required=False)
    except XRoadError as error:
        return error
    if not request.headers.get("authorization"):
        return None
    if client is None:
        return XRoadError(BAD_REQUEST, "Name the client subsystem the token is of, in X-Road-Client.")
    claims = await access_token_holder(request, db)
    if ACCOUNT_CLAIM in claims.claims:
        return XRoadError(INVALID_CLIENT, "allowedMethods takes a subsystem's client_credentials token.")
    active = await active_subsystem_of_client(db, claims.client_id)
    if active is None or active.subsystem_id != client:
        return XRoadError(INVALID_CLIENT, f"The access token is not {client}'s.")
    return client


ACCESS_DEPENDENCIES.add(allowed_methods_caller)
AllowedCaller = Annotated[SubsystemId | XRoadError | None, Depends(allowed_methods_caller)]


async def _provider_path(
    instance: Annotated[str, Path(alias="instanceId")],
    member_class: Annotated[str, Path(alias="memberClass")],
    member_code: Annotated[str, Path(alias="memberCode")],
    subsystem_code: Annotated[str, Path(alias="applicationCode")],
) -> SubsystemId | XRoadError:
    """The provider subsystem the path names, or the X-Road error for a malformed identifier."""
    try:
        return provider_of(instance, member_class, member_code, subsystem_code)
    except XRoadError as error:
        return error


ProviderPath = Annotated[SubsystemId | XRoadError, Depends(_provider_path)]
ServiceIdQuery = Annotated[str | None, Query(alias="serviceId", description="Only this service code.")]
ServiceCode = Annotated[str | None, Query(alias="serviceCode", description="The service's code.")]


def _checked(value: SubsystemId | XRoadError) -> SubsystemId:
    if isinstance(value, XRoadError):
        raise value
    return value


def _caller(value: SubsystemId | XRoadError | None) -> SubsystemId | None:
    if isinstance(value, XRoadError):
        raise value
    return value


def _bad_request(message: str) -> XRoadError:
    return XRoadError(BAD_REQUEST, message)


@router.get("/listClients", summary="List clients (members and subsystems)", dependencies=[PUBLIC])
async def list_clients(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    instance: Annotated[str | None, Query(alias="instanceId", description="Only this instance's.")] = None,
) -> Response:
    """`{"member": [...]}`: each active member (`MEMBER`) and its active subsystems (`APPLICATION`)."""
    try:
        client_of(request.headers, required=False)
        if instance is not None and len(instance) > MAX_INSTANCE:
            raise _bad_request(f"instanceId is at most {MAX_INSTANCE} characters.")
        return _json(await Directory(db, settings.members_instance).list_clients(instance), PUBLIC_CACHE)
    except XRoadError as error:
        return error.response()


def _register(prefix: str, *, in_schema: bool) -> None:
    """The three provider metaservices under `prefix` (`/r1`, or nothing)."""
    suffix = prefix.replace("/", "_")

    @router.get(
        prefix + PROVIDER + "/listMethods",
        summary="List a subsystem's REST services and endpoints",
        dependencies=[PUBLIC],
        include_in_schema=in_schema,
        operation_id="listMethods" + suffix,
    )
    async def list_methods(
        request: Request,
        db: DbSession,
        settings: AppSettings,
        provider: ProviderPath,
        service: ServiceIdQuery = None,
    ) -> Response:
        try:
            client_of(request.headers, required=False)
            directory = Directory(db, settings.members_instance)
            return _json(await directory.list_methods(_checked(provider), service), PUBLIC_CACHE)
        except XRoadError as error:
            return error.response()

    @router.get(
        prefix + PROVIDER + "/allowedMethods",
        summary="List the services and endpoints of a subsystem the caller may call",
        include_in_schema=in_schema,
        operation_id="allowedMethods" + suffix,
        responses={
            401: {"description": "An access token that is not valid.", **_XROAD_ERROR},
            403: {
                "description": "Not the client's token (`Client.InvalidClientIdentifier`).",
                **_XROAD_ERROR,
            },
        },
    )
    async def allowed_methods(
        caller: AllowedCaller,
        db: DbSession,
        settings: AppSettings,
        provider: ProviderPath,
        service: ServiceIdQuery = None,
    ) -> Response:
        try:
            # The path is checked first: a malformed request is a 400 whoever sends it.
            checked = _checked(provider)
            body = await Directory(db, settings.members_instance).allowed_methods(
                checked, _caller(caller), service
            )
            return _json(body, {"Cache-Control": "no-store"})
        except XRoadError as error:
            return error.response()

    @router.get(
        prefix + PROVIDER + "/getOpenAPI",
        summary="Read a service's OpenAPI document",
        dependencies=[PUBLIC],
        include_in_schema=in_schema,
        operation_id="getOpenAPI" + suffix,
    )
    async def get_openapi(
        request: Request,
        db: DbSession,
        settings: AppSettings,
        provider: ProviderPath,
        service_code: ServiceCode = None,
    ) -> Response:
        """The service's OpenAPI document as a JSON string (the spec's schema is `string`); errors are JSON
        strings too, `"Client.BadRequest: ..."`, the type also in `X-Road-Error`."""
        try:
            client_of(request.headers, required=False)
            checked = _checked(provider)
            document = await Directory(db, settings.members_instance).openapi(checked, service_code)
            return _json(document, PUBLIC_CACHE)
        except XRoadError as error:
            return error.response(as_string=True)


_register("/r1", in_schema=True)
# GovStack's conformance scenarios call the metaservices without `/r1`: the same routes, left out of our
# OpenAPI document so that it lists each operation once.
_register("", in_schema=False)

# --- the catalogue -----------------------------------------------------------------------------------------

#: The feeds are public and change rarely.
FEED_CACHE = {"Cache-Control": "public, max-age=300"}


@router.get("/catalogue.json", summary="The service catalogue as JSON", dependencies=[PUBLIC])
async def catalogue_json(db: DbSession, settings: AppSettings) -> Response:
    """Each listed service with the UK API catalogue's columns (`dateAdded` ... `provider`)."""
    return _json(as_json(await catalogue(db, settings.public_url)), FEED_CACHE)


@router.get(
    "/catalogue.csv",
    summary="The service catalogue as CSV",
    dependencies=[PUBLIC],
    responses={200: {"content": {"text/csv": {}}}},
)
async def catalogue_csv(db: DbSession, settings: AppSettings) -> Response:
    """The UK API catalogue's CSV columns, RFC 4180 quoting."""
    return Response(
        as_csv(await catalogue(db, settings.public_url)),
        media_type="text/csv; charset=utf-8",
        headers={**FEED_CACHE, "Content-Disposition": 'inline; filename="catalogue.csv"'},
    )
