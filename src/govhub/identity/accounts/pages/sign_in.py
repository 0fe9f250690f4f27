"""Sign in (password, then a code when the account has an authenticator app or two factors are asked
for; a security key may stand in for the code, `security_key_pages`), step-up from one factor to two, sign
out, and password reset by email.

Every page takes `return_to` (a path on this site; anything else means the account page) and `level`
(`Cl` or `Cl.Cm`), and ends with a 303 to `return_to`."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from govhub.dependencies import AppSettings, DbSession, PageRenderer
from govhub.identity.accounts import sessions
from govhub.identity.accounts.journeys import AccountJourneys, has_authenticator
from govhub.identity.accounts.models import Account
from govhub.identity.accounts.pages import support
from govhub.identity.accounts.service import email_problem, normalised_email
from govhub.identity.accounts.throttle import TooManyAttempts
from govhub.kit import forms
from govhub.kit.access import PUBLIC
from govhub.kit.csrf import CsrfChecked
from govhub.kit.routing import api_router

router = api_router(dependencies=[PUBLIC], include_in_schema=False)

SIGN_IN = "identity/account/sign_in.html"
CODE = "identity/account/code.html"


async def _code_context(
    journeys: AccountJourneys, account: Account, back: str, level: str
) -> dict[str, object]:
    has_keys = await journeys.has_security_keys(account)
    return {
        "return_to": back,
        "level": level,
        "email": account.email,
        "security_key_href": support.onward("/sign-in/security-key", back, level) if has_keys else None,
    }


def _sign_in_context(return_to: str, level: str, email: str = "") -> dict[str, object]:
    return {
        "return_to": return_to,
        "level": level,
        "values": {"email": email},
        "sign_up_href": support.onward("/sign-up", return_to),
    }


@router.get("/sign-in")
async def sign_in_page(
    request: Request,
    *,
    db: DbSession,
    pages: PageRenderer,
    return_to: str | None = None,
    level: str | None = None,
    prompt: str | None = None,
) -> Response:
    wanted = support.auth_level_or_refuse(level)
    back = support.return_to_or_default(return_to)
    current = await sessions.current_sign_in(request, db)
    # A service that asked for a fresh sign-in (OpenID Connect `prompt=login`, `max_age`) gets the form
    # even when this browser is signed in.
    if current is not None and prompt != "login":
        if wanted == "Cl" or current.auth_level == "Cl.Cm":
            return forms.redirect(back)
        # Signed in with a password; two factors asked for: straight to the second (step-up).
        return forms.redirect(support.onward("/sign-in/code", back, wanted))
    return forms.form_page(pages, request, SIGN_IN, _sign_in_context(back, wanted))


@router.post("/sign-in")
async def sign_in(
    request: Request, _: CsrfChecked, db: DbSession, pages: PageRenderer, settings: AppSettings
) -> Response:
    form = await request.form()
    email, password = forms.field(form, "email"), forms.field(form, "password")
    return_to = support.return_to_or_default(forms.field(form, "return_to"))
    level = support.auth_level_or_refuse(forms.field(form, "level"))
    context = _sign_in_context(return_to, level, email)
    errors = {}
    if not email.strip():
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"  # noqa: S105 (a message)
    if errors:
        return forms.form_page(pages, request, SIGN_IN, context, errors)
    try:
        account = await AccountJourneys(db, settings).check_password(
            email, password, support.client_address(request)
        )
    except TooManyAttempts as error:
        return support.too_many(request, pages, error, page_title="Too many attempts to sign in")
    if account is None:
        # The same answer for an unknown address and a wrong password; the attempt stays counted.
        wrong = "The email address or password is not right. Check them and try again"
        return forms.form_page(pages, request, SIGN_IN, context, {"password": wrong})
    if has_authenticator(account):
        token = await sessions.begin(request, db, account, None)
        return support.signed_in_redirect(support.onward("/sign-in/code", return_to, level), token, settings)
    token = await sessions.begin(request, db, account, "Cl")
    if level == "Cl.Cm":
        # Two factors asked for, and the account has only a password: set up the second now.
        return support.signed_in_redirect(
            support.onward("/account/authenticator", return_to, "Cl.Cm"), token, settings
        )
    return support.signed_in_redirect(return_to, token, settings)


@router.get("/sign-in/code")
async def code_page(
    *,
    request: Request,
    db: DbSession,
    pages: PageRenderer,
    settings: AppSettings,
    return_to: str | None = None,
    level: str | None = None,
) -> Response:
    back = support.return_to_or_default(return_to)
    wanted = support.auth_level_or_refuse(level)
    found = await sessions.current_session(request, db)
    if found is None:
        return support.needs_sign_in(back, wanted)
    sign_in, account = found
    if sign_in.auth_level == "Cl.Cm":
        return forms.redirect(back)
    if not has_authenticator(account):
        return forms.redirect(support.onward("/account/authenticator", back, "Cl.Cm"))
    context = await _code_context(AccountJourneys(db, settings), account, back, wanted)
    return forms.form_page(pages, request, CODE, context)


@router.post("/sign-in/code")
async def enter_code(
    request: Request, _: CsrfChecked, db: DbSession, pages: PageRenderer, settings: AppSettings
) -> Response:
    form = await request.form()
    back = support.return_to_or_default(forms.field(form, "return_to"))
    wanted = support.auth_level_or_refuse(forms.field(form, "level"))
    found = await sessions.current_session(request, db)
    if found is None:
        return support.needs_sign_in(back, wanted)
    sign_in, account = found
    if not has_authenticator(account):
        return forms.redirect(support.onward("/account/authenticator", back, "Cl.Cm"))
    journeys = AccountJourneys(db, settings)
    code = forms.field(form, "code").strip()
    context = await _code_context(journeys, account, back, wanted)
    if not code:
        # No guess, so nothing to count.
        return forms.form_page(pages, request, CODE, context, {"code": "Enter the code"})
    try:
        token = await journeys.check_code(sign_in, account, code, support.client_address(request))
    except TooManyAttempts as error:
        return support.too_many(request, pages, error, page_title="Too many codes entered")
    if token is None:
        wrong = "The code is not right, or has been used already. Enter the code your app shows now"
        return forms.form_page(pages, request, CODE, context, {"code": wrong})
    return support.signed_in_redirect(back, token, settings)


@router.post("/sign-out")
async def sign_out(request: Request, _: CsrfChecked, db: DbSession, settings: AppSettings) -> Response:
    found = await sessions.current_session(request, db)
    if found is not None:
        await sessions.end_sessions(db, [found[0].sid])
    response = forms.redirect("/signed-out")
    sessions.clear_cookie(response, settings)
    return response


@router.get("/signed-out")
async def signed_out_page(request: Request, pages: PageRenderer) -> Response:
    return forms.render_page(
        pages,
        request,
        "identity/account/message.html",
        {
            "heading": "You have signed out",
            "paragraphs": ["Services you signed in to through this browser have been told you signed out."],
            "next_href": "/sign-in",
            "next_text": "Sign in again",
        },
    )


# --- password reset -------------------------------------------------------------------------------------

RESET = "identity/account/password_reset.html"
NEW_PASSWORD = "identity/account/new_password.html"  # noqa: S105 (a template)


@router.get("/password-reset")
async def password_reset_page(request: Request, pages: PageRenderer) -> Response:
    return forms.form_page(pages, request, RESET, {"values": {"email": ""}})


@router.post("/password-reset")
async def password_reset(
    request: Request, _: CsrfChecked, db: DbSession, pages: PageRenderer, settings: AppSettings
) -> Response:
    form = await request.form()
    email = forms.field(form, "email")
    if (problem := email_problem(email)) is not None:
        errors = {"email": problem[0].upper() + problem[1:]}
        return forms.form_page(pages, request, RESET, {"values": {"email": email}}, errors)
    email = normalised_email(email)
    try:
        await AccountJourneys(db, settings).send_password_reset(email, support.client_address(request))
    except TooManyAttempts as error:
        return support.too_many(request, pages, error, page_title="Too many attempts")
    # The same page whether or not there is an account, so it tells nobody which addresses have one.
    return forms.render_page(
        pages,
        request,
        "identity/account/check_email.html",
        {
            "message": f"If there is an account for {email}, we have sent it an email with a link to choose "
            "a new password.",
            "lifetime": "1 hour",
            "again_href": "/password-reset",
        },
    )


def _reset_link_invalid(request: Request, pages: PageRenderer) -> Response:
    return forms.render_page(
        pages,
        request,
        "identity/account/link_invalid.html",
        {"again_href": "/password-reset", "again_text": "Ask for a new link"},
        status_code=400,
    )


@router.get("/password-reset/new")
async def new_password_page(
    request: Request, db: DbSession, pages: PageRenderer, settings: AppSettings, token: str = ""
) -> Response:
    email = await AccountJourneys(db, settings).password_reset_email(token)
    if email is None:
        return _reset_link_invalid(request, pages)
    return forms.form_page(pages, request, NEW_PASSWORD, {"token": token, "email": email})


@router.post("/password-reset/new")
async def choose_new_password(
    request: Request, _: CsrfChecked, db: DbSession, pages: PageRenderer, settings: AppSettings
) -> Response:
    form = await request.form()
    token, password = forms.field(form, "token"), forms.field(form, "password")
    outcome = await AccountJourneys(db, settings).choose_new_password(token, password)
    if not outcome.link_ok:
        return _reset_link_invalid(request, pages)
    if outcome.problem is not None:
        errors = {"password": outcome.problem[0].upper() + outcome.problem[1:]}
        context = {"token": token, "email": outcome.email}
        return forms.form_page(pages, request, NEW_PASSWORD, context, errors)
    # Whoever knew the old password is signed out, on every device.
    response = forms.render_page(
        pages,
        request,
        "identity/account/message.html",
        {
            "heading": "Your password has been changed",
            "paragraphs": ["You have been signed out everywhere you were signed in."],
            "next_href": "/sign-in",
            "next_text": "Sign in with your new password",
        },
    )
    sessions.clear_cookie(response, settings)
    return response
