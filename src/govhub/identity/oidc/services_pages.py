"""`/account/services`: the services a person is signed in to, the data they allowed each to receive, and
a Withdraw button per grant (withdrawal also ends that service's refresh tokens)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from govhub.dependencies import DbSession, PageRenderer
from govhub.identity.oidc.authorization import DECISION_PAGE_HEADERS
from govhub.identity.oidc.authorize_repository import AuthorizeRepository
from govhub.identity.oidc.consent import Consents
from govhub.identity.sessions import current_sign_in
from govhub.identity.signed_in import sign_in_url
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
    repository = AuthorizeRepository(db)
    signed_in_to = await repository.signed_in_services(signed_in.account_id)
    granted = await Consents(repository).granted_services(signed_in.account_id)
    withdrawn_id = request.query_params.get("withdrawn")
    withdrawn = await repository.client(withdrawn_id[:100]) if withdrawn_id else None
    return pages.render(
        request,
        "identity/oidc/services.html",
        {
            "page_title": "Your services",
            "signed_in_to": signed_in_to,
            "granted": granted,
            "withdrawn": withdrawn,
        },
        headers=DECISION_PAGE_HEADERS,
    )


@router.post(SERVICES_PATH + "/withdraw")
async def withdraw_consent(request: Request, db: DbSession, _: CsrfChecked) -> Response:
    signed_in = await current_sign_in(request, db)
    if signed_in is None:
        return RedirectResponse(sign_in_url(SERVICES_PATH), status_code=303)
    client_id = (await request.form()).get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise BadRequest("Choose the service to withdraw your consent from.")
    if not await Consents(AuthorizeRepository(db)).withdraw(signed_in.account_id, client_id[:100], utcnow()):
        raise BadRequest("You have not given that service your consent, or already withdrew it.")
    return RedirectResponse(SERVICES_PATH + "?" + urlencode({"withdrawn": client_id}), status_code=303)
