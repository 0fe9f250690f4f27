"""Who may call the members block, as dependencies that count as access declarations
(`govhub.kit.access`):

- the admin API: a machine client holding an access token with the `govhub:members-admin` scope, from the
  identity provider's `client_credentials` grant (as `identity_admin` guards identity's admin API);
- the pages: the signed-in person (or nobody: each page sends them to sign in), and what they may see
  (`Viewer`): platform administrators everything, member administrators their own members."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from govhub.dependencies import DbSession
from govhub.identity import SignedIn, current_sign_in
from govhub.identity.oidc import (
    INSUFFICIENT_SCOPE,
    AccessTokenClaims,
    OAuthError,
    access_token_holder,
    bearer_challenge,
)
from govhub.kit.access import ACCESS_DEPENDENCIES
from govhub.members.membership.service import is_platform_admin, member_admin_viewer
from govhub.members.onboarding.service import Decider
from govhub.members.repository import Viewer

#: The scope that lets a machine client use the members admin API.
MEMBERS_ADMIN_SCOPE = "govhub:members-admin"


async def members_admin(
    claims: Annotated[AccessTokenClaims, Depends(access_token_holder)],
) -> AccessTokenClaims:
    """A machine client holding a token with the `govhub:members-admin` scope."""
    if MEMBERS_ADMIN_SCOPE not in claims.scopes:
        raise OAuthError(
            INSUFFICIENT_SCOPE,
            f"this needs an access token with the {MEMBERS_ADMIN_SCOPE} scope",
            status=403,
            www_authenticate=bearer_challenge(
                "DPoP" if claims.jkt else "Bearer",
                INSUFFICIENT_SCOPE,
                "more scope needed",
                scope=MEMBERS_ADMIN_SCOPE,
            ),
        )
    return claims


def api_decider(claims: AccessTokenClaims) -> Decider:
    return Decider(f"client {claims.client_id}")


@dataclass(frozen=True)
class PageCaller:
    """The person on a members page; `person` None when nobody is signed in. `platform_admin` pages see
    every member; `own` is what the person sees as a member administrator."""

    person: SignedIn | None
    platform_admin: bool
    own: Viewer

    @property
    def decider(self) -> Decider:
        return Decider(self.person.email if self.person else "nobody")


_NOBODY = Viewer(platform_admin=False)


async def page_caller(request: Request, db: DbSession) -> PageCaller:
    person = await current_sign_in(request, db)
    if person is None:
        return PageCaller(None, platform_admin=False, own=_NOBODY)
    return PageCaller(
        person,
        platform_admin=await is_platform_admin(db, person.account_id),
        own=await member_admin_viewer(db, person.account_id),
    )


ACCESS_DEPENDENCIES.update({members_admin, page_caller})

MembersAdmin = Annotated[AccessTokenClaims, Depends(members_admin)]
Caller = Annotated[PageCaller, Depends(page_caller)]
