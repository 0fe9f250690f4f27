"""The members admin API: applications (submit, list, read, approve, reject), members and their subsystems
(list, read), suspension and reinstatement. Callers hold an access token with the `govhub:members-admin`
scope from the `client_credentials` grant; token errors are RFC 6750 challenges, everything else problem
details. Thin: parse, call the service, describe the result."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path, Request
from fastapi.responses import JSONResponse

from govhub.dependencies import DbSession
from govhub.kit.problems import PROBLEM_JSON
from govhub.kit.routing import api_router
from govhub.members.dependencies import MEMBER_PATH, Applications, MemberPath
from govhub.members.membership.access import MembersAdmin, api_decider
from govhub.members.membership.service import MembershipService
from govhub.members.models import CONFIRMING
from govhub.members.page_support import forget_clients
from govhub.members.repository import PLATFORM
from govhub.members.schemas import (
    ApplicationCreate,
    ApplicationView,
    ApproveBody,
    MemberView,
    ReasonBody,
    SubsystemRead,
    SubsystemView,
)

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A malformed member or subsystem identifier.", "content": {PROBLEM_JSON: {}}},
    401: {"description": "No valid access token (RFC 6750 challenge in WWW-Authenticate)."},
    403: {"description": "The token lacks the govhub:members-admin scope."},
    404: {"description": "No such application, member or subsystem.", "content": {PROBLEM_JSON: {}}},
    409: {
        "description": "Already decided, already a member, or already in that state.",
        "content": {PROBLEM_JSON: {}},
    },
    422: {"description": "Invalid input; `errors` names each field.", "content": {PROBLEM_JSON: {}}},
}

router = api_router(prefix="/members", tags=["members: admin"], responses=_PROBLEMS)
ApplicationId = Annotated[str, Path(alias="applicationId", description="The application's reference.")]
SubsystemCode = Annotated[str, Path(alias="subsystemCode")]
MEMBER = "/members/" + MEMBER_PATH
SUBSYSTEM = "/subsystems/" + MEMBER_PATH + "/{subsystemCode}"


@router.post("/applications", summary="Submit an application", status_code=201)
async def submit_application(
    body: ApplicationCreate, applications: Applications, _admin: MembersAdmin
) -> ApplicationView:
    """An operator applies for an organisation (people apply on the `/members/apply` page)."""
    return ApplicationView.of(await applications.submit(body.new_application()))


@router.get("/applications", summary="List applications")
async def list_applications(
    applications: Applications,
    _admin: MembersAdmin,
    status: Literal["pending", "confirming", "approved", "rejected", "declined"] | None = None,
) -> list[ApplicationView]:
    """Newest first; at most 500."""
    return [ApplicationView.of(a) for a in await applications.applications(status)]


@router.get("/applications/{applicationId}", summary="Read an application")
async def get_application(
    application_id: ApplicationId, applications: Applications, _admin: MembersAdmin
) -> ApplicationView:
    application = await applications.application(application_id)
    return ApplicationView.of(
        application, organisation_id=await applications.organisation_public_id(application)
    )


@router.post(
    "/applications/{applicationId}/approve",
    summary="Approve an application",
    response_model=MemberView,
    responses={
        202: {
            "model": ApplicationView,
            "description": "The organisation is already registered and the applicant is not one of its "
            "directors: nothing is made yet. The application waits (status `confirming`) for one of its "
            "directors to confirm that the applicant acts for it; the member is made when one does.",
        }
    },
)
async def approve_application(
    request: Request,
    application_id: ApplicationId,
    applications: Applications,
    admin: MembersAdmin,
    body: ApproveBody | None = None,
) -> MemberView | JSONResponse:
    """Makes the member, its subsystem and the subsystem's OAuth client, all or nothing (200); or, for an
    organisation already registered, asks its directors to confirm the applicant first (202)."""
    approved = await applications.approve(application_id, api_decider(admin), body.note if body else None)
    if approved.status == CONFIRMING:
        view = ApplicationView.of(
            approved, organisation_id=await applications.organisation_public_id(approved)
        )
        return JSONResponse(view.model_dump(mode="json", by_alias=True), status_code=202)
    details = await MembershipService(applications.session).member(PLATFORM, approved.proposed_member_id)
    forget_clients(request, [s.client_id for s in details.subsystems])
    return MemberView.of(details)


@router.post("/applications/{applicationId}/reject", summary="Reject an application")
async def reject_application(
    application_id: ApplicationId, body: ReasonBody, applications: Applications, admin: MembersAdmin
) -> ApplicationView:
    return ApplicationView.of(await applications.reject(application_id, api_decider(admin), body.reason))


@router.get("/members", summary="List members")
async def list_members(db: DbSession, _admin: MembersAdmin) -> list[MemberView]:
    return [MemberView.of(details) for details in await MembershipService(db).members(PLATFORM)]


@router.get(MEMBER, summary="Read a member")
async def get_member(_admin: MembersAdmin, member_id: MemberPath, db: DbSession) -> MemberView:
    return MemberView.of(await MembershipService(db).member(PLATFORM, member_id))


@router.post(MEMBER + "/suspend", summary="Suspend a member")
async def suspend_member(
    admin: MembersAdmin, request: Request, member_id: MemberPath, body: ReasonBody, db: DbSession
) -> MemberView:
    """Its traffic stops at once, and its subsystems can no longer get tokens."""
    changed = await MembershipService(db).suspend(member_id, api_decider(admin), body.reason)
    forget_clients(request, changed.client_ids)
    return MemberView.of(changed.details)


@router.post(MEMBER + "/reinstate", summary="Reinstate a suspended member")
async def reinstate_member(
    admin: MembersAdmin, request: Request, member_id: MemberPath, body: ReasonBody, db: DbSession
) -> MemberView:
    changed = await MembershipService(db).reinstate(member_id, api_decider(admin), body.reason)
    forget_clients(request, changed.client_ids)
    return MemberView.of(changed.details)


@router.get(SUBSYSTEM, summary="Read a subsystem")
async def get_subsystem(
    _admin: MembersAdmin, member_id: MemberPath, subsystem_code: SubsystemCode, db: DbSession
) -> SubsystemRead:
    details, subsystem = await MembershipService(db).subsystem(PLATFORM, member_id.subsystem(subsystem_code))
    view = SubsystemView.of(details.member.member_id, subsystem)
    return SubsystemRead(
        **view.model_dump(),
        member_id=str(details.member.member_id),
        member_name=details.member.name,
        member_status=details.member.status,
    )
