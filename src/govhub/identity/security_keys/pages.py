"""Security keys and passkeys (WebAuthn) as a second factor: adding one from the account page, removing
one, and signing in with one in place of the authenticator app's code.

A key is a second factor beside the authenticator app, never instead of it: adding one needs the app (and
so the recovery codes that come with it) and a session signed in with two factors. The browser's part
needs JavaScript (`/assets/security-key.js`); the pages say so, and offer the code, when it cannot run.
The challenge of each ceremony is kept server-side for the session (`security_keys`)."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from govhub.dependencies import AppSettings, DbSession, PageRenderer
from govhub.identity.accounts import sessions
from govhub.identity.accounts.journeys import AccountJourneys, has_authenticator
from govhub.identity.accounts.models import Account, SignInSession
from govhub.identity.accounts.pages import support
from govhub.identity.accounts.throttle import TooManyAttempts
from govhub.identity.security_keys.service import (
    MAX_CREDENTIAL_JSON,
    SecurityKeyRefused,
    SecurityKeys,
    name_problem,
)
from govhub.kit import forms
from govhub.kit.access import PUBLIC
from govhub.kit.csrf import CsrfChecked
from govhub.kit.routing import api_router
from govhub.kit.templating import Pages

router = api_router(dependencies=[PUBLIC], include_in_schema=False)

ADD = "identity/account/security_key_add.html"
USE = "identity/account/security_key.html"
#: What a browser's script posts in `credential_error` when `navigator.credentials` refused (the DOMException
#: name), and what the person is told.
_BROWSER_ERRORS = {
    "NotAllowedError": "Your security key did not respond, or you cancelled. Try again",
    "InvalidStateError": "This security key is already registered",
    "SecurityError": "This browser would not use a security key on this site",
    "NotSupportedError": "This browser or security key is not supported. Use a code instead",
}
_NO_RESPONSE = "Your browser did not send a response from your security key. Try again"


def _credential(form: FormData) -> str:
    """The posted credential JSON ("" when none came); one longer than any real one stands as unreadable
    (and is refused so)."""
    value = form.get("credential")
    if not isinstance(value, str):
        return ""
    return value if len(value) <= MAX_CREDENTIAL_JSON else "x"


def _browser_error(form: FormData) -> str:
    return _BROWSER_ERRORS.get(forms.field(form, "credential_error"), _NO_RESPONSE)


async def _two_factor_session(
    request: Request, db: DbSession, here: str
) -> tuple[SignInSession, Account] | Response:
    """The session and account when this browser may manage security keys; otherwise where to go first."""
    found = await sessions.current_session(request, db)
    if found is None or found[0].auth_level is None:
        return support.needs_sign_in(here)
    sign_in, account = found
    if not has_authenticator(account):
        # Keys come after the app, whose recovery codes are the way back in when a key is lost.
        return forms.redirect(support.onward("/account/authenticator", here))
    if sign_in.auth_level != "Cl.Cm":
        return support.needs_sign_in(here, "Cl.Cm")
    return sign_in, account


# --- adding and removing keys ---------------------------------------------------------------------------


async def _add_page(
    request: Request,
    pages: Pages,
    keys: SecurityKeys,
    found: tuple[SignInSession, Account],
    *,
    name: str = "",
    errors: dict[str, str] | None = None,
) -> Response:
    # Every showing gets a new challenge, so a page shown again after an error can be answered.
    options = await keys.registration_options(*found)
    return forms.form_page(pages, request, ADD, {"options_json": options, "values": {"name": name}}, errors)


@router.get("/account/security-keys/new")
async def add_security_key_page(
    request: Request, db: DbSession, pages: PageRenderer, settings: AppSettings
) -> Response:
    found = await _two_factor_session(request, db, "/account/security-keys/new")
    if isinstance(found, Response):
        return found
    return await _add_page(request, pages, SecurityKeys(db, settings), found)


@router.post("/account/security-keys")
async def add_security_key(
    request: Request, _: CsrfChecked, db: DbSession, pages: PageRenderer, settings: AppSettings
) -> Response:
    found = await _two_factor_session(request, db, "/account/security-keys/new")
    if isinstance(found, Response):
        return found
    form = await request.form()
    keys = SecurityKeys(db, settings)
    name = " ".join(forms.field(form, "name").split())
    if (problem := name_problem(name)) is not None:
        return await _add_page(request, pages, keys, found, name=name, errors={"name": problem})
    credential = _credential(form)
    if not credential:
        errors = {"security-key": _browser_error(form)}
        return await _add_page(request, pages, keys, found, name=name, errors=errors)
    try:
        await keys.register(*found, credential, name)
    except SecurityKeyRefused as refused:
        errors = {"security-key": refused.message}
        return await _add_page(request, pages, keys, found, name=name, errors=errors)
    return forms.redirect("/account")


@router.post("/account/security-keys/remove")
async def remove_security_key(
    request: Request, _: CsrfChecked, db: DbSession, settings: AppSettings
) -> Response:
    found = await _two_factor_session(request, db, "/account")
    if isinstance(found, Response):
        return found
    form = await request.form()
    key_id = forms.field(form, "key_id")
    # Only the account's own keys: another account's id, or no id at all, removes nothing.
    if key_id.isascii() and key_id.isdigit() and len(key_id) < 19:  # an id the database can hold
        await SecurityKeys(db, settings).remove(found[1], int(key_id))
    return forms.redirect("/account")


# --- signing in with a key ------------------------------------------------------------------------------


async def _use_page(
    request: Request,
    pages: Pages,
    keys: SecurityKeys,
    found: tuple[SignInSession, Account],
    *,
    back: str,
    level: str,
    errors: dict[str, str] | None = None,
) -> Response:
    context = {
        "options_json": await keys.authentication_options(*found),
        "email": found[1].email,
        "return_to": back,
        "level": level,
        "code_href": support.onward("/sign-in/code", back, level),
    }
    return forms.form_page(pages, request, USE, context, errors)


async def _half_signed_in(
    request: Request, db: DbSession, keys: SecurityKeys, *, back: str, level: str
) -> tuple[SignInSession, Account] | Response:
    """The session awaiting its second factor (or stepping up to two), when a key can be used for it."""
    found = await sessions.current_session(request, db)
    if found is None:
        return support.needs_sign_in(back, level)
    sign_in, account = found
    if sign_in.auth_level == "Cl.Cm":
        return forms.redirect(back)
    if not await keys.has_keys(account):
        return forms.redirect(support.onward("/sign-in/code", back, level))
    return sign_in, account


@router.get("/sign-in/security-key")
async def use_security_key_page(
    request: Request,
    *,
    db: DbSession,
    pages: PageRenderer,
    settings: AppSettings,
    return_to: str | None = None,
    level: str | None = None,
) -> Response:
    back = support.return_to_or_default(return_to)
    wanted = support.auth_level_or_refuse(level)
    keys = SecurityKeys(db, settings)
    found = await _half_signed_in(request, db, keys, back=back, level=wanted)
    if isinstance(found, Response):
        return found
    return await _use_page(request, pages, keys, found, back=back, level=wanted)


@router.post("/sign-in/security-key")
async def use_security_key(
    request: Request, _: CsrfChecked, db: DbSession, pages: PageRenderer, settings: AppSettings
) -> Response:
    form = await request.form()
    back = support.return_to_or_default(forms.field(form, "return_to"))
    wanted = support.auth_level_or_refuse(forms.field(form, "level"))
    keys = SecurityKeys(db, settings)
    found = await _half_signed_in(request, db, keys, back=back, level=wanted)
    if isinstance(found, Response):
        return found
    sign_in, account = found
    journeys = AccountJourneys(db, settings)
    credential = _credential(form)
    if not credential:
        # The browser's prompt was cancelled or timed out: not a guess, so not counted.
        errors = {"security-key": _browser_error(form)}
        return await _use_page(request, pages, keys, found, back=back, level=wanted, errors=errors)
    try:
        attempt = await journeys.second_factor_attempt(
            account, support.client_address(request), what="attempts with a code or security key"
        )
    except TooManyAttempts as error:
        return support.too_many(request, pages, error, page_title="Too many attempts")
    try:
        await keys.authenticate(sign_in, account, credential)
    except SecurityKeyRefused as refused:
        errors = {"security-key": refused.message}
        return await _use_page(request, pages, keys, found, back=back, level=wanted, errors=errors)
    token = await journeys.second_factor_passed(attempt, sign_in, account)
    return support.signed_in_redirect(back, token, settings)
