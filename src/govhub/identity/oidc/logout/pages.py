"""`/logout`: OpenID Connect RP-Initiated Logout 1.0. A service sends the browser here (GET or POST) with
`id_token_hint`, `client_id`, `post_logout_redirect_uri` and `state`. With a valid hint for this browser's
session, the session ends at once; otherwise the person is asked to confirm (§2: logout without a hint may
have been started by anyone). The browser is sent back only to an address the service registered."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from govhub.config import Settings
from govhub.dependencies import AppSettings, DbSession, PageRenderer
from govhub.identity.accounts import sessions
from govhub.identity.oidc.authorize.service import DECISION_PAGE_HEADERS, with_query
from govhub.identity.oidc.logout.service import LogoutRefused, LogoutRequest, check_logout_request
from govhub.identity.oidc.provider import provider_of
from govhub.kit.access import PUBLIC
from govhub.kit.csrf import CsrfChecked
from govhub.kit.request_context import current_request_id
from govhub.kit.routing import api_router
from govhub.kit.templating import Pages

router = api_router(dependencies=[PUBLIC], include_in_schema=False)

_PARAMETERS = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales", "logout_hint")
_MAX_PARAMETER = 8000


def _parameters(items: Iterable[tuple[str, Any]]) -> dict[str, str]:
    return {
        name: value[:_MAX_PARAMETER]
        for name, value in items
        if name in _PARAMETERS and isinstance(value, str) and value
    }


def _refused(pages: Pages, request: Request, error: LogoutRefused) -> Response:
    return pages.error_page(
        request,
        status=400,
        title="This sign-out request cannot be followed",
        detail=f"The service's request to sign you out was not valid: {error}. You are still signed in; "
        "to sign out, use your account page.",
        request_id=current_request_id(),
    )


def _finish(pages: Pages, request: Request, checked: LogoutRequest, settings: Settings) -> Response:
    if checked.post_logout_redirect_uri is not None:
        response: Response = RedirectResponse(
            with_query(checked.post_logout_redirect_uri, {"state": checked.state}), status_code=303
        )
    else:
        response = pages.render(
            request,
            "identity/oidc/signed_out.html",
            {"page_title": "You have signed out", "client": checked.client},
        )
    sessions.clear_cookie(response, settings)
    response.headers["Cache-Control"] = "no-store"
    return response


async def _logout(
    request: Request, db: DbSession, pages: Pages, settings: Settings, items: Iterable[tuple[str, Any]]
) -> Response:
    provider = provider_of(request)
    try:
        checked = await check_logout_request(db, provider.keys, provider.issuer, _parameters(items))
    except LogoutRefused as error:
        return _refused(pages, request, error)
    signed_in = await sessions.current_sign_in(request, db)
    if signed_in is None:
        return _finish(pages, request, checked, settings)
    if checked.hint_valid and checked.hinted_sid == signed_in.sid:
        await sessions.end_sessions(db, [signed_in.sid])
        return _finish(pages, request, checked, settings)
    return pages.render(
        request,
        "identity/oidc/logout_confirm.html",
        {"page_title": "Do you want to sign out?", "checked": checked},
        headers=DECISION_PAGE_HEADERS,
    )


@router.get("/logout")
async def logout(request: Request, db: DbSession, pages: PageRenderer, settings: AppSettings) -> Response:
    return await _logout(request, db, pages, settings, request.query_params.multi_items())


@router.post("/logout")
async def logout_by_post(
    request: Request, db: DbSession, pages: PageRenderer, settings: AppSettings
) -> Response:
    return await _logout(request, db, pages, settings, (await request.form()).multi_items())


@router.post("/logout/confirm")
async def confirm_logout(
    request: Request, db: DbSession, pages: PageRenderer, settings: AppSettings, _: CsrfChecked
) -> Response:
    """The confirmation page's answer. Where to go next is checked again: the form is the browser's."""
    provider = provider_of(request)
    try:
        checked = await check_logout_request(
            db, provider.keys, provider.issuer, _parameters((await request.form()).multi_items())
        )
    except LogoutRefused as error:
        return _refused(pages, request, error)
    signed_in = await sessions.current_sign_in(request, db)
    if signed_in is not None:
        await sessions.end_sessions(db, [signed_in.sid])
    return _finish(pages, request, checked, settings)
