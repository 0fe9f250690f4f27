"""The members pages for everyone: what membership is (`/members`), applying to join (`/members/apply`, a
signed-in person), and `/members/yours`: the person's applications, the applications a director of a
registered organisation is asked to confirm, and, for a member administrator (a director of a member's
organisation), their members and subsystems."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from govhub.dependencies import AppSettings, DbSession, PageRenderer
from govhub.identity import sign_in_url
from govhub.kit.csrf import CsrfChecked
from govhub.kit.errors import GovhubError
from govhub.kit.forms import MAX_FIELD, field, redirect
from govhub.kit.routing import api_router
from govhub.members.access import Caller
from govhub.members.confirmation_pages import confirmation_href, director_of
from govhub.members.confirmations import Confirmations
from govhub.members.dependencies import Applications
from govhub.members.keys import parse_jwks_text
from govhub.members.membership import MembershipService
from govhub.members.page_support import MAX_KEY_FIELD, render, sentence
from govhub.members.service import EXCHANGE_SCOPE, ApplicationsService, NewApplication

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
    return render(
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
    return render(
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
    return render(
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
