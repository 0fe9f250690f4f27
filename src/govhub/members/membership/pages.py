"""The platform administrators' member pages (`/members/admin/members`): suspend or reinstate a member,
with a reason. Only for platform administrators signed in with two factors; anyone else is sent to sign in
(or step up), and a signed-in person who is no administrator gets a 403. Every change runs in a savepoint,
so a refused one leaves nothing half-written."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from govhub.dependencies import DbSession, PageRenderer
from govhub.kit.csrf import CsrfChecked
from govhub.kit.errors import GovhubError
from govhub.kit.forms import field, redirect, render_page
from govhub.kit.routing import api_router
from govhub.members.dependencies import MEMBER_PATH, MemberPathText
from govhub.members.membership.access import Caller, PageCaller
from govhub.members.membership.service import MembershipService
from govhub.members.onboarding.service import MAX_REASON
from govhub.members.page_support import forget_clients, in_savepoint, platform_admin_or_redirect
from govhub.members.repository import PLATFORM
from govhub.members.xroad_ids import MemberId, parse_member_id

router = api_router(include_in_schema=False)

MEMBERS = "/members/admin/members"
MEMBER = MEMBERS + "/" + MEMBER_PATH


def member_href(member_id: MemberId) -> str:
    return f"{MEMBERS}/{member_id}"


# --- members ----------------------------------------------------------------------------------------------


@router.get(MEMBERS)
async def members_page(request: Request, caller: Caller, db: DbSession, pages: PageRenderer) -> Response:
    if (refused := platform_admin_or_redirect(caller, MEMBERS)) is not None:
        return refused
    members = await MembershipService(db).members(PLATFORM)
    return render_page(
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
    return render_page(
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
        changed = await in_savepoint(db, lambda: act(member_id, caller.decider, reason))
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
