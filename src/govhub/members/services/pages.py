"""`/members/yours/services`: a member administrator's services (those of the members they administer),
with each service's endpoints and live access rights; a form grants another subsystem a right (to the
whole service or one endpoint), a button revokes one. Forms carry CSRF tokens and work without JavaScript;
a refused form shows the page again with the GOV.UK error summary, nothing changed."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from govhub.dependencies import DbSession, PageRenderer
from govhub.identity import sign_in_url
from govhub.kit.csrf import CsrfChecked
from govhub.kit.errors import GovhubError
from govhub.kit.forms import field, redirect, render_page
from govhub.kit.routing import api_router
from govhub.members.errors import NotMemberAdmin
from govhub.members.membership.access import Caller, PageCaller
from govhub.members.page_support import sentence
from govhub.members.services.service import Actor, ServicesService
from govhub.members.xroad_ids import parse_service_id

router = api_router(include_in_schema=False)

SERVICES = "/members/yours/services"
_DONE = {"granted": "Access right granted.", "revoked": "Access right revoked."}


def form_id(service_id: str) -> str:
    """The HTML id prefix of a service's grant form (an id with `/` would need escaping in selectors)."""
    return "grant-" + service_id.replace("/", "-")


def _actor(caller: PageCaller) -> Actor:
    if caller.person is None or not caller.own.organisation_ids:
        raise NotMemberAdmin(
            "This page is for the administrators of a member: the directors of a member's organisation."
        )
    return Actor(caller.own, caller.person.email)


async def _page(
    request: Request,
    caller: PageCaller,
    db: DbSession,
    pages: PageRenderer,
    *,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    actor = _actor(caller)
    services = ServicesService(db)
    listed = [
        await services.service(actor.viewer, details.service_id)
        for details in await services.services(actor.viewer)
    ]
    return render_page(
        pages,
        request,
        "members/yours_services.html",
        {
            "page_title": "Your services and access rights",
            "services": listed,
            "form_id": form_id,
            "done": _DONE.get(done or ""),
        },
        errors=errors,
        status_code=status_code,
    )


@router.get(SERVICES)
async def services_page(
    request: Request, caller: Caller, db: DbSession, pages: PageRenderer, *, done: str | None = None
) -> Response:
    if caller.person is None:
        return redirect(sign_in_url(SERVICES))
    return await _page(request, caller, db, pages, done=done)


async def _change(
    request: Request, caller: PageCaller, db: DbSession, pages: PageRenderer, grant: bool
) -> Response:
    if caller.person is None:
        return redirect(sign_in_url(SERVICES))
    actor = _actor(caller)
    form = await request.form()
    named = field(form, "service")
    prefix = form_id(named)
    try:
        service_id = parse_service_id(named)
        change = ServicesService(db).grant if grant else ServicesService(db).revoke
        await change(actor, service_id, field(form, "client"), field(form, "endpoint") or None)
    except GovhubError as error:
        # Refused before anything was written: the page again, saying what is wrong.
        return await _page(
            request,
            caller,
            db,
            pages,
            errors={f"{prefix}-client": sentence(error.detail)},
            status_code=error.status,
        )
    return redirect(f"{SERVICES}?done={'granted' if grant else 'revoked'}")


@router.post(SERVICES + "/grant")
async def grant_submitted(
    request: Request, _: CsrfChecked, caller: Caller, db: DbSession, pages: PageRenderer
) -> Response:
    return await _change(request, caller, db, pages, grant=True)


@router.post(SERVICES + "/revoke")
async def revoke_submitted(
    request: Request, _: CsrfChecked, caller: Caller, db: DbSession, pages: PageRenderer
) -> Response:
    return await _change(request, caller, db, pages, grant=False)
