"""What a holder of tokens may ask the provider: userinfo (OpenID Connect Core §5.3), introspection
(RFC 7662) and revocation (RFC 7009)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.oidc.models import RelyingParty
from govhub.identity.oidc.provider import Provider
from govhub.identity.oidc.tokens.grants import access_jti_of_refresh
from govhub.identity.oidc.tokens.repository import TokensRepository
from govhub.identity.oidc.tokens.service import (
    IDENTITY_JWT_CLAIM,
    AccessTokenClaims,
    InvalidToken,
    check_access_token,
    issue_identity_jwt,
)
from govhub.identity.organisations.service import organisations_of
from govhub.identity.proving.service import VerifiedIdentity, verified_identity
from govhub.kit.clock import utcnow
from govhub.kit.secret_digest import secret_digest


def _identity_claims(identity: VerifiedIdentity) -> dict[str, Any]:
    return {
        "given_name": identity.given_name,
        "family_name": identity.family_name,
        "birth_date": identity.birth_date,
    }


async def userinfo(db: AsyncSession, provider: Provider, token: AccessTokenClaims) -> dict[str, Any] | None:
    """The claims the token's scopes allow; None when the token is not about a person (or the account
    has gone)."""
    account_id = token.account_id(provider)
    if account_id is None:
        return None
    account = await TokensRepository(db).account(account_id)
    if account is None:
        return None
    scopes = token.scopes
    claims: dict[str, Any] = {"sub": token.claims["sub"]}
    if "email" in scopes:
        claims["email"] = account.email
        claims["email_verified"] = account.email_verified_at is not None
    if "business" in scopes:
        claims["organisations"] = [r.as_claim() for r in await organisations_of(db, account.id)]
    vot = str(token.claims.get("vot", ""))
    # Identity claims only with the `identity` scope (registered for the client, and consented to by the
    # person, or the code would not carry it) and when P2 was asked for and achieved (the achieved vector
    # says both). A `claims` request (OpenID Connect Core §5.5) only names claims; it never adds any that the
    # scopes do not cover: §5.5.1 has the provider leave out claims the person did not authorize, without
    # an error.
    if "identity" in scopes and vot.endswith("P2"):
        identity = await verified_identity(db, account.id)
        if identity is not None:
            plain = _identity_claims(identity)
            claims["given_name"] = plain["given_name"]
            claims["family_name"] = plain["family_name"]
            claims["birthdate"] = plain["birth_date"]
            client = await provider.clients.find(db, token.client_id)
            claims[IDENTITY_JWT_CLAIM] = await issue_identity_jwt(
                db,
                provider,
                sub=claims["sub"],
                client_id=token.client_id,
                alg=client.id_token_signed_response_alg if client else "ES256",
                vot=vot,
                identity=plain,
            )
    return claims


async def introspect(
    db: AsyncSession, provider: Provider, caller: RelyingParty, token: str
) -> dict[str, Any]:
    """RFC 7662 §2.2. A client learns only about tokens issued to it; anything else is inactive."""
    inactive: dict[str, Any] = {"active": False}
    if token.count(".") == 2:  # a JWS: one of our access tokens
        try:
            claims = await check_access_token(db, provider, token)
        except InvalidToken:
            return inactive
        if claims.client_id != caller.client_id:
            return inactive
        body: dict[str, Any] = {
            key: claims.claims[key]
            for key in (
                "scope",
                "client_id",
                "sub",
                "exp",
                "iat",
                "iss",
                "aud",
                "jti",
                "cnf",
                "vot",
                "auth_time",
            )
            if key in claims.claims
        }
        return {"active": True, "token_type": "DPoP" if claims.jkt else "Bearer", **body}
    refresh = await TokensRepository(db).refresh_by_hash(secret_digest(token))
    now = utcnow()
    if (
        refresh is None
        or refresh.client_id != caller.client_id
        or refresh.used_at is not None
        or refresh.revoked_at is not None
        or refresh.expires_at <= now
    ):
        return inactive
    account = await TokensRepository(db).account(refresh.account_id)
    if account is None:
        return inactive
    sub = provider.subjects.subject(
        subject_type=caller.subject_type,
        sector_identifier=caller.sector_identifier,
        account_public_id=account.public_id,
    )
    return {
        "active": True,
        "token_type": "refresh_token",
        "scope": refresh.scope,
        "client_id": refresh.client_id,
        "sub": sub,
        "iss": provider.issuer,
        "exp": int(refresh.expires_at.timestamp()),
        "iat": int(refresh.created_at.timestamp()),
        **({"cnf": {"jkt": refresh.dpop_jkt}} if refresh.dpop_jkt else {}),
    }


async def revoke(db: AsyncSession, provider: Provider, caller: RelyingParty, token: str) -> None:
    """RFC 7009 §2.1. An unknown token, or one issued to another client, is answered as revoked (200)
    with nothing done, so the endpoint tells nobody which tokens exist."""
    tokens = TokensRepository(db)
    if token.count(".") == 2:  # a JWS: one of our access tokens
        try:
            claims = await check_access_token(db, provider, token)
        except InvalidToken:
            return
        if claims.client_id == caller.client_id:
            await tokens.revoke_access_token(claims.jti, claims.expires_at)
        return
    refresh = await tokens.refresh_by_hash(secret_digest(token))
    if refresh is None or refresh.client_id != caller.client_id:
        return
    # §2.1: revoking a refresh token revokes the grant: its family and the access tokens issued with it.
    now = utcnow()
    for member in await tokens.family(refresh.family_id):
        await tokens.revoke_access_token(access_jti_of_refresh(member.token_hash), refresh.expires_at)
    await tokens.revoke_access_token(refresh.family_id, refresh.expires_at)
    await tokens.revoke_family(refresh.family_id, now)
