"""The OpenID Connect provider's router, assembled from its parts (nothing else lives here): discovery
and keys, the token endpoints, logout, the person's services (consent), the authorization journey (its
pages, then PAR and the trustmark) and the relying-party admin API. The order is the order the routes
are matched and listed in OpenAPI."""

from __future__ import annotations

from fastapi import APIRouter

from govhub.identity.oidc.authorize import api as authorize_api
from govhub.identity.oidc.authorize import pages as authorize_pages
from govhub.identity.oidc.clients import api as clients_api
from govhub.identity.oidc.consent import pages as consent_pages
from govhub.identity.oidc.discovery import api as discovery_api
from govhub.identity.oidc.logout import pages as logout_pages
from govhub.identity.oidc.tokens import api as tokens_api

router = APIRouter()
router.include_router(discovery_api.router)
router.include_router(tokens_api.router)
router.include_router(logout_pages.router)
router.include_router(consent_pages.router)
router.include_router(authorize_pages.router)
router.include_router(authorize_api.router)
router.include_router(clients_api.router)
