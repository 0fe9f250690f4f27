"""The platform administrators' pages: applications to decide (approve, or reject with a reason) and
members (suspend or reinstate, with a reason). Only for platform administrators signed in with two
factors; anyone else is sent to sign in (or step up), and a signed-in person who is no administrator gets
a 403.

Every decision runs in a savepoint: when the service refuses it part-way (the member exists after all, the
client id is taken), what it wrote is undone and the page says why, rather than the unit of work committing
half a decision."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from govhub.dependencies import DbSession, PageRenderer
from govhub.kit.csrf import CsrfChecked
from govhub.kit.errors import GovhubError
from govhub.kit.forms import field, redirect
from govhub.kit.routing import api_router
from govhub.members.dependencies import MEMBER_PATH, Applications, MemberPathText
from govhub.members.membership.access import Caller, PageCaller
from govhub.members.membership.service import MembershipService
from govhub.members.models import CONFIRMING, PENDING
from govhub.members.onboarding.service import MAX_REASON, ApplicationsService
from govhub.members.page_support import forget_clients, platform_admin_or_redirect, render
from govhub.members.repository import PLATFORM
from govhub.members.xroad_ids import MemberId, parse_member_id

router = api_router(include_in_schema=False)
T = TypeVar("T")

APPLICATIONS = "/members/admin/applications"
MEMBERS = "/members/admin/members"
MEMBER = MEMBERS + "/" + MEMBER_PATH


def member_href(member_id: MemberId) -> str:
    return f"{MEMBERS}/{member_id}"


async def _in_savepoint(db: AsyncSession, work: Callable[[], Awaitable[T]]) -> T:
    async with db.begin_nested():
        return await work()


# --- applications -----------------------------------------------------------------------------------------


@router.get(APPLICATIONS)
async def applications_page(
    request: Request, caller: Caller, applications: Applications, pages: PageRenderer
) -> Response:
    if (refused := platform_admin_or_redirect(caller, APPLICATIONS)) is not None:
        return refused
    every = await applications.applications(limit=200)
    return render(
        pages,
        request,
        "members/admin_applications.html",
        {
            "page_title": "Applications",
            "pending": [a for a in every if a.status == PENDING],
            "decided": [a for a in every if a.status != PENDING][:50],
            "rejected": request.query_params.get("rejected"),
        },
    )


async def _application_page(
    request: Request,
    service: ApplicationsService,
    pages: PageRenderer,
    reference: str,
    *,
    errors: dict[str, str] | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    application = await service.application(reference)
    return render(
        pages,
        request,
        "members/admin_application.html",
        {
            "page_title": f"Application from {application.organisation_name}",
            "application": application,
            "member_id": application.proposed_member_id,
            # Registered already? Then who acts for it, and whether approving asks them to confirm.
            "existing": await service.existing_organisation(application),
            "reason": reason,
            "action": f"{APPLICATIONS}/{application.public_id}",
            "confirming": request.query_params.get("confirming") == "1",
        },
        errors=errors,
        status_code=status_code,
    )


@router.get(APPLICATIONS + "/{reference}")
async def application_page(
    request: Request,
    reference: str,
    caller: Caller,
    applications: Applications,
    pages: PageRenderer,
) -> Response:
    if (refused := platform_admin_or_redirect(caller, f"{APPLICATIONS}/{quote(reference)}")) is not None:
        return refused
    return await _application_page(request, applications, pages, reference)


@router.post(APPLICATIONS + "/{reference}/approve")
async def approve_submitted(
    request: Request,
    reference: str,
    _: CsrfChecked,
    caller: Caller,
    service: Applications,
    pages: PageRenderer,
) -> Response:
    if (refused := platform_admin_or_redirect(caller, f"{APPLICATIONS}/{quote(reference)}")) is not None:
        return refused
    try:
        approved = await _in_savepoint(service.session, lambda: service.approve(reference, caller.decider))
    except GovhubError as error:
        problem = {"approve": error.detail}
        return await _application_page(
            request, service, pages, reference, errors=problem, status_code=error.status
        )
    if approved.status == CONFIRMING:
        # Nothing made yet: the organisation's directors are asked first.
        return redirect(f"{APPLICATIONS}/{approved.public_id}?confirming=1")
    member_id = approved.proposed_member_id
    details = await MembershipService(service.session).member(PLATFORM, member_id)
    forget_clients(request, [s.client_id for s in details.subsystems])
    return redirect(member_href(member_id) + "?approved=1")


@router.post(APPLICATIONS + "/{reference}/reject")
async def reject_submitted(
    request: Request,
    reference: str,
    _: CsrfChecked,
    caller: Caller,
    service: Applications,
    pages: PageRenderer,
) -> Response:
    if (refused := platform_admin_or_redirect(caller, f"{APPLICATIONS}/{quote(reference)}")) is not None:
        return refused
    reason = field(await request.form(), "reason", MAX_REASON)
    try:
        rejected = await _in_savepoint(
            service.session, lambda: service.reject(reference, caller.decider, reason)
        )
    except GovhubError as error:
        key = "reason" if error.field_errors else "approve"
        return await _application_page(
            request,
            service,
            pages,
            reference,
            errors={key: error.detail},
            reason=reason,
            status_code=error.status,
        )
    return redirect(f"{APPLICATIONS}?rejected={rejected.public_id}")


# --- members ----------------------------------------------------------------------------------------------


@router.get(MEMBERS)
async def members_page(request: Request, caller: Caller, db: DbSession, pages: PageRenderer) -> Response:
    if (refused := platform_admin_or_redirect(caller, MEMBERS)) is not None:
        return refused
    members = await MembershipService(db).members(PLATFORM)
    return render(
        pages,
        request,
        "members/admin_members.html",
        {"page_title": "Members", "members": members, "href": lambda d: member_href(d.member.member_id)},
    )


async def _member_page(
    request: Request,
    db: AsyncSession,
    pages: PageRenderer,
    member_id: MemberId,
    *,
    errors: dict[str, str] | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    details = await MembershipService(db).member(PLATFORM, member_id)
    context: dict[str, Any] = {
        "page_title": details.member.name,
        "details": details,
        "member_id": member_id,
        "action": member_href(member_id),
        "reason": reason,
        "approved": request.query_params.get("approved") == "1",
        "changed": request.query_params.get("changed"),
    }
    return render(
        pages, request, "members/admin_member.html", context, errors=errors, status_code=status_code
    )


@router.get(MEMBER)
async def member_page(
    request: Request, caller: Caller, named: MemberPathText, db: DbSession, pages: PageRenderer
) -> Response:
    if (refused := platform_admin_or_redirect(caller, f"{MEMBERS}/{quote(named)}")) is not None:
        return refused
    return await _member_page(request, db, pages, parse_member_id(named))


async def _change_status(
    request: Request,
    *,
    named: str,
    caller: PageCaller,
    db: AsyncSession,
    pages: PageRenderer,
    change: str,
) -> Response:
    if (refused := platform_admin_or_redirect(caller, f"{MEMBERS}/{quote(named)}")) is not None:
        return refused
    member_id = parse_member_id(named)
    reason = field(await request.form(), "reason", MAX_REASON)
    service = MembershipService(db)
    act = service.suspend if change == "suspended" else service.reinstate
    try:
        changed = await _in_savepoint(db, lambda: act(member_id, caller.decider, reason))
    except GovhubError as error:
        return await _member_page(
            request,
            db,
            pages,
            member_id,
            errors={"reason": error.detail},
            reason=reason,
            status_code=error.status,
        )
    forget_clients(request, changed.client_ids)
    return redirect(f"{member_href(member_id)}?changed={change}")


@router.post(MEMBER + "/suspend")
async def suspend_submitted(
    request: Request,
    _: CsrfChecked,
    caller: Caller,
    named: MemberPathText,
    db: DbSession,
    pages: PageRenderer,
) -> Response:
    return await _change_status(request, named=named, caller=caller, db=db, pages=pages, change="suspended")


@router.post(MEMBER + "/reinstate")
async def reinstate_submitted(
    request: Request,
    _: CsrfChecked,
    caller: Caller,
    named: MemberPathText,
    db: DbSession,
    pages: PageRenderer,
) -> Response:
    return await _change_status(request, named=named, caller=caller, db=db, pages=pages, change="reinstated")
