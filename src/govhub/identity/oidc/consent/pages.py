"""`/account/services`: every service a person can withdraw (signed in to now, holding refresh tokens, or
granted data), the data they allowed each to receive, and a Withdraw button per service: withdrawal ends
the consent, the service's refresh tokens and live access tokens, and signs it out (back-channel logout)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from govhub.dependencies import AppSettings, DbSession, PageRenderer
from govhub.identity.accounts.sessions import current_sign_in
from govhub.identity.accounts.signed_in import sign_in_url
from govhub.identity.oidc.authorize.service import DECISION_PAGE_HEADERS
from govhub.identity.oidc.consent.service import services_of, withdraw_service, withdrawn_service
from govhub.kit.access import PUBLIC
from govhub.kit.clock import utcnow
from govhub.kit.csrf import CsrfChecked
from govhub.kit.errors import BadRequest
from govhub.kit.routing import api_router

router = api_router(dependencies=[PUBLIC], include_in_schema=False)

SERVICES_PATH = "/account/services"


@router.get(SERVICES_PATH)
async def services_page(request: Request, db: DbSession, pages: PageRenderer) -> Response:
    signed_in = await current_sign_in(request, db)
    if signed_in is None:
        return RedirectResponse(sign_in_url(SERVICES_PATH), status_code=303)
    services = await services_of(db, signed_in.account_id, utcnow())
    withdrawn = await withdrawn_service(db, request.query_params.get("withdrawn"))
    return pages.render(
        request,
        "identity/oidc/services.html",
        {"page_title": "Your services", "services": services, "withdrawn": withdrawn},
        headers=DECISION_PAGE_HEADERS,
    )


@router.post(SERVICES_PATH + "/withdraw")
async def withdraw_consent(
    request: Request, db: DbSession, settings: AppSettings, _: CsrfChecked
) -> Response:
    signed_in = await current_sign_in(request, db)
    if signed_in is None:
        return RedirectResponse(sign_in_url(SERVICES_PATH), status_code=303)
    client_id = (await request.form()).get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise BadRequest("Choose the service to withdraw.")
    if not await withdraw_service(db, settings, signed_in.account_id, client_id[:100], utcnow()):
        raise BadRequest(
            "That service has no access to withdraw: you are not signed in to it, it keeps no "
            "access and you have not given it your consent, or you already withdrew it."
        )
    return RedirectResponse(SERVICES_PATH + "?" + urlencode({"withdrawn": client_id}), status_code=303)
