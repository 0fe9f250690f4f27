"""`/members/yours/confirmations/{reference}`: a director of an organisation that is already registered
confirms, or declines (with the reason), that the person who applied for it to join acts for it. Nothing
is made, and the applicant is no representative, until a director confirms (`confirmations`).

Only the organisation's directors see the page (anyone else gets the same 404 as for no application), and
they answer signed in with two factors: a confirmation makes someone a director of their organisation.
Forms carry CSRF tokens and work without JavaScript; a refused form shows the page again, nothing changed."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from starlette.responses import Response

from govhub.dependencies import PageRenderer
from govhub.identity import SignedIn, sign_in_url
from govhub.kit.csrf import CsrfChecked
from govhub.kit.errors import GovhubError
from govhub.kit.forms import field, redirect
from govhub.kit.routing import api_router
from govhub.members.access import Caller, PageCaller
from govhub.members.confirmations import Confirmations, Director
from govhub.members.dependencies import ConfirmationsService
from govhub.members.membership import PLATFORM_ADMIN_LEVEL
from govhub.members.page_support import render
from govhub.members.service import MAX_REASON

router = api_router(include_in_schema=False)

CONFIRMATIONS = "/members/yours/confirmations"
YOURS = "/members/yours"
#: A confirmation makes someone a director of the organisation: asked with two factors, as the platform's
#: administrators decide.
CONFIRM_LEVEL = PLATFORM_ADMIN_LEVEL


def confirmation_href(reference: str) -> str:
    return f"{CONFIRMATIONS}/{quote(reference)}"


def director_of(person: SignedIn, caller: PageCaller) -> Director:
    """The person as a director: the organisations they direct are those the page's caller administers."""
    return Director(person.account_id, person.email, caller.own.organisation_ids)


def _director_or_redirect(caller: PageCaller, path: str) -> Director | Response:
    if caller.person is None or caller.person.auth_level != CONFIRM_LEVEL:
        return redirect(sign_in_url(path, auth_level=CONFIRM_LEVEL))
    return director_of(caller.person, caller)


async def _page(
    request: Request,
    confirmations: Confirmations,
    director: Director,
    pages: PageRenderer,
    reference: str,
    *,
    errors: dict[str, str] | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    awaiting = await confirmations.one(director, reference)
    application = awaiting.application
    return render(
        pages,
        request,
        "members/confirmation.html",
        {
            "page_title": f"Does {awaiting.applicant_email or 'this person'} act for "
            f"{awaiting.organisation.organisation.name}?",
            "awaiting": awaiting,
            "application": application,
            "member_id": application.proposed_member_id,
            "action": confirmation_href(application.public_id),
            "reason": reason,
        },
        errors=errors,
        status_code=status_code,
    )


@router.get(CONFIRMATIONS + "/{reference}")
async def confirmation_page(
    request: Request,
    reference: str,
    caller: Caller,
    confirmations: ConfirmationsService,
    pages: PageRenderer,
) -> Response:
    director = _director_or_redirect(caller, confirmation_href(reference))
    if isinstance(director, Response):
        return director
    return await _page(request, confirmations, director, pages, reference)


async def _answer(
    request: Request,
    reference: str,
    caller: PageCaller,
    confirmations: Confirmations,
    pages: PageRenderer,
    *,
    decision: str,
) -> Response:
    """Confirm or decline (with the form's reason); a refusal other than "no such application" shows the
    page again with what was wrong, nothing changed."""
    director = _director_or_redirect(caller, confirmation_href(reference))
    if isinstance(director, Response):
        return director
    reason = field(await request.form(), "reason", MAX_REASON) if decision == "declined" else ""
    try:
        async with confirmations.session.begin_nested():
            if decision == "declined":
                answered = await confirmations.decline(director, reference, reason)
            else:
                answered = await confirmations.confirm(director, reference)
    except GovhubError as error:
        if error.status == 404:
            raise
        return await _page(
            request,
            confirmations,
            director,
            pages,
            reference,
            errors={"reason" if decision == "declined" else "confirm": error.detail},
            reason=reason,
            status_code=error.status,
        )
    return redirect(f"{YOURS}?{decision}={answered.application.public_id}")


@router.post(CONFIRMATIONS + "/{reference}/confirm")
async def confirm_submitted(
    request: Request,
    reference: str,
    _: CsrfChecked,
    caller: Caller,
    confirmations: ConfirmationsService,
    pages: PageRenderer,
) -> Response:
    return await _answer(request, reference, caller, confirmations, pages, decision="confirmed")


@router.post(CONFIRMATIONS + "/{reference}/decline")
async def decline_submitted(
    request: Request,
    reference: str,
    _: CsrfChecked,
    caller: Caller,
    confirmations: ConfirmationsService,
    pages: PageRenderer,
) -> Response:
    return await _answer(request, reference, caller, confirmations, pages, decision="declined")
