"""Sign up: email and a new password, a link by email to confirm the address (the account is made only
then), the authenticator app, and recovery codes shown once."""

from __future__ import annotations

import segno
from fastapi import Request
from markupsafe import Markup
from starlette.responses import Response

from govhub.dependencies import AppSettings, DbSession, PageRenderer
from govhub.identity.accounts import email_tokens, passwords, sessions, totp
from govhub.identity.accounts.errors import AccountExists
from govhub.identity.accounts.pages import support
from govhub.identity.accounts.service import NewAccount, email_problem, normalised_email, secret_problems
from govhub.identity.accounts.signed_in import sign_in_url
from govhub.identity.accounts.throttle import (
    CODE_PER_ACCOUNT,
    CODE_PER_CLIENT,
    MAIL_PER_CLIENT,
    MAIL_PER_EMAIL,
    Throttle,
    TooManyAttempts,
    account_subject,
    email_subject,
)
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
    return support.form_page(
        request, pages, SIGN_UP, _sign_up_context(support.return_to_or_default(return_to))
    )


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
        return support.form_page(request, pages, SIGN_UP, _sign_up_context(return_to, email), errors)
    email = normalised_email(email)
    service = support.service(db, settings)
    throttle = Throttle(service.repository)
    checks = [(MAIL_PER_EMAIL, email_subject(email)), (MAIL_PER_CLIENT, support.client_address(request))]
    try:
        await throttle.attempt(checks, what="emails asked for")
    except TooManyAttempts as error:
        return support.too_many(request, pages, error, page_title="Too many attempts")
    # Hashed whether or not the address has an account, so the time taken does not tell.
    password_hash = await passwords.hash_in_thread(password)
    if await service.repository.account_by_email(email) is not None:
        await support.send_mail(
            settings,
            email,
            f"You already have a {settings.brand_name} account",
            "Someone, perhaps you, tried to create an account with this email address, which already has "
            f"one.\n\nSign in: {support.link(settings, '/sign-in')}\n"
            f"Forgotten your password? {support.link(settings, '/password-reset')}\n\n"
            "If it was not you, you need do nothing.",
        )
    else:
        token = await email_tokens.issue(
            service.repository, email_tokens.SIGN_UP, email, password_hash=password_hash
        )
        url = support.link(settings, "/sign-up/verify", token=token, return_to=return_to)
        await support.send_mail(
            settings,
            email,
            "Confirm your email address",
            f"Confirm your email address to finish creating your {settings.brand_name} account:\n\n{url}\n\n"
            "The link works once and expires after 24 hours. If you did not ask for an account, ignore this "
            "email: none is made until the address is confirmed.",
        )
    return support.render(
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
    return support.render(
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
    repository = support.service(db, settings).repository
    if await email_tokens.usable(repository, token, email_tokens.SIGN_UP) is None:
        return _link_invalid(request, pages)
    return support.render(
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
    service = support.service(db, settings)
    row = await email_tokens.usable(service.repository, forms.field(form, "token"), email_tokens.SIGN_UP)
    if row is None or row.password_hash is None or not await email_tokens.use(service.repository, row):
        return _link_invalid(request, pages)
    try:
        account = await service.create_account(
            NewAccount(row.email, "", email_verified=True), password_hash=row.password_hash
        )
    except AccountExists:
        # Confirmed twice from two sign-ups: the account is there, so sign in to it.
        return forms.redirect(sign_in_url(return_to))
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
    return support.form_page(request, pages, "identity/account/authenticator.html", context, errors)


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
    if account.totp_secret is not None and sign_in.auth_level != "Cl.Cm":
        # Replacing an app takes the one there is now: step up first.
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
    if account.totp_secret is not None and sign_in.auth_level != "Cl.Cm":
        return support.needs_sign_in(here, "Cl.Cm")
    service = support.service(db, settings)
    secret = forms.field(form, "secret").replace(" ", "").upper()
    if not secret or secret_problems(secret):
        # Only a tampered form gets here: start again with a fresh key.
        return forms.redirect(here)
    code = forms.field(form, "code")
    throttle = Throttle(service.repository)
    checks = [
        (CODE_PER_ACCOUNT, account_subject(account.id)),
        (CODE_PER_CLIENT, support.client_address(request)),
    ]
    try:
        attempt = await throttle.attempt(checks, what="codes entered")
    except TooManyAttempts as error:
        return support.too_many(request, pages, error, page_title="Too many attempts")
    if not service.enrol_authenticator(account, secret, code):
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
    await throttle.release(attempt)
    await throttle.forget(CODE_PER_ACCOUNT, account_subject(account.id))
    token = sessions.raise_level(sign_in, "Cl.Cm")
    codes = await service.new_recovery_codes(account)
    response = support.render(
        pages, request, "identity/account/recovery_codes.html", {"codes": codes, "continue_href": return_to}
    )
    sessions.set_cookie(response, token, settings)
    return response
