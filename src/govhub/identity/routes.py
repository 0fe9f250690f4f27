"""The identity block's routes: the account pages (sign up, sign in, account) and the OpenID Connect
provider (its protocol endpoints, the authorization journey and the relying-party admin API)."""

from __future__ import annotations

from fastapi import APIRouter

from govhub.identity import pages, proving_pages
from govhub.identity.oidc import routes as oidc_routes

router = APIRouter()
router.include_router(pages.router)
router.include_router(proving_pages.router)
router.include_router(oidc_routes.router)
