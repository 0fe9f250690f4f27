"""The services and access rights API (`/members/services/...`): register a subsystem's service from its
OpenAPI document, read, update and disable it; grant and revoke other subsystems' rights to call it.

Two kinds of caller (`services_caller`): a machine client with a `govhub:members-admin` token acts as the
platform (every member); a signed-in person acts for the members they administer, and a platform
administrator for every member once signed in with two factors (`Cl.Cm`, as the administrators' pages ask;
with a password alone they act as any member administrator would). A person's changes must come as JSON
(`Content-Type: application/json`, parsed exactly, even on a POST without a body): a cross-site form cannot
send that without a CORS preflight, which the platform never grants, so the session cookie cannot be
ridden by another site. Thin: parse, call the service, describe the result."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request

from govhub.dependencies import DbSession, Outbound
from govhub.identity import current_sign_in
from govhub.identity.oidc import access_token_holder
from govhub.kit.access import ACCESS_DEPENDENCIES
from govhub.kit.errors import Unauthorized
from govhub.kit.problems import PROBLEM_JSON
from govhub.kit.routing import UnsupportedMediaType, api_router, is_json_media_type
from govhub.members.errors import NotMemberAdmin
from govhub.members.membership.access import members_admin
from govhub.members.membership.service import PLATFORM_ADMIN_LEVEL, is_platform_admin, member_admin_viewer
from govhub.members.repository import PLATFORM, Viewer
from govhub.members.services.schemas import (
    RightBody,
    RightView,
    ServiceCreate,
    ServiceUpdate,
    ServiceUpdated,
    ServiceView,
)
from govhub.members.services.service import Actor, ServicesService
from govhub.members.xroad_ids import MemberId, ServiceId, SubsystemId, parse_subsystem_id

_SAFE = {"GET", "HEAD", "OPTIONS"}
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A malformed identifier.", "content": {PROBLEM_JSON: {}}},
    401: {"description": "Neither an access token nor a signed-in person.", "content": {PROBLEM_JSON: {}}},
    403: {
        "description": "The token lacks the scope, the person administers no member, or a platform "
        "administrator signed in without two factors.",
        "content": {PROBLEM_JSON: {}},
    },
    404: {
        "description": "No such service or subsystem (or not the caller's).",
        "content": {PROBLEM_JSON: {}},
    },
    409: {"description": "The service or the right exists already.", "content": {PROBLEM_JSON: {}}},
    415: {
        "description": "A change made with a session cookie that is not sent as JSON.",
        "content": {PROBLEM_JSON: {}},
    },
    422: {"description": "Invalid input; `errors` names each field.", "content": {PROBLEM_JSON: {}}},
}


async def services_caller(request: Request, db: DbSession) -> Actor:
    """An admin API client (the platform), or a signed-in platform or member administrator."""
    if request.headers.get("authorization"):
        claims = await members_admin(await access_token_holder(request, db))
        return Actor(PLATFORM, f"client {claims.client_id}")
    person = await current_sign_in(request, db)
    if person is None:
        raise Unauthorized(
            "Send an access token with the govhub:members-admin scope, or sign in as a member administrator."
        )
    if request.method not in _SAFE and not is_json_media_type(request.headers.get("content-type", "")):
        raise UnsupportedMediaType(
            "Changes made with a session cookie are sent as JSON (Content-Type: application/json), even "
            "with no body."
        )
    platform_admin = await is_platform_admin(db, person.account_id)
    if platform_admin and person.auth_level == PLATFORM_ADMIN_LEVEL:
        viewer: Viewer = PLATFORM
    else:
        viewer = await member_admin_viewer(db, person.account_id)
        if not viewer.organisation_ids:
            if platform_admin:
                raise NotMemberAdmin(
                    "Platform administrators act with two factors: sign in again with your authenticator "
                    "app or security key, then retry."
                )
            raise NotMemberAdmin("Only administrators of a member (or of the platform) can use this.")
    return Actor(viewer, person.email)


ACCESS_DEPENDENCIES.add(services_caller)
Caller = Annotated[Actor, Depends(services_caller)]


async def _service_path(
    instance: Annotated[str, Path()],
    member_class: Annotated[str, Path(alias="memberClass")],
    member_code: Annotated[str, Path(alias="memberCode")],
    subsystem_code: Annotated[str, Path(alias="subsystemCode")],
    service_code: Annotated[str, Path(alias="serviceCode")],
) -> ServiceId:
    """The service the path names, or a 400 problem saying what is wrong with its identifier."""
    return ServiceId(SubsystemId(MemberId(instance, member_class, member_code), subsystem_code), service_code)


ServicePath = Annotated[ServiceId, Depends(_service_path)]
SERVICE = "/services/{instance}/{memberClass}/{memberCode}/{subsystemCode}/{serviceCode}"
router = api_router(prefix="/members", tags=["members: services"], responses=_PROBLEMS)


@router.get("/services", summary="List services")
async def list_services(
    caller: Caller,
    db: DbSession,
    subsystem: Annotated[str | None, Query(max_length=200, description="Only this subsystem's.")] = None,
) -> list[ServiceView]:
    """The services of the members the caller administers (all of them for the platform)."""
    subsystem_id = parse_subsystem_id(subsystem) if subsystem else None
    return [ServiceView.of(d) for d in await ServicesService(db).services(caller.viewer, subsystem_id)]


@router.post("/services", summary="Register a service", status_code=201)
async def register_service(
    body: ServiceCreate, caller: Caller, db: DbSession, outbound: Outbound
) -> ServiceView:
    """Its endpoints are read from the OpenAPI document. The base URL's host must resolve to public
    addresses only (else 422 naming the address and why), unless an operator allowed the network."""
    details = await ServicesService(db).register(
        caller,
        subsystem=body.subsystem,
        service_code=body.service_code,
        base_url=body.base_url,
        openapi=body.openapi,
        outbound=outbound,
        title=body.title,
        description=body.description,
    )
    return ServiceView.of(details, with_rights=True)


@router.get(SERVICE, summary="Read a service")
async def get_service(
    caller: Caller,
    service_id: ServicePath,
    db: DbSession,
    history: Annotated[bool, Query(description="Revoked rights too.")] = False,
) -> ServiceView:
    details = await ServicesService(db).service(caller.viewer, service_id, history=history)
    return ServiceView.of(details, with_rights=True)


@router.get(SERVICE + "/openapi", summary="Read a service's OpenAPI document")
async def get_service_openapi(caller: Caller, service_id: ServicePath, db: DbSession) -> dict[str, Any]:
    return (await ServicesService(db).service(caller.viewer, service_id)).service.openapi


@router.patch(SERVICE, summary="Update a service")
async def update_service(
    body: ServiceUpdate, caller: Caller, service_id: ServicePath, db: DbSession, outbound: Outbound
) -> ServiceUpdated:
    """A new document replaces the endpoints; rights to endpoints that went are revoked and listed. A new
    base URL is checked as at registration."""
    updated = await ServicesService(db).update(
        caller,
        service_id,
        base_url=body.base_url,
        openapi=body.openapi,
        title=body.title,
        description=body.description,
        outbound=outbound,
    )
    return ServiceUpdated.of(updated)


@router.post(SERVICE + "/disable", summary="Disable a service")
async def disable_service(caller: Caller, service_id: ServicePath, db: DbSession) -> ServiceView:
    """Calls to it are refused until it is enabled again; its rights are kept."""
    return ServiceView.of(await ServicesService(db).set_disabled(caller, service_id, True), with_rights=True)


@router.post(SERVICE + "/enable", summary="Enable a service")
async def enable_service(caller: Caller, service_id: ServicePath, db: DbSession) -> ServiceView:
    return ServiceView.of(await ServicesService(db).set_disabled(caller, service_id, False), with_rights=True)


@router.post(SERVICE + "/rights", summary="Grant an access right", status_code=201)
async def grant_right(body: RightBody, caller: Caller, service_id: ServicePath, db: DbSession) -> RightView:
    """To another subsystem, for the whole service or one endpoint."""
    return RightView.of(await ServicesService(db).grant(caller, service_id, body.client, body.endpoint))


@router.post(SERVICE + "/rights/revoke", summary="Revoke an access right")
async def revoke_right(body: RightBody, caller: Caller, service_id: ServicePath, db: DbSession) -> RightView:
    """The right is kept, with when and by whom it was revoked."""
    return RightView.of(await ServicesService(db).revoke(caller, service_id, body.client, body.endpoint))
