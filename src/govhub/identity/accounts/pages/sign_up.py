"""Sign up: email and a new password, a link by email to confirm the address (the account is made only
then), the authenticator app, and recovery codes shown once."""

from __future__ import annotations

import segno
from fastapi import Request
from markupsafe import Markup
from starlette.responses import Response

from govhub.dependencies import AppSettings, DbSession, PageRenderer
from govhub.identity.accounts import passwords, sessions, totp
from govhub.identity.accounts.errors import AccountExists
from govhub.identity.accounts.journeys import AccountJourneys, must_step_up_to_replace_authenticator
from govhub.identity.accounts.pages import support
from govhub.identity.accounts.service import email_problem, normalised_email, secret_problems
from govhub.identity.accounts.signed_in import sign_in_url
from govhub.identity.accounts.throttle import TooManyAttempts
from govhub.kit import forms
from govhub.kit.access import PUBLIC
from govhub.kit.csrf import CsrfChecked
from govhub.kit.routing import api_router

router = api_router(dependencies=[PUBLIC], include_in_schema=False)

SIGN_UP = "identity/account/sign_up.html"


def _sign_up_context(return_to: str, email: str = "") -> dict[str, object]:
    return {
        "return_to": return_to,
        "values": {"email": email},
        "sign_in_href": sign_in_url(return_to),
    }


@router.get("/sign-up")
async def sign_up_page(request: Request, pages: PageRenderer, return_to: str | None = None) -> Response:
    return forms.form_page(pages, request, SIGN_UP, _sign_up_context(support.return_to_or_default(return_to)))


@router.post("/sign-up")
async def sign_up(
    request: Request, _: CsrfChecked, db: DbSession, pages: PageRenderer, settings: AppSettings
) -> Response:
    form = await request.form()
    email, password = forms.field(form, "email"), forms.field(form, "password")
    return_to = support.return_to_or_default(forms.field(form, "return_to"))
    errors = {}
    if (problem := email_problem(email)) is not None:
        errors["email"] = problem[0].upper() + problem[1:]
    if not password:
        errors["password"] = "Create a password"  # noqa: S105 (a message)
    elif problems := passwords.password_problems(password):
        errors["password"] = problems[0][0].upper() + problems[0][1:]
    if errors:
        return forms.form_page(pages, request, SIGN_UP, _sign_up_context(return_to, email), errors)
    email = normalised_email(email)
    try:
        await AccountJourneys(db, settings).start_sign_up(
            email, password, return_to, support.client_address(request)
        )
    except TooManyAttempts as error:
        return support.too_many(request, pages, error, page_title="Too many attempts")
    return forms.render_page(
        pages,
        request,
        "identity/account/check_email.html",
        {
            "message": f"We have sent an email to {email}. Follow the link in it to confirm your address.",
            "lifetime": "24 hours",
            "again_href": support.onward("/sign-up", return_to),
        },
    )


def _link_invalid(request: Request, pages: PageRenderer) -> Response:
    return forms.render_page(
        pages,
        request,
        "identity/account/link_invalid.html",
        {"again_href": "/sign-up", "again_text": "Create an account again"},
        status_code=400,
    )


@router.get("/sign-up/verify")
async def verify_page(
    *,
    request: Request,
    db: DbSession,
    pages: PageRenderer,
    settings: AppSettings,
    token: str = "",
    return_to: str | None = None,
) -> Response:
    if not await AccountJourneys(db, settings).sign_up_link_usable(token):
        return _link_invalid(request, pages)
    return forms.render_page(
        pages,
        request,
        "identity/account/confirm_link.html",
        {
            "heading": "Confirm your email address",
            "message": "Confirm this address to finish creating your account.",
            "button": "Confirm and continue",
            "action": "/sign-up/verify",
            "token": token,
            "return_to": support.return_to_or_default(return_to),
        },
    )


@router.post("/sign-up/verify")
async def verify(
    request: Request, _: CsrfChecked, db: DbSession, pages: PageRenderer, settings: AppSettings
) -> Response:
    form = await request.form()
    return_to = support.return_to_or_default(forms.field(form, "return_to"))
    try:
        account = await AccountJourneys(db, settings).finish_sign_up(forms.field(form, "token"))
    except AccountExists:
        # Confirmed twice from two sign-ups: the account is there, so sign in to it.
        return forms.redirect(sign_in_url(return_to))
    if account is None:
        return _link_invalid(request, pages)
    token = await sessions.begin(request, db, account, "Cl")
    return support.signed_in_redirect(support.onward("/account/authenticator", return_to), token, settings)


# --- the authenticator app and recovery codes -----------------------------------------------------------


def qr_code_svg(text: str) -> Markup:
    """`text` as a QR code, an inline SVG drawn on the server (no script, no image request). Error
    correction M survives a phone camera's glare; the light modules are painted, so the quiet zone shows on
    any background. The page gives it its text alternative."""
    code = segno.make(text, error="m", boost_error=False)
    svg = code.svg_inline(scale=4, dark="#0b0c0c", light="#ffffff", svgclass="govhub-qr-code__image")
    return Markup(svg)  # noqa: S704 (segno's own markup: the text becomes modules, it is never copied in)


def _authenticator_page(
    request: Request,
    pages: PageRenderer,
    *,
    email: str,
    secret: str,
    return_to: str,
    issuer: str,
    stepping_up: bool = False,
    errors: dict[str, str] | None = None,
) -> Response:
    otpauth_uri = totp.provisioning_uri(secret, email, issuer)
    context = {
        "secret": secret,
        "secret_grouped": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "otpauth_uri": otpauth_uri,
        "otpauth_qr_code": qr_code_svg(otpauth_uri),
        "return_to": return_to,
        "stepping_up": stepping_up,
    }
    return forms.form_page(pages, request, "identity/account/authenticator.html", context, errors)


@router.get("/account/authenticator")
async def authenticator_page(
    *,
    request: Request,
    db: DbSession,
    pages: PageRenderer,
    settings: AppSettings,
    return_to: str | None = None,
    level: str | None = None,
) -> Response:
    here = support.onward("/account/authenticator", support.return_to_or_default(return_to))
    found = await sessions.current_session(request, db)
    if found is None or found[0].auth_level is None:
        return support.needs_sign_in(here)
    sign_in, account = found
    if must_step_up_to_replace_authenticator(sign_in, account):
        return support.needs_sign_in(here, "Cl.Cm")
    return _authenticator_page(
        request,
        pages,
        email=account.email,
        secret=totp.new_secret(),
        return_to=support.return_to_or_default(return_to),
        issuer=settings.brand_name,
        # Sent here by a service that asked for two factors, from an account with a password only.
        stepping_up=level == "Cl.Cm",
    )


@router.post("/account/authenticator")
async def set_up_authenticator(
    request: Request, _: CsrfChecked, db: DbSession, pages: PageRenderer, settings: AppSettings
) -> Response:
    form = await request.form()
    return_to = support.return_to_or_default(forms.field(form, "return_to"))
    here = support.onward("/account/authenticator", return_to)
    found = await sessions.current_session(request, db)
    if found is None or found[0].auth_level is None:
        return support.needs_sign_in(here)
    sign_in, account = found
    if must_step_up_to_replace_authenticator(sign_in, account):
        return support.needs_sign_in(here, "Cl.Cm")
    secret = forms.field(form, "secret").replace(" ", "").upper()
    if not secret or secret_problems(secret):
        # Only a tampered form gets here: start again with a fresh key.
        return forms.redirect(here)
    code = forms.field(form, "code")
    try:
        enrolled = await AccountJourneys(db, settings).enrol_authenticator(
            sign_in, account, secret, code, support.client_address(request)
        )
    except TooManyAttempts as error:
        return support.too_many(request, pages, error, page_title="Too many attempts")
    if enrolled is None:
        message = (
            "Enter the 6-digit code your authenticator app shows for this key" if code else "Enter the code"
        )
        return _authenticator_page(
            request,
            pages,
            email=account.email,
            secret=secret,
            return_to=return_to,
            issuer=settings.brand_name,
            errors={"code": message},
        )
    token, codes = enrolled
    response = forms.render_page(
        pages, request, "identity/account/recovery_codes.html", {"codes": codes, "continue_href": return_to}
    )
    sessions.set_cookie(response, token, settings)
    return response
