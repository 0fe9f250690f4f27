"""Sign in (password, then a code when the account has an authenticator app or two factors are asked
for; a security key may stand in for the code, `security_key_pages`), step-up from one factor to two, sign
out, and password reset by email.

Every page takes `return_to` (a path on this site; anything else means the account page) and `level`
(`Cl` or `Cl.Cm`), and ends with a 303 to `return_to`."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from govhub.config import Settings
from govhub.dependencies import AppSettings, DbSession, PageRenderer
from govhub.identity.accounts import email_tokens, passwords, sessions
from govhub.identity.accounts.models import Account, SignInSession
from govhub.identity.accounts.pages import support
from govhub.identity.accounts.service import email_problem, normalised_email
from govhub.identity.accounts.throttle import (
    CODE_PER_ACCOUNT,
    CODE_PER_CLIENT,
    MAIL_PER_CLIENT,
    MAIL_PER_EMAIL,
    SIGN_IN_PER_CLIENT,
    SIGN_IN_PER_EMAIL,
    Attempt,
    Limit,
    Throttle,
    TooManyAttempts,
    account_subject,
    email_subject,
)
from govhub.identity.security_keys.repository import SecurityKeyRepository
from govhub.kit import forms
from govhub.kit.access import PUBLIC
from govhub.kit.csrf import CsrfChecked
from govhub.kit.routing import api_router

router = api_router(dependencies=[PUBLIC], include_in_schema=False)

SIGN_IN = "identity/account/sign_in.html"
CODE = "identity/account/code.html"


def second_factor_checks(request: Request, account: Account) -> list[tuple[Limit, str]]:
    """The limits on second-factor guesses: codes and security keys count together."""
    return [
        (CODE_PER_ACCOUNT, account_subject(account.id)),
        (CODE_PER_CLIENT, support.client_address(request)),
    ]


async def second_factor_passed(
    throttle: Throttle,
    attempt: Attempt,
    sign_in: SignInSession,
    account: Account,
    *,
    back: str,
    settings: Settings,
) -> Response:
    """The second factor is checked, whichever it was: the session is raised to two factors (with a new
    token) and the browser goes back where it was going."""
    await throttle.release(attempt)
    await throttle.forget(CODE_PER_ACCOUNT, account_subject(account.id))
    token = sessions.raise_level(sign_in, "Cl.Cm")
    return support.signed_in_redirect(back, token, settings)


async def _code_context(db: AsyncSession, account: Account, back: str, level: str) -> dict[str, object]:
    has_keys = await SecurityKeyRepository(db).has_keys(account.id)
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
    return support.form_page(request, pages, SIGN_IN, _sign_in_context(back, wanted))


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
        return support.form_page(request, pages, SIGN_IN, context, errors)
    service = support.service(db, settings)
    throttle = Throttle(service.repository)
    checks = [
        (SIGN_IN_PER_EMAIL, email_subject(email)),
        (SIGN_IN_PER_CLIENT, support.client_address(request)),
    ]
    # Counted (and committed) before the password is checked, so concurrent guesses cannot all slip under
    # the limit. The hash (about 20 ms) then runs in a thread with no lock held: on SQLite the reads here
    # take none (`govhub.sqlite_connection`), on PostgreSQL reads never do.
    try:
        attempt = await throttle.attempt(checks, what="attempts to sign in")
    except TooManyAttempts as error:
        return support.too_many(request, pages, error, page_title="Too many attempts to sign in")
    account = await service.account_for_sign_in(email)
    if account is None or not await service.password_matches(account, password):
        # The same answer for an unknown address and a wrong password; the attempt stays counted.
        wrong = "The email address or password is not right. Check them and try again"
        return support.form_page(request, pages, SIGN_IN, context, {"password": wrong})
    await throttle.release(attempt)
    await throttle.forget(SIGN_IN_PER_EMAIL, email_subject(email))
    if account.totp_secret is not None:
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
    request: Request,
    db: DbSession,
    pages: PageRenderer,
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
    if account.totp_secret is None:
        return forms.redirect(support.onward("/account/authenticator", back, "Cl.Cm"))
    return support.form_page(request, pages, CODE, await _code_context(db, account, back, wanted))


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
    if account.totp_secret is None:
        return forms.redirect(support.onward("/account/authenticator", back, "Cl.Cm"))
    service = support.service(db, settings)
    throttle = Throttle(service.repository)
    code = forms.field(form, "code").strip()
    context = await _code_context(db, account, back, wanted)
    if not code:
        # No guess, so nothing to count.
        return support.form_page(request, pages, CODE, context, {"code": "Enter the code"})
    try:
        attempt = await throttle.attempt(second_factor_checks(request, account), what="codes entered")
    except TooManyAttempts as error:
        return support.too_many(request, pages, error, page_title="Too many codes entered")
    accepted = await service.claim_code(account, code) or await service.use_recovery_code(account, code)
    if not accepted:
        wrong = "The code is not right, or has been used already. Enter the code your app shows now"
        return support.form_page(request, pages, CODE, context, {"code": wrong})
    return await second_factor_passed(throttle, attempt, sign_in, account, back=back, settings=settings)


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
    return support.render(
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
    return support.form_page(request, pages, RESET, {"values": {"email": ""}})


@router.post("/password-reset")
async def password_reset(
    request: Request, _: CsrfChecked, db: DbSession, pages: PageRenderer, settings: AppSettings
) -> Response:
    form = await request.form()
    email = forms.field(form, "email")
    if (problem := email_problem(email)) is not None:
        errors = {"email": problem[0].upper() + problem[1:]}
        return support.form_page(request, pages, RESET, {"values": {"email": email}}, errors)
    email = normalised_email(email)
    service = support.service(db, settings)
    throttle = Throttle(service.repository)
    checks = [(MAIL_PER_EMAIL, email_subject(email)), (MAIL_PER_CLIENT, support.client_address(request))]
    try:
        await throttle.attempt(checks, what="emails asked for")
    except TooManyAttempts as error:
        return support.too_many(request, pages, error, page_title="Too many attempts")
    account = await service.repository.account_by_email(email)
    if account is not None:
        token = await email_tokens.issue(
            service.repository, email_tokens.PASSWORD_RESET, email, account_id=account.id
        )
        url = support.link(settings, "/password-reset/new", token=token)
        await support.send_mail(
            settings,
            email,
            "Reset your password",
            f"Choose a new password for your {settings.brand_name} account:\n\n{url}\n\n"
            "The link works once and expires after 1 hour. If you did not ask to reset your password, "
            "ignore this email: your password has not changed.",
        )
    # The same page whether or not there is an account, so it tells nobody which addresses have one.
    return support.render(
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
    return support.render(
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
    row = await email_tokens.usable(
        support.service(db, settings).repository, token, email_tokens.PASSWORD_RESET
    )
    if row is None:
        return _reset_link_invalid(request, pages)
    return support.form_page(request, pages, NEW_PASSWORD, {"token": token, "email": row.email})


@router.post("/password-reset/new")
async def choose_new_password(
    request: Request, _: CsrfChecked, db: DbSession, pages: PageRenderer, settings: AppSettings
) -> Response:
    form = await request.form()
    token, password = forms.field(form, "token"), forms.field(form, "password")
    service = support.service(db, settings)
    row = await email_tokens.usable(service.repository, token, email_tokens.PASSWORD_RESET)
    account = (
        None
        if row is None or row.account_id is None
        else await service.repository.account_by_id(row.account_id)
    )
    if row is None or account is None:
        return _reset_link_invalid(request, pages)
    problems = passwords.password_problems(password) if password else ["enter a new password"]
    if problems:
        errors = {"password": problems[0][0].upper() + problems[0][1:]}
        return support.form_page(request, pages, NEW_PASSWORD, {"token": token, "email": row.email}, errors)
    if not await email_tokens.use(service.repository, row):
        return _reset_link_invalid(request, pages)
    await service.set_password(account, password)
    if account.email_verified_at is None:
        account.email_verified_at = row.created_at  # the link reached the mailbox: the address is proved
    # Whoever knew the old password is signed out, on every device.
    await sessions.end_every_session(db, account.id, settings)
    await Throttle(service.repository).forget(SIGN_IN_PER_EMAIL, email_subject(account.email))
    response = support.render(
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
