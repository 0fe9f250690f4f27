"""The pages of business representatives and identity proving: `/account/prove-identity` (names, date of
birth and birth registration number, matched against the births register) and `/account/organisations`
(the organisations the person acts for). Both need a signed-in person; anyone else is sent to sign in and
brought back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from govhub.dependencies import AppSettings, DbSession, PageRenderer
from govhub.identity.accounts import sessions
from govhub.identity.accounts.pages.support import DEFAULT_RETURN_TO, needs_sign_in, return_to_or_default
from govhub.identity.accounts.signed_in import SignedIn
from govhub.identity.organisations.service import organisations_of
from govhub.identity.proving.service import (
    MAX_FAILED_ATTEMPTS,
    IdentityClaim,
    Outcome,
    attempts_remaining,
    prove_identity,
    verified_identity,
)
from govhub.kit.access import ACCESS_DEPENDENCIES
from govhub.kit.clock import utcnow
from govhub.kit.csrf import CsrfChecked
from govhub.kit.forms import field, redirect
from govhub.kit.routing import api_router

router = api_router(include_in_schema=False)

PROVE_PATH = "/account/prove-identity"
ORGANISATIONS_PATH = "/account/organisations"
MAX_NAME = 100
MAX_RECORD_KEY = 20
OLDEST_YEAR = 1900


async def signed_in_person(request: Request, db: DbSession) -> SignedIn | None:
    """The signed-in person, or None: the routes send anyone else to sign in, and bring them back."""
    return await sessions.current_sign_in(request, db)


ACCESS_DEPENDENCIES.add(signed_in_person)
Person = Annotated[SignedIn | None, Depends(signed_in_person)]


def _here(path: str, return_to: str) -> str:
    """This page, carrying where to go back to afterwards (nothing when that is the account page)."""
    return path if return_to == DEFAULT_RETURN_TO else f"{path}?{urlencode({'return_to': return_to})}"


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "tomorrow"
    return moment.strftime("%-d %B %Y at %H:%M UTC")


_REAL_DATE = "Date of birth must be a real date, like 27 3 1987"


def _real_date(parts: dict[str, str]) -> date | None:
    if not all(value.isascii() and value.isdigit() for value in parts.values()) or len(parts["year"]) != 4:
        return None
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        return None


def _date_or_problem(parts: dict[str, str]) -> date | tuple[str, str]:
    """The date of birth from the GOV.UK date input's three fields, or the one problem with it, keyed by
    the field to fix first."""
    missing = [name for name, value in parts.items() if not value]
    if len(missing) == len(parts):
        return "date-of-birth-day", "Enter your date of birth"
    if missing:
        return f"date-of-birth-{missing[0]}", f"Date of birth must include a {' and '.join(missing)}"
    born = _real_date(parts)
    if born is None:
        return "date-of-birth-day", _REAL_DATE
    if born >= utcnow().date():
        return "date-of-birth-day", "Date of birth must be in the past"
    if born.year < OLDEST_YEAR:
        return "date-of-birth-year", f"Date of birth must be after {OLDEST_YEAR}"
    return born


def _name(value: str, key: str, label: str, errors: dict[str, str]) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        errors[key] = f"Enter your {label}"
    elif len(cleaned) > MAX_NAME:
        errors[key] = f"Your {label} must be {MAX_NAME} characters or fewer"
    elif not cleaned.isprintable():
        errors[key] = f"Your {label} must contain only letters, spaces, hyphens and apostrophes"
    return cleaned


def claim_from(form: FormData) -> tuple[IdentityClaim | None, dict[str, str]]:
    """The identity the form claims, or the errors that say what to fix, in the order of the fields."""
    errors: dict[str, str] = {}
    given = _name(field(form, "given-name"), "given-name", "given name", errors)
    family = _name(field(form, "family-name"), "family-name", "family name", errors)
    parts = {part: field(form, f"date-of-birth-{part}").strip() for part in ("day", "month", "year")}
    born = _date_or_problem(parts)
    if isinstance(born, tuple):
        errors[born[0]] = born[1]
    record_key = "".join(field(form, "registration-number").split())
    if not record_key:
        errors["registration-number"] = "Enter your birth registration number"
    elif len(record_key) > MAX_RECORD_KEY or not (record_key.isascii() and record_key.isalnum()):
        errors["registration-number"] = (
            "Enter the registration number as it is on your birth certificate, like B000123"
        )
    if errors or not isinstance(born, date):
        return None, errors
    return IdentityClaim(given, family, born, record_key), errors


def _values(form: FormData | None) -> dict[str, str]:
    names = ("given-name", "family-name", "date-of-birth-day", "date-of-birth-month", "date-of-birth-year")
    return {name: field(form, name) if form else "" for name in (*names, "registration-number")}


def _date_items(values: dict[str, str], errors: dict[str, str]) -> list[dict[str, str]]:
    """The date input's three fields, marked when the date is wrong: the empty ones when some are
    missing, else all three."""
    wrong = any(name.startswith("date-of-birth-") for name in errors)
    parts = (("day", 2), ("month", 2), ("year", 4))
    empty = {part for part, _ in parts if not values[f"date-of-birth-{part}"].strip()}
    return [
        {
            "name": part,
            "value": values[f"date-of-birth-{part}"],
            "autocomplete": f"bday-{part}",
            "classes": f"govuk-input--width-{width}"
            + (" govuk-input--error" if wrong and (not empty or part in empty) else ""),
        }
        for part, width in parts
    ]


def _form(
    request: Request,
    pages: PageRenderer,
    return_to: str,
    *,
    form: FormData | None = None,
    errors: dict[str, str] | None = None,
    mismatch: str | None = None,
    attempts_left: int = MAX_FAILED_ATTEMPTS,
    status: int = 200,
) -> Response:
    """The form; with the fields' errors, or with why the details as a whole did not prove an identity
    (linked to the first field, as GOV.UK's error summary does for a problem with no one field)."""
    errors = errors or {}
    values = _values(form)
    error_list = [{"text": text, "href": f"#{name}"} for name, text in errors.items()]
    if mismatch:
        error_list.append({"text": mismatch, "href": "#given-name"})
    return pages.render(
        request,
        "identity/proving/prove_identity.html",
        {
            "page_title": ("Error: " if error_list else "") + "Prove your identity",
            "return_to": return_to,
            "values": values,
            "date_items": _date_items(values, errors),
            "date_error": next((t for n, t in errors.items() if n.startswith("date-of-birth-")), None),
            "errors": errors,
            "error_list": error_list,
            "mismatch": mismatch,
            "attempts_left": attempts_left,
            "max_attempts": MAX_FAILED_ATTEMPTS,
        },
        status_code=status,
    )


def _paused(request: Request, pages: PageRenderer, retry_after: datetime | None) -> Response:
    seconds = max(int((retry_after - utcnow()).total_seconds()), 1) if retry_after else 86_400
    return pages.render(
        request,
        "identity/proving/paused.html",
        {"page_title": "You cannot prove your identity at the moment", "retry_when": _when(retry_after)},
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


@router.get(PROVE_PATH)
async def prove_identity_page(
    request: Request,
    person: Person,
    db: DbSession,
    pages: PageRenderer,
    return_to: str | None = None,
) -> Response:
    back = return_to_or_default(return_to)
    if person is None:
        return needs_sign_in(_here(PROVE_PATH, back))
    verified = await verified_identity(db, person.account_id)
    if verified is not None:
        return pages.render(
            request,
            "identity/proving/proved.html",
            {"page_title": "You have proved your identity", "verified": verified, "return_to": back},
        )
    left, retry_after = await attempts_remaining(db, person.account_id)
    if left == 0:
        return _paused(request, pages, retry_after)
    return _form(request, pages, back, attempts_left=left)


@router.post(PROVE_PATH)
async def prove_identity_submitted(
    request: Request,
    _: CsrfChecked,
    person: Person,
    db: DbSession,
    settings: AppSettings,
    pages: PageRenderer,
) -> Response:
    form = await request.form()
    back = return_to_or_default(field(form, "return_to"))
    if person is None:
        return needs_sign_in(_here(PROVE_PATH, back))
    claim, errors = claim_from(form)
    if claim is None:
        left, retry_after = await attempts_remaining(db, person.account_id)
        if left == 0:
            return _paused(request, pages, retry_after)
        return _form(request, pages, back, form=form, errors=errors, attempts_left=left, status=422)
    result = await prove_identity(db, settings, person.account_id, claim)
    if result.outcome in {Outcome.MATCHED, Outcome.ALREADY_PROVED}:
        # Back to the service that asked for P2, or to the page that says it is done.
        return redirect(back if back != DEFAULT_RETURN_TO else PROVE_PATH)
    if result.outcome is Outcome.THROTTLED or result.attempts_left == 0:
        return _paused(request, pages, result.retry_after)
    plural = "s" if result.attempts_left != 1 else ""
    tries = f"You can try {result.attempts_left} more time{plural} today."
    if result.outcome is Outcome.ALREADY_USED:
        message = (
            "These details have already been used to prove the identity of another account. If that was "
            f"not you, contact us. {tries}"
        )
    else:
        message = (
            "We could not match these details to a birth registration. Check them against your birth "
            f"certificate and try again. {tries}"
        )
    return _form(
        request,
        pages,
        back,
        form=form,
        mismatch=message,
        attempts_left=result.attempts_left,
        status=422,
    )


@router.get(ORGANISATIONS_PATH)
async def organisations_page(
    request: Request, person: Person, db: DbSession, pages: PageRenderer
) -> Response:
    if person is None:
        return needs_sign_in(ORGANISATIONS_PATH)
    representations = await organisations_of(db, person.account_id)
    context: dict[str, Any] = {
        "page_title": "Your organisations",
        "representations": representations,
        "email": person.email,
    }
    return pages.render(request, "identity/organisations/index.html", context)
