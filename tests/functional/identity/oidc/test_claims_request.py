"""Issue 14, finding 3: identity claims asked through the `claims` parameter (OpenID Connect Core §5.5) are
released only with the `identity` scope, registered for the client and consented to by the person. A
claims request names claims; it never adds any (§5.5.1: claims the person did not authorize are left out,
without an error). Driven as the review drove it: a real sign-in, consent page and all."""

from __future__ import annotations

import json

import httpx
from joserfc import jwk, jwt
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.oidc.tokens.service import IDENTITY_JWT_CLAIM
from tests.functional.identity.account_support import create_citizen, sign_in
from tests.functional.identity.oidc.authorize_support import create_relying_party
from tests.functional.identity.oidc.grant_support import account_of, authorize, bearer, prove, redeem

IDENTITY_CLAIMS = ("given_name", "family_name", "birthdate", IDENTITY_JWT_CLAIM)
#: Every identity claim asked for, essential, in both places a claims request can name them.
ASKED = json.dumps(
    {member: {name: {"essential": True} for name in IDENTITY_CLAIMS} for member in ("userinfo", "id_token")}
)


async def _proved_person_signed_in(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    citizen = await create_citizen(session, settings, identity_level="P2")
    await prove(session, await account_of(session))
    await sign_in(client, citizen)


async def _released(client: httpx.AsyncClient, tokens: dict[str, str]) -> set[str]:
    """The identity claims in userinfo and the ID token."""
    userinfo = await client.get("/userinfo", headers=bearer(tokens["access_token"]))
    assert userinfo.status_code == 200, userinfo.text
    keys = jwk.KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    id_token = jwt.decode(tokens["id_token"], keys).claims
    return {name for name in IDENTITY_CLAIMS if name in userinfo.json() or name in id_token}


async def test_a_client_without_the_identity_scope_gets_no_identity_claims_by_asking_for_them(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    # The attacker: a service registered for email only, but allowed to ask for the P2 level.
    await create_relying_party(session, allowed_scopes=["openid", "email"])
    await _proved_person_signed_in(client, session, settings)

    journey = await authorize(client, scope="openid email", vtr='["Cl.Cm.P2"]', claims=ASKED)

    # The person was asked about their email address only.
    assert journey.consent_page is not None
    assert "Your email address" in journey.consent_page.text
    assert "Your name and date of birth" not in journey.consent_page.text
    tokens = await redeem(client, journey)
    assert await _released(client, tokens) == set()


async def test_a_client_registered_for_identity_gets_none_without_the_persons_consent_to_it(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)  # registered for identity, among others
    await _proved_person_signed_in(client, session, settings)

    # It asks for the scope it needs no consent for, and names the identity claims in `claims`.
    journey = await authorize(client, scope="openid", vtr='["Cl.Cm.P2"]', claims=ASKED)

    assert journey.consent_page is None  # nothing to consent to: nothing is released
    tokens = await redeem(client, journey)
    assert await _released(client, tokens) == set()


async def test_with_the_scope_and_the_persons_consent_they_are_released(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await create_relying_party(session)
    await _proved_person_signed_in(client, session, settings)

    journey = await authorize(client, scope="openid identity", vtr='["Cl.Cm.P2"]', claims=ASKED)

    assert journey.consent_page is not None
    assert "Your name and date of birth" in journey.consent_page.text
    tokens = await redeem(client, journey)
    # Released in userinfo (the ID token carries no identity claims of its own).
    assert await _released(client, tokens) == set(IDENTITY_CLAIMS)
