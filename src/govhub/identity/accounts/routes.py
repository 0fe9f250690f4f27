"""The account pages' router: sign up, sign in (and step-up), sign out, password reset and the account page.
Open to anyone (`PUBLIC`): each page itself sends a browser that is not signed in to sign in."""

from __future__ import annotations

from govhub.identity.accounts.pages import account, sign_in, sign_up
from govhub.kit.routing import api_router

router = api_router()
router.include_router(sign_up.router)
router.include_router(sign_in.router)
router.include_router(account.router)
