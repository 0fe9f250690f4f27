"""The account page: the account's details, its identity level, its second factors (authenticator app,
security keys) and recovery codes, the devices (browser sessions) signed in to it, and signing out of one or
all of them."""

from __future__ import annotations

import re

from fastapi import Request
from starlette.responses import Response

from govhub.dependencies import AppSettings, DbSession, PageRenderer
from govhub.identity.accounts import sessions
from govhub.identity.accounts.journeys import AccountJourneys, has_authenticator
from govhub.identity.accounts.pages import support
from govhub.identity.accounts.signed_in import prove_identity_url
from govhub.kit import forms
from govhub.kit.access import PUBLIC
from govhub.kit.csrf import CsrfChecked
from govhub.kit.routing import api_router

router = api_router(dependencies=[PUBLIC], include_in_schema=False)

IDENTITY_LEVELS = {
    "P0": "Not proved",
    "P1": "Partly proved",
    "P2": "Proved against an authoritative register",
}
_BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def browser_name(user_agent: str) -> str:
    """'Firefox on Linux' from a User-Agent header: enough for a person to recognise their device."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return str(browser or system)
    cleaned = re.sub(r"[^\x20-\x7e]", "", user_agent)[:60]
    return cleaned or "Unknown browser"


@router.get("/account")
async def account_page(
    request: Request, db: DbSession, pages: PageRenderer, settings: AppSettings
) -> Response:
    found = await sessions.current_session(request, db)
    if found is None or found[0].auth_level is None:
        return support.needs_sign_in("/account")
    this_session, account = found
    journeys = AccountJourneys(db, settings)
    devices = [
        {
            "sid": live.sid,
            "browser": browser_name(live.user_agent),
            "address": live.ip_address or "unknown",
            "last_seen": live.last_seen_at.strftime("%-d %B %Y at %H:%M UTC"),
            "signed_in": live.authenticated_at.strftime("%-d %B %Y at %H:%M UTC"),
            "level": "Password and code" if live.auth_level == "Cl.Cm" else "Password",
            "this_device": live.sid == this_session.sid,
        }
        for live in await journeys.live_sessions(account.id)
    ]
    security_keys = [
        {
            "id": key.id,
            "name": key.name,
            "added": key.created_at.strftime("%-d %B %Y"),
            "last_used": key.last_used_at.strftime("%-d %B %Y at %H:%M UTC")
            if key.last_used_at
            else "Not yet",
        }
        for key in await journeys.security_keys_of(account)
    ]
    return forms.render_page(
        pages,
        request,
        "identity/account/account.html",
        {
            "page_title": "Your account",
            "account": account,
            "auth_level": this_session.auth_level,
            "identity_level_text": IDENTITY_LEVELS.get(account.identity_level, account.identity_level),
            "has_authenticator": has_authenticator(account),
            "codes_left": await journeys.recovery_codes_left(account),
            "devices": devices,
            "security_keys": security_keys,
            "prove_identity_href": prove_identity_url("/account"),
        },
    )


@router.post("/account/recovery-codes")
async def new_recovery_codes(
    request: Request, _: CsrfChecked, db: DbSession, pages: PageRenderer, settings: AppSettings
) -> Response:
    found = await sessions.current_session(request, db)
    if found is None or found[0].auth_level is None:
        return support.needs_sign_in("/account")
    this_session, account = found
    if not has_authenticator(account):
        return forms.redirect("/account/authenticator")
    if this_session.auth_level != "Cl.Cm":
        return support.needs_sign_in("/account", "Cl.Cm")
    codes = await AccountJourneys(db, settings).new_recovery_codes(account)
    return forms.render_page(
        pages, request, "identity/account/recovery_codes.html", {"codes": codes, "continue_href": "/account"}
    )


@router.post("/account/devices/sign-out")
async def sign_out_device(request: Request, _: CsrfChecked, db: DbSession, settings: AppSettings) -> Response:
    found = await sessions.current_session(request, db)
    if found is None or found[0].auth_level is None:
        return support.needs_sign_in("/account")
    this_session, account = found
    form = await request.form()
    sid = forms.field(form, "sid")
    await AccountJourneys(db, settings).sign_out_device(account.id, sid)
    if sid == this_session.sid:
        response = forms.redirect("/signed-out")
        sessions.clear_cookie(response, settings)
        return response
    return forms.redirect("/account")


@router.post("/account/sign-out-everywhere")
async def sign_out_everywhere(
    request: Request, _: CsrfChecked, db: DbSession, settings: AppSettings
) -> Response:
    found = await sessions.current_session(request, db)
    if found is not None and found[0].auth_level is not None:
        await sessions.end_every_session(db, found[1].id, settings)
    response = forms.redirect("/signed-out")
    sessions.clear_cookie(response, settings)
    return response
