"""The authorization journey's endpoints: `/authorize` (GET and POST, OpenID Connect Core §3.1.2.1), its
continuation after sign-in, step-up and proving, and the consent page. `/par` and the trustmark are in
`api.py`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from govhub.dependencies import DbSession, PageRenderer
from govhub.identity.accounts.sessions import current_sign_in
from govhub.identity.oidc import errors
from govhub.identity.oidc.authorize.service import (
    CONSENT_PATH,
    DECISION_PAGE_HEADERS,
    MAX_PARAMETER,
    AskConsent,
    Authorizations,
    ClientError,
    Outcome,
    UnverifiedRequest,
    check_parameters,
    single_values,
    verified_client,
    verified_redirect,
)
from govhub.identity.oidc.consent.service import SCOPE_DATA
from govhub.identity.oidc.errors import OAuthError
from govhub.identity.oidc.models import PendingAuthorization, RelyingParty
from govhub.identity.oidc.provider import provider_of
from govhub.kit.access import PUBLIC
from govhub.kit.csrf import CsrfChecked
from govhub.kit.request_context import current_request_id
from govhub.kit.routing import api_router
from govhub.kit.templating import Pages

router = api_router(dependencies=[PUBLIC], include_in_schema=False)


def _page(pages: Pages, request: Request, error: UnverifiedRequest) -> Response:
    return pages.error_page(
        request, status=400, title=error.title, detail=error.detail, request_id=current_request_id()
    )


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def _consent_page(
    pages: Pages, request: Request, pending: PendingAuthorization, client: RelyingParty, scopes: list[str]
) -> Response:
    return pages.render(
        request,
        "identity/oidc/consent.html",
        {
            "page_title": f"Share your information with {client.name}",
            "client": client,
            "data": [SCOPE_DATA[scope] for scope in scopes],
            "request_uri": pending.request_uri,
        },
        headers=DECISION_PAGE_HEADERS,
    )


async def _respond(
    pages: Pages, request: Request, outcome: Outcome, pending: PendingAuthorization, client: RelyingParty
) -> Response:
    if isinstance(outcome, AskConsent):
        return _consent_page(pages, request, pending, client, outcome.scopes)
    return _see_other(outcome.url)


def _checked(client: RelyingParty, parameters: dict[str, str], repeated: list[str]) -> dict[str, Any]:
    """The parameters to keep, once the client and redirect URI are verified. Raises `OAuthError`."""
    if repeated:
        raise OAuthError(errors.INVALID_REQUEST, f"{', '.join(sorted(set(repeated)))} sent more than once")
    if client.require_par:
        raise OAuthError(
            errors.INVALID_REQUEST, "this service must push its authorization requests first (PAR)"
        )
    return check_parameters(client, parameters)


async def _start(
    service: Authorizations, parameters: dict[str, str], repeated: list[str]
) -> tuple[PendingAuthorization, RelyingParty] | str:
    """A journey for this request, or the URL of an error to send the client back to. Raises
    `UnverifiedRequest` while the client or redirect URI cannot be trusted."""
    client_id = parameters.get("client_id")
    client = await service.client(client_id)
    if "client_id" in repeated or "redirect_uri" in repeated:
        raise UnverifiedRequest(
            "The service's request cannot be used", "The request names its service or return address twice."
        )
    if "request_uri" in parameters:
        # RFC 9126 §4: a pushed request is used as pushed; other parameters are ignored.
        client = verified_client(client, client_id)
        return await service.begin_pushed(client, parameters["request_uri"]), client
    redirect_uri = verified_redirect(client, client_id, parameters.get("redirect_uri"))
    assert client is not None  # noqa: S101 (verified_redirect refuses a missing client)
    try:
        stored = _checked(client, parameters, repeated)
    except OAuthError as error:
        state = parameters.get("state")
        state = state if state and len(state) <= MAX_PARAMETER else None
        return ClientError(redirect_uri, error.error, error.error_description, state).url(service.issuer)
    return await service.begin(client, stored), client


async def _authorize(
    request: Request, db: DbSession, pages: Pages, items: Iterable[tuple[str, Any]]
) -> Response:
    parameters, repeated = single_values(items)
    service = Authorizations(db, provider_of(request).issuer)
    try:
        started = await _start(service, parameters, repeated)
        if isinstance(started, str):
            return _see_other(started)
        pending, client = started
        outcome = await service.proceed(pending, client, await current_sign_in(request, db))
    except UnverifiedRequest as error:
        return _page(pages, request, error)
    return await _respond(pages, request, outcome, pending, client)


@router.get("/authorize")
async def authorize(request: Request, db: DbSession, pages: PageRenderer) -> Response:
    """OpenID Connect Core §3.1.2.1: the authorization request, by GET."""
    return await _authorize(request, db, pages, request.query_params.multi_items())


@router.post("/authorize")
async def authorize_by_post(request: Request, db: DbSession, pages: PageRenderer) -> Response:
    """OpenID Connect Core §3.1.2.1: the authorization request, form-encoded in a POST."""
    form = await request.form()
    return await _authorize(request, db, pages, form.multi_items())


@router.get("/authorize/continue")
async def continue_authorization(request: Request, db: DbSession, pages: PageRenderer) -> Response:
    """Where sign-in, step-up and identity proving send the browser back to."""
    service = Authorizations(db, provider_of(request).issuer)
    try:
        pending, client = await service.pending(request.query_params.get("request_uri", "")[:200])
    except UnverifiedRequest as error:
        return _page(pages, request, error)
    outcome = await service.proceed(pending, client, await current_sign_in(request, db))
    return await _respond(pages, request, outcome, pending, client)


@router.post(CONSENT_PATH)
async def consent(request: Request, db: DbSession, pages: PageRenderer, _: CsrfChecked) -> Response:
    """The consent page's answer: Allow (remembered, then the code is issued) or Refuse (`access_denied`)."""
    form = await request.form()
    request_uri = form.get("request_uri")
    decision = form.get("decision")
    service = Authorizations(db, provider_of(request).issuer)
    try:
        pending, client = await service.pending(request_uri if isinstance(request_uri, str) else "")
    except UnverifiedRequest as error:
        return _page(pages, request, error)
    signed_in = await current_sign_in(request, db)
    if decision not in {"allow", "refuse"}:
        return _page(
            pages, request, UnverifiedRequest("Choose an answer", "Choose Allow or Refuse, then try again.")
        )
    if signed_in is None:
        # Signed out in another tab meanwhile: sign in again and be asked again.
        return await _respond(pages, request, await service.proceed(pending, client, None), pending, client)
    if decision == "refuse":
        return _see_other((await service.consent_refused(pending)).url)
    await service.consent_given(pending, client, signed_in)
    return await _respond(pages, request, await service.proceed(pending, client, signed_in), pending, client)
