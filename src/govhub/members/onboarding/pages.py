"""The members pages for everyone: what membership is (`/members`), applying to join (`/members/apply`, a
signed-in person), and `/members/yours`: the person's applications, the applications a director of a
registered organisation is asked to confirm, and, for a member administrator (a director of a member's
organisation), their members and subsystems.

`/members/yours/confirmations/{reference}`: a director of an organisation that is already registered
confirms, or declines (with the reason), that the person who applied for it to join acts for it. Nothing
is made, and the applicant is no representative, until a director confirms (`confirmations`). Only the
organisation's directors see the page (anyone else gets the same 404 as for no application), and they
answer signed in with two factors: a confirmation makes someone a director of their organisation.

`/members/admin/applications`: the platform administrators decide applications (approve, or reject with a
reason), signed in with two factors; anyone else is sent to sign in (or step up), and a signed-in person
who is no administrator gets a 403. Every decision runs in a savepoint: when the service refuses it
part-way (the member exists after all, the client id is taken), what it wrote is undone and the page says
why, rather than the unit of work committing half a decision.

Forms carry CSRF tokens and work without JavaScript; a refused form shows the page again, nothing changed."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from govhub.dependencies import AppSettings, DbSession, PageRenderer
from govhub.identity import SignedIn, sign_in_url
from govhub.kit.csrf import CsrfChecked
from govhub.kit.errors import GovhubError
from govhub.kit.forms import MAX_FIELD, field, redirect, render_page
from govhub.kit.routing import api_router
from govhub.members.dependencies import Applications, ConfirmationsService
from govhub.members.membership.access import Caller, PageCaller
from govhub.members.membership.keys import parse_jwks_text
from govhub.members.membership.pages import member_href
from govhub.members.membership.service import PLATFORM_ADMIN_LEVEL, MembershipService
from govhub.members.models import CONFIRMING, PENDING
from govhub.members.onboarding.confirmations import Confirmations, Director
from govhub.members.onboarding.service import EXCHANGE_SCOPE, MAX_REASON, ApplicationsService, NewApplication
from govhub.members.page_support import (
    MAX_KEY_FIELD,
    forget_clients,
    in_savepoint,
    platform_admin_or_redirect,
    sentence,
)
from govhub.members.repository import PLATFORM

router = api_router(include_in_schema=False)

HOME = "/members"
APPLY = "/members/apply"
YOURS = "/members/yours"
#: The form's choice of organisation type: the member class, and for ORG which kind of organisation.
ORGANISATION_TYPES = {
    "GOV": ("GOV", None, "Government department or public body"),
    "NHS": ("NHS", None, "NHS or other health organisation"),
    "COM": ("COM", None, "Company"),
    "ORG-charity": ("ORG", "charity", "Charity"),
    "ORG-social-enterprise": ("ORG", "social-enterprise", "Social enterprise"),
}
_TEXT_FIELDS = (
    "organisation-name",
    "registration-number",
    "member-code",
    "contact-name",
    "contact-email",
    "subsystem-code",
)
#: Which form field each problem's JSON pointer is about.
_FIELD_OF = {
    "/organisationName": "organisation-name",
    "/registrationNumber": "registration-number",
    "/memberClass": "organisation-type",
    "/organisationKind": "organisation-type",
    "/memberCode": "member-code",
    "/contactName": "contact-name",
    "/contactEmail": "contact-email",
    "/subsystemCode": "subsystem-code",
    "/jwks": "public-key",
}
_FIELD_ORDER = (*_TEXT_FIELDS[:2], "organisation-type", *_TEXT_FIELDS[2:], "public-key")


@router.get(HOME)
async def members_home(
    request: Request, caller: Caller, applications: Applications, pages: PageRenderer
) -> Response:
    pending = await applications.pending_count() if caller.platform_admin else None
    return render_page(
        pages,
        request,
        "members/index.html",
        {
            "page_title": "Members and services",
            "signed_in": caller.person is not None,
            "platform_admin": caller.platform_admin,
            "pending": pending,
        },
    )


def _values(form: FormData | None, email: str) -> dict[str, str]:
    if form is None:
        return {
            **dict.fromkeys(_TEXT_FIELDS, ""),
            "contact-email": email,
            "organisation-type": "",
            "public-key": "",
        }
    values = {name: field(form, name) for name in (*_TEXT_FIELDS, "organisation-type")}
    values["public-key"] = field(form, "public-key", MAX_KEY_FIELD)
    return values


def _apply_form(
    request: Request,
    pages: PageRenderer,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    ordered = {name: errors[name] for name in _FIELD_ORDER if errors and name in errors}
    return render_page(
        pages,
        request,
        "members/apply.html",
        {
            "page_title": "Apply to join",
            "values": values,
            "types": [(value, label) for value, (_, _, label) in ORGANISATION_TYPES.items()],
        },
        errors=ordered,
        status_code=status_code,
    )


@router.get(APPLY)
async def apply_page(request: Request, caller: Caller, pages: PageRenderer) -> Response:
    if caller.person is None:
        return redirect(sign_in_url(APPLY))
    return _apply_form(request, pages, _values(None, caller.person.email))


def _form_problems(values: dict[str, str]) -> tuple[dict[str, str], Any]:
    """What is wrong with the form before the service sees it, and the public key as parsed."""
    errors: dict[str, str] = {}
    for name in _TEXT_FIELDS:
        if len(values[name]) > MAX_FIELD:
            errors[name] = f"Enter at most {MAX_FIELD} characters"
    if values["organisation-type"] not in ORGANISATION_TYPES:
        errors["organisation-type"] = "Select the type of organisation"
    jwks: Any = None
    if not values["public-key"].strip():
        errors["public-key"] = "Paste your subsystem's public key, as a JWK Set"
    elif len(values["public-key"]) > MAX_KEY_FIELD:
        errors["public-key"] = f"The public key is longer than {MAX_KEY_FIELD} characters"
    else:
        jwks, problem = parse_jwks_text(values["public-key"])
        if problem is not None:
            errors["public-key"] = sentence(problem)
    return errors, jwks


def _service_problems(error: GovhubError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for problem in error.field_errors:
        name = _FIELD_OF.get(problem.name, "organisation-name")
        errors[name] = f"{errors[name]}; {problem.detail}" if name in errors else sentence(problem.detail)
    return errors or {"organisation-name": error.detail}


@router.post(APPLY)
async def apply_submitted(
    request: Request,
    _: CsrfChecked,
    caller: Caller,
    db: DbSession,
    settings: AppSettings,
    pages: PageRenderer,
) -> Response:
    if caller.person is None:
        return redirect(sign_in_url(APPLY))
    values = _values(await request.form(), caller.person.email)
    errors, jwks = _form_problems(values)
    member_class, kind, _label = ORGANISATION_TYPES.get(values["organisation-type"], ("", None, ""))
    new = NewApplication(
        organisation_name=values["organisation-name"],
        registration_number=values["registration-number"],
        member_class=member_class,
        organisation_kind=kind,
        member_code=values["member-code"] or None,
        contact_name=values["contact-name"],
        contact_email=values["contact-email"],
        subsystem_code=values["subsystem-code"],
        jwks=jwks,
        applicant_account_id=caller.person.account_id,
    )
    service = ApplicationsService(db, settings.members_instance)
    if errors:
        # The service's checks too, so that every wrong field is named at once; the form's own come first.
        try:
            service.validated(new)
        except GovhubError as error:
            errors = {**_service_problems(error), **errors}
        return _apply_form(request, pages, values, errors, 422)
    try:
        application = await service.submit(new)
    except GovhubError as error:
        # Refused before anything was written (submitting writes last).
        return _apply_form(request, pages, values, _service_problems(error), error.status)
    return redirect(f"{YOURS}?applied={application.public_id}")


@router.get(YOURS)
async def yours_page(
    request: Request,
    caller: Caller,
    db: DbSession,
    settings: AppSettings,
    pages: PageRenderer,
    *,
    applied: str | None = None,
    confirmed: str | None = None,
    declined: str | None = None,
) -> Response:
    if caller.person is None:
        return redirect(sign_in_url(YOURS))
    service = ApplicationsService(db, settings.members_instance)
    applications = await service.applications_of(caller.person.account_id)
    members = await MembershipService(db).members(caller.own) if caller.own.organisation_ids else []
    director = director_of(caller.person, caller)
    awaiting = await Confirmations(db, settings.members_instance).awaiting(director)
    return render_page(
        pages,
        request,
        "members/yours.html",
        {
            "page_title": "Your applications and members",
            "applications": applications,
            "applied": next((a for a in applications if a.public_id == applied), None),
            "awaiting": awaiting,
            "confirmation_href": confirmation_href,
            "confirmed": confirmed,
            "declined": declined,
            "members": members,
            "email": caller.person.email,
            "exchange_scope": EXCHANGE_SCOPE,
            "token_endpoint": settings.public_url.rstrip("/") + "/token",
        },
    )


# --- confirmations -------------------------------------------------------------------------------------

CONFIRMATIONS = "/members/yours/confirmations"
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
    return render_page(
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


APPLICATIONS = "/members/admin/applications"


# --- applications -----------------------------------------------------------------------------------------


@router.get(APPLICATIONS)
async def applications_page(
    request: Request, caller: Caller, applications: Applications, pages: PageRenderer
) -> Response:
    if (refused := platform_admin_or_redirect(caller, APPLICATIONS)) is not None:
        return refused
    every = await applications.applications(limit=200)
    return render_page(
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
    return render_page(
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
        approved = await in_savepoint(service.session, lambda: service.approve(reference, caller.decider))
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
        rejected = await in_savepoint(
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
