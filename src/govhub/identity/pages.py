"""The account pages: sign up, sign in (and step-up), sign out, password reset and the account page.
Open to anyone (`PUBLIC`): each page itself sends a browser that is not signed in to sign in."""

from __future__ import annotations

from govhub.identity import account_pages, security_key_pages, sign_in_pages, sign_up_pages
from govhub.kit.routing import api_router

router = api_router()
router.include_router(sign_up_pages.router)
router.include_router(sign_in_pages.router)
router.include_router(account_pages.router)
router.include_router(security_key_pages.router)
