"""The token endpoint's grants (RFC 6749 §4.1.3, §4.4, §6), with PKCE (RFC 7636 §4.6), refresh token
rotation with reuse detection (OAuth 2.0 Security BCP §4.14.2) and DPoP binding (RFC 9449 §5).

Tokens issued from one authorization code form a family: the first access token's `jti` is derived from
the code and names the family, every later access token's `jti` from the refresh token issued with it. So
a reused code or refresh token revokes everything issued from the grant, with no list of tokens kept."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.identity.oidc.clients.service import OFFLINE_ACCESS, PERSON_SCOPES
from govhub.identity.oidc.errors import (
    INVALID_DPOP_PROOF,
    INVALID_GRANT,
    INVALID_REQUEST,
    INVALID_SCOPE,
    UNAUTHORIZED_CLIENT,
    UNSUPPORTED_GRANT_TYPE,
    OAuthError,
)
from govhub.identity.oidc.jose import b64url, sha256_b64url
from govhub.identity.oidc.levels import TRUSTMARK_PATH
from govhub.identity.oidc.models import AuthorizationCode, RefreshToken, RelyingParty
from govhub.identity.oidc.provider import Provider
from govhub.identity.oidc.tokens.repository import TokensRepository
from govhub.identity.oidc.tokens.service import issue_access_token, issue_id_token
from govhub.kit.clock import utcnow
from govhub.kit.secret_digest import secret_digest

_CODE_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


@dataclass
class TokenResponse:
    """RFC 6749 §5.1."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str
    id_token: str | None = None
    refresh_token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "scope": self.scope,
        }
        if self.id_token is not None:
            body["id_token"] = self.id_token
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        return body


def family_of_code(code_hash: str) -> str:
    """The family id of the tokens issued from a code, which is also the `jti` of its access token."""
    return sha256_b64url("family:" + code_hash)


def access_jti_of_refresh(token_hash: str) -> str:
    return sha256_b64url("access:" + token_hash)


def _token_type(jkt: str | None) -> str:
    return "DPoP" if jkt else "Bearer"


def _bound_key(client: RelyingParty, proof_jkt: str | None, required_jkt: str | None) -> str | None:
    """The key the new tokens are bound to: the proof's, which must be the one the grant was bound to."""
    if required_jkt is not None and proof_jkt != required_jkt:
        description = (
            "these tokens are bound to a DPoP key: send a DPoP proof signed with it"
            if proof_jkt is None
            else "the DPoP proof is signed with another key than the one this grant is bound to"
        )
        raise OAuthError(INVALID_DPOP_PROOF if proof_jkt else INVALID_GRANT, description)
    if client.require_dpop and proof_jkt is None:
        raise OAuthError(
            INVALID_DPOP_PROOF, "this client must send a DPoP proof (RFC 9449) with every token request"
        )
    return proof_jkt


def _level_claims(grant: AuthorizationCode | RefreshToken, provider: Provider) -> dict[str, str]:
    """RFC 8485 `vot`/`vtm` when the client asked by `vtr` (or not at all), `acr` when by `acr_values`."""
    if grant.requested_by_vtr or grant.acr is None:
        return {"vot": grant.vot, "vtm": provider.url(TRUSTMARK_PATH)}
    return {"acr": grant.acr}


def _userinfo_claim_names(grant: AuthorizationCode | RefreshToken) -> list[str]:
    requested = (grant.claims or {}).get("userinfo")
    return sorted(str(name) for name in requested) if isinstance(requested, dict) else []


class Grants:
    def __init__(self, db: AsyncSession, provider: Provider) -> None:
        self.db = db
        self.provider = provider
        self.tokens = TokensRepository(db)

    async def grant(
        self, grant_type: str | None, client: RelyingParty, form: dict[str, str], proof_jkt: str | None
    ) -> TokenResponse:
        """RFC 6749 §4.1.3, §6, §4.4.2 by `grant_type`; a DPoP proof's key thumbprint binds the tokens."""
        if grant_type == "client_credentials":
            return await self.client_credentials(client, form, proof_jkt)
        if grant_type == "authorization_code":
            return await self.authorization_code(client, form, proof_jkt)
        if grant_type == "refresh_token":
            return await self.refresh_token(client, form, proof_jkt)
        if not grant_type:
            raise OAuthError(INVALID_REQUEST, "grant_type is missing")
        raise OAuthError(UNSUPPORTED_GRANT_TYPE, f"grant_type {grant_type!r} is not supported here")

    async def _revoke_family(self, family_id: str) -> None:
        """Revoke every refresh token of the family and every access token issued with them."""
        now = utcnow()
        until = now + timedelta(seconds=self.provider.settings.oidc_access_token_seconds)
        await self.tokens.revoke_access_token(family_id, until)
        for token in await self.tokens.family(family_id):
            await self.tokens.revoke_access_token(access_jti_of_refresh(token.token_hash), until)
        await self.tokens.revoke_family(family_id, now)

    # --- authorization_code -----------------------------------------------------------------------

    async def authorization_code(
        self, client: RelyingParty, form: dict[str, str], proof_jkt: str | None
    ) -> TokenResponse:
        if "authorization_code" not in client.grant_types:
            raise OAuthError(
                UNAUTHORIZED_CLIENT, "this client is not registered for the authorization_code grant"
            )
        code_value = form.get("code", "")
        if not code_value:
            raise OAuthError(INVALID_REQUEST, "code is missing")
        code_hash = secret_digest(code_value)
        code = await self.tokens.code_by_hash(code_hash)
        if code is None or code.client_id != client.client_id:
            raise OAuthError(INVALID_GRANT, "the code is unknown, or was issued to another client")
        now = utcnow()
        if code.used_at is not None:
            await self._revoke_family(family_of_code(code_hash))
            raise OAuthError(INVALID_GRANT, "the code was used before; the tokens issued with it are revoked")
        if code.expires_at <= now:
            raise OAuthError(INVALID_GRANT, "the code has expired: start the sign-in again")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError(INVALID_GRANT, "redirect_uri is not the one the code was issued to")
        verifier = form.get("code_verifier", "")
        if not _CODE_VERIFIER.match(verifier):
            raise OAuthError(
                INVALID_REQUEST, "code_verifier is missing or not 43-128 unreserved characters (RFC 7636)"
            )
        if not secrets.compare_digest(
            b64url(hashlib.sha256(verifier.encode()).digest()), code.code_challenge
        ):
            raise OAuthError(INVALID_GRANT, "the code_verifier does not match the code_challenge (PKCE S256)")
        jkt = _bound_key(client, proof_jkt, code.dpop_jkt)
        if not await self.tokens.mark_code_used(code.id, now):
            await self._revoke_family(family_of_code(code_hash))
            raise OAuthError(INVALID_GRANT, "the code was used before; the tokens issued with it are revoked")
        account = await self.tokens.account(code.account_id)
        if account is None:
            raise OAuthError(INVALID_GRANT, "the account signed in with this code no longer exists")
        sub = self.provider.subjects.subject(
            subject_type=client.subject_type,
            sector_identifier=client.sector_identifier,
            account_public_id=account.public_id,
        )
        family_id = family_of_code(code_hash)
        access = await issue_access_token(
            self.db,
            self.provider,
            sub=sub,
            client_id=client.client_id,
            scope=code.scope,
            jti=family_id,
            jkt=jkt,
            account_id=account.id,
            vot=code.vot,
            auth_time=code.auth_time,
            userinfo_claims=_userinfo_claim_names(code),
        )
        scopes = code.scope.split()
        id_token = None
        if "openid" in scopes:
            id_token = await self._id_token(client, code, sub, code.auth_time, access.token, code.nonce)
        refresh = None
        if OFFLINE_ACCESS in scopes and "refresh_token" in client.grant_types:
            refresh = await self._new_refresh_token(
                family_id=family_id,
                client_id=client.client_id,
                account_id=account.id,
                sid=code.sid,
                scope=code.scope,
                vot=code.vot,
                auth_time=code.auth_time,
                acr=code.acr,
                requested_by_vtr=code.requested_by_vtr,
                claims=code.claims,
                jkt=jkt,
                expires_at=now + timedelta(seconds=self.provider.settings.oidc_refresh_token_seconds),
            )
        return TokenResponse(access.token, _token_type(jkt), access.expires_in, code.scope, id_token, refresh)

    async def _id_token(  # noqa: PLR0917 (one private helper, two call sites)
        self,
        client: RelyingParty,
        grant: AuthorizationCode | RefreshToken,
        sub: str,
        auth_time: datetime,
        access_token: str,
        nonce: str | None,
    ) -> str:
        return await issue_id_token(
            self.db,
            self.provider,
            sub=sub,
            client_id=client.client_id,
            alg=client.id_token_signed_response_alg,
            auth_time=auth_time,
            sid=grant.sid,
            nonce=nonce,
            access_token=access_token,
            level_claims=_level_claims(grant, self.provider),
        )

    async def _new_refresh_token(self, *, family_id: str, jkt: str | None, **values: Any) -> str:
        value = secrets.token_urlsafe(32)
        await self.tokens.add_refresh(
            RefreshToken(
                token_hash=secret_digest(value),
                family_id=family_id,
                dpop_jkt=jkt,
                created_at=utcnow(),
                **values,
            )
        )
        return value

    # --- refresh_token ----------------------------------------------------------------------------

    async def refresh_token(
        self, client: RelyingParty, form: dict[str, str], proof_jkt: str | None
    ) -> TokenResponse:
        if "refresh_token" not in client.grant_types:
            raise OAuthError(UNAUTHORIZED_CLIENT, "this client is not registered for the refresh_token grant")
        value = form.get("refresh_token", "")
        if not value:
            raise OAuthError(INVALID_REQUEST, "refresh_token is missing")
        token = await self.tokens.refresh_by_hash(secret_digest(value))
        if token is None or token.client_id != client.client_id:
            raise OAuthError(INVALID_GRANT, "the refresh token is unknown, or was issued to another client")
        now = utcnow()
        if token.revoked_at is not None:
            raise OAuthError(INVALID_GRANT, "the refresh token has been revoked")
        if token.used_at is not None:
            await self._revoke_family(token.family_id)
            raise OAuthError(
                INVALID_GRANT,
                "the refresh token was used before; every token issued from this sign-in is revoked",
            )
        if token.expires_at <= now:
            raise OAuthError(INVALID_GRANT, "the refresh token has expired: sign in again")
        scope = token.scope
        if "scope" in form:
            asked = form["scope"].split()
            if not set(asked) <= set(token.scope.split()):
                raise OAuthError(INVALID_SCOPE, "a refresh may narrow the scope, never widen it")
            scope = " ".join(asked)
        jkt = _bound_key(client, proof_jkt, token.dpop_jkt)
        if not await self.tokens.mark_refresh_used(token.id, now):
            await self._revoke_family(token.family_id)
            raise OAuthError(
                INVALID_GRANT,
                "the refresh token was used before; every token issued from this sign-in is revoked",
            )
        account = await self.tokens.account(token.account_id)
        if account is None:
            raise OAuthError(INVALID_GRANT, "the account no longer exists")
        new_value = secrets.token_urlsafe(32)
        new_hash = secret_digest(new_value)
        await self.tokens.add_refresh(
            RefreshToken(
                token_hash=new_hash,
                family_id=token.family_id,
                client_id=client.client_id,
                account_id=token.account_id,
                sid=token.sid,
                scope=token.scope,
                vot=token.vot,
                auth_time=token.auth_time,
                acr=token.acr,
                requested_by_vtr=token.requested_by_vtr,
                claims=token.claims,
                dpop_jkt=jkt,
                created_at=now,
                # The family's lifetime is fixed at sign-in: refreshing never extends it.
                expires_at=token.expires_at,
            )
        )
        sub = self.provider.subjects.subject(
            subject_type=client.subject_type,
            sector_identifier=client.sector_identifier,
            account_public_id=account.public_id,
        )
        access = await issue_access_token(
            self.db,
            self.provider,
            sub=sub,
            client_id=client.client_id,
            scope=scope,
            jti=access_jti_of_refresh(new_hash),
            jkt=jkt,
            account_id=account.id,
            vot=token.vot,
            auth_time=token.auth_time,
            userinfo_claims=_userinfo_claim_names(token),
        )
        id_token = None
        if "openid" in scope.split() and token.auth_time is not None:
            # OpenID Connect Core §12.2: the same iss, sub, aud, auth_time and level as the sign-in's ID
            # token, a new iat, and no nonce.
            id_token = await self._id_token(client, token, sub, token.auth_time, access.token, None)
        return TokenResponse(
            access.token, _token_type(jkt), access.expires_in, scope, id_token, refresh_token=new_value
        )

    # --- client_credentials -----------------------------------------------------------------------

    async def client_credentials(
        self, client: RelyingParty, form: dict[str, str], proof_jkt: str | None
    ) -> TokenResponse:
        if "client_credentials" not in client.grant_types:
            raise OAuthError(
                UNAUTHORIZED_CLIENT, "this client is not registered for the client_credentials grant"
            )
        machine_scopes = [s for s in client.allowed_scopes if s not in PERSON_SCOPES]
        asked = form["scope"].split() if form.get("scope") else machine_scopes
        refused = [s for s in asked if s not in machine_scopes]
        if refused or not asked:
            allowed = " ".join(machine_scopes) or "none"
            raise OAuthError(
                INVALID_SCOPE, f"this client may ask for {allowed}; not {' '.join(refused) or 'nothing'}"
            )
        jkt = _bound_key(client, proof_jkt, None)
        scope = " ".join(dict.fromkeys(asked))
        # RFC 9068 §2.2: with no person involved, the subject is the client itself.
        access = await issue_access_token(
            self.db, self.provider, sub=client.client_id, client_id=client.client_id, scope=scope, jkt=jkt
        )
        return TokenResponse(access.token, _token_type(jkt), access.expires_in, scope)
