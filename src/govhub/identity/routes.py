"""The identity block's routes: the account pages (sign up, sign in, account, security keys, proving) and
the OpenID Connect provider (its protocol endpoints, the authorization journey and the relying-party admin
API). This module only assembles the router; the handlers live in each sub-package."""

from __future__ import annotations

from fastapi import APIRouter

from govhub.identity.accounts import routes as accounts_routes
from govhub.identity.oidc import routes as oidc_routes
from govhub.identity.proving import pages as proving_pages
from govhub.identity.security_keys import pages as security_key_pages

router = APIRouter()
router.include_router(accounts_routes.router)
router.include_router(security_key_pages.router)
router.include_router(proving_pages.router)
router.include_router(oidc_routes.router)
