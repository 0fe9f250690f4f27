"""Who may call the data tracker, as a dependency that counts as an access declaration
(`govhub.kit.access`): the holder of one of our access tokens that is about a person and carries the
`govhub:data-use` scope, which the person consented to for the service holding it. Any other token of a
person (a plain `openid` sign-in of any service) is refused with 403 `insufficient_scope`: the tracker
tells who used the person's data, and a service learns that only when the person said so. The platform's
own pages (`tracker.pages`) use the person's session instead.

The token's `sub` is pairwise per client, so it cannot name the person here; the provider seals the
account into its access tokens (`govhub.identity.oidc.ACCOUNT_CLAIM`), and opening
that seal gives the account, whose public id is the `user_id` the message log keeps. A machine client's token
(`client_credentials`) has no account in it and is refused.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from govhub.dependencies import DbSession
from govhub.exchange.errors import NotAPerson
from govhub.identity import AccountSummary, account_by_id
from govhub.identity.oidc import (
    DATA_USE_SCOPE,
    AccessTokenClaims,
    access_token_holder,
    provider_of,
    require_scope,
)
from govhub.kit.access import ACCESS_DEPENDENCIES


async def tracked_account(
    request: Request, db: DbSession, claims: Annotated[AccessTokenClaims, Depends(access_token_holder)]
) -> AccountSummary:
    """The account of the person the caller's access token is about."""
    account_id = claims.account_id(provider_of(request))
    account = await account_by_id(db, account_id) if account_id is not None else None
    if account is None:
        raise NotAPerson(
            "The data tracker shows a person the exchanges about them: use an access token issued to you "
            "as a person, not a machine client's."
        )
    require_scope(claims, DATA_USE_SCOPE)
    return account


async def tracked_person(account: Annotated[AccountSummary, Depends(tracked_account)]) -> str:
    """The account public id of the person the caller's access token is about."""
    return account.public_id


ACCESS_DEPENDENCIES.add(tracked_account)
ACCESS_DEPENDENCIES.add(tracked_person)

TrackedAccount = Annotated[AccountSummary, Depends(tracked_account)]
TrackedPerson = Annotated[str, Depends(tracked_person)]
