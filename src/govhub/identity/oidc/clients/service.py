"""Relying parties: registering them (validated, with errors that say what to fix), finding them, and
their keys.

Registration follows the client metadata of RFC 7591 §2 and OpenID Connect Dynamic Client Registration
§2, though only operators register (the admin API and `govhub identity client create`)."""

from __future__ import annotations

import ipaddress
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from joserfc import jwk
from joserfc.errors import JoseError
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.db import Database
from govhub.identity.oidc.clients.repository import ClientsRepository
from govhub.identity.oidc.models import RelyingParty
from govhub.identity.oidc.subjects import SUBJECT_TYPES
from govhub.kit.clock import utcnow
from govhub.kit.errors import Conflict, FieldError, GovhubError
from govhub.kit.secret_digest import secret_digest

PRIVATE_KEY_JWT = "private_key_jwt"
CLIENT_SECRET_POST = "client_secret_post"  # noqa: S105 (a method's name, not a secret)
AUTH_METHODS = (PRIVATE_KEY_JWT, CLIENT_SECRET_POST)
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
#: A refresh token: the service keeps access while the person is away (consented to, OpenID Connect Core §11).
OFFLINE_ACCESS = "offline_access"
#: The person's data tracker (`GET /exchange/tracker`): a service reads who used the person's data only with
#: this scope, consented to on its own (the platform's own pages use the session).
DATA_USE_SCOPE = "govhub:data-use"
#: A service may name the person to other members through the data exchange (`X-Govhub-User-Token` at the
#: gateway) only with this scope, consented to on its own, and only from its own subsystem.
EXCHANGE_FOR_PERSON_SCOPE = "govhub:exchange-on-behalf"
#: Scopes about a person, asked through the authorization code flow (never by `client_credentials`).
PERSON_SCOPES = (
    "openid",
    "email",
    "identity",
    "business",
    OFFLINE_ACCESS,
    DATA_USE_SCOPE,
    EXCHANGE_FOR_PERSON_SCOPE,
)
#: Vectors of trust (RFC 8485 as GOV.UK One Login uses them) a client may be allowed to ask for.
LEVELS = ("Cl", "Cl.Cm", "Cl.Cm.P0", "Cl.Cm.P1", "Cl.Cm.P2")
ID_TOKEN_ALGORITHMS = ("ES256", "RS256")
#: The scope that lets a machine client use the relying-party admin API.
ADMIN_SCOPE = "govhub:identity-admin"
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._~-]{3,100}$")
_MACHINE_SCOPE = re.compile(r"^[A-Za-z0-9._:/-]{1,100}$")
#: The shape of `members.xroad_ids.SubsystemId` (identity does not depend on members): four parts.
_SUBSYSTEM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}(/[A-Za-z0-9][A-Za-z0-9_-]{0,39}){3}$")
_MAX_JWKS_BYTES = 65_536


class InvalidClientMetadata(GovhubError):
    """RFC 7591 §3.2.2 `invalid_client_metadata`, as a problem with one entry per wrong field."""

    status = 422
    slug = "invalid-client-metadata"
    title = "Invalid client registration"


class ClientExists(Conflict):
    slug = "client-exists"
    title = "Client exists"


@dataclass
class ClientRegistration:
    name: str
    organisation: str
    redirect_uris: list[str] = field(default_factory=list)
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    backchannel_logout_uri: str | None = None
    purpose: str = ""
    client_id: str | None = None
    token_endpoint_auth_method: str = PRIVATE_KEY_JWT
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    id_token_signed_response_alg: str = "ES256"  # noqa: S105 (an algorithm)
    sector_identifier: str | None = None
    subject_type: str = "pairwise"
    #: Empty: the authorization code flow (with refresh) if redirect URIs are given, else client credentials.
    grant_types: list[str] = field(default_factory=list)
    allowed_scopes: list[str] = field(default_factory=list)
    allowed_levels: list[str] = field(default_factory=lambda: ["Cl", "Cl.Cm"])
    require_par: bool = False
    require_dpop: bool = False
    #: The data exchange subsystem (`INSTANCE/CLASS/MEMBER/SUBSYSTEM`) acting for the people signed in here.
    exchange_subsystem: str | None = None


@dataclass(frozen=True)
class Registered:
    client: RelyingParty
    #: The client secret for `client_secret_post`, shown once; only its hash is kept.
    client_secret: str | None


def is_loopback_host(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def uri_problem(uri: str, *, what: str) -> str | None:  # noqa: PLR0911 (one answer per rule)
    """Why `uri` cannot be a redirect, logout or key URI: absolute https (http only on this machine), no
    fragment (RFC 6749 §3.1.2), no credentials."""
    if len(uri) > 2000:
        return f"the {what} is longer than 2000 characters"
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        return f"the {what} {uri!r} is not a URL"
    if parts.scheme not in {"https", "http"} or not host:
        return f"the {what} {uri!r} must be an absolute https URL"
    if parts.scheme == "http" and not is_loopback_host(host):
        return f"the {what} {uri!r} must use https (http only for localhost or 127.0.0.1)"
    if parts.fragment or uri.endswith("#"):
        return f"the {what} {uri!r} must not have a fragment (#...)"
    if parts.username or parts.password:
        return f"the {what} {uri!r} must not carry a user name or password"
    return None


def jwks_problems(jwks: object) -> list[str]:
    """Why `jwks` is not a usable JWK Set of public signing keys (RFC 7517 §5)."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        return ['the keys must be a JWK Set: {"keys": [ ... ]} with at least one key']
    problems: list[str] = []
    for index, key in enumerate(jwks["keys"]):
        if not isinstance(key, dict):
            problems.append(f"key {index} is not a JSON object")
            continue
        if key.get("kty") not in {"EC", "RSA"}:
            problems.append(f"key {index} must be an EC (P-256) or RSA key")
            continue
        if any(private in key for private in ("d", "p", "q", "dp", "dq", "qi")):
            problems.append(f"key {index} contains private key material: register the public key only")
            continue
        if key.get("use", "sig") != "sig":
            problems.append(f"key {index} has use {key.get('use')!r}; signing keys have use 'sig'")
            continue
        try:
            imported = jwk.import_key(key)
        except (JoseError, ValueError, TypeError) as error:
            problems.append(f"key {index} is not a valid JWK: {error}")
            continue
        if isinstance(imported, jwk.ECKey) and key.get("crv") != "P-256":
            problems.append(f"key {index} must be on curve P-256")
    return problems


def _validate(reg: ClientRegistration) -> list[FieldError]:  # noqa: PLR0912 (one check per field)
    errors: list[FieldError] = []

    def wrong(name: str, detail: str) -> None:
        errors.append(FieldError("body", f"/{name}", detail))

    if not reg.name.strip() or len(reg.name) > 200:
        wrong("name", "give the service's name (1 to 200 characters)")
    if not reg.organisation.strip() or len(reg.organisation) > 200:
        wrong("organisation", "give the organisation running the service (1 to 200 characters)")
    if reg.client_id is not None and not _CLIENT_ID.match(reg.client_id):
        wrong("clientId", "a client id is 3 to 100 letters, digits, '.', '_', '~' or '-'")
    for name, uris in (
        ("redirectUris", reg.redirect_uris),
        ("postLogoutRedirectUris", reg.post_logout_redirect_uris),
    ):
        for uri in uris:
            if (problem := uri_problem(uri, what="redirect URI")) is not None:
                wrong(name, problem)
    if reg.backchannel_logout_uri and (problem := uri_problem(reg.backchannel_logout_uri, what="logout URI")):
        wrong("backchannelLogoutUri", problem)
    if reg.token_endpoint_auth_method not in AUTH_METHODS:
        wrong("tokenEndpointAuthMethod", f"the method is one of {', '.join(AUTH_METHODS)}")
    if reg.token_endpoint_auth_method == PRIVATE_KEY_JWT:
        if (reg.jwks is None) == (reg.jwks_uri is None):
            wrong("jwks", "private_key_jwt needs the client's public keys: give jwks or jwksUri, one of them")
        elif reg.jwks is not None:
            for problem in jwks_problems(reg.jwks):
                wrong("jwks", problem)
        elif reg.jwks_uri is not None and (problem := uri_problem(reg.jwks_uri, what="JWKS URI")):
            wrong("jwksUri", problem)
    elif reg.jwks is not None or reg.jwks_uri is not None:
        wrong(
            "jwks", "keys are for private_key_jwt; a client_secret_post client authenticates with its secret"
        )
    if reg.id_token_signed_response_alg not in ID_TOKEN_ALGORITHMS:
        wrong("idTokenSignedResponseAlg", f"ID tokens are signed with {' or '.join(ID_TOKEN_ALGORITHMS)}")
    if reg.subject_type not in SUBJECT_TYPES:
        wrong("subjectType", "the subject type is pairwise or public")
    if reg.sector_identifier is not None and not (0 < len(reg.sector_identifier) <= 200):
        wrong("sectorIdentifier", "the sector identifier is 1 to 200 characters (e.g. a host name)")
    for grant in reg.grant_types:
        if grant not in GRANT_TYPES:
            wrong("grantTypes", f"{grant!r} is not a grant type here; use {', '.join(GRANT_TYPES)}")
    if "authorization_code" in reg.grant_types and not reg.redirect_uris:
        wrong("redirectUris", "the authorization code flow needs at least one redirect URI")
    if "refresh_token" in reg.grant_types and "authorization_code" not in reg.grant_types:
        wrong("grantTypes", "refresh_token comes with authorization_code")
    for scope in reg.allowed_scopes:
        if not _MACHINE_SCOPE.match(scope):
            wrong("allowedScopes", f"{scope!r} is not a scope (letters, digits and . _ : / -)")
    if "client_credentials" in reg.grant_types and not [
        s for s in reg.allowed_scopes if s not in PERSON_SCOPES
    ]:
        wrong(
            "allowedScopes",
            "a client_credentials client needs at least one machine scope, e.g. 'registries:read'",
        )
    for level in reg.allowed_levels:
        if level not in LEVELS:
            wrong("allowedLevels", f"{level!r} is not a level; use {', '.join(LEVELS)}")
    if len(reg.purpose) > 2000:
        wrong("purpose", "the purpose is at most 2000 characters")
    if reg.exchange_subsystem is not None and not _SUBSYSTEM_ID.match(reg.exchange_subsystem):
        wrong(
            "exchangeSubsystem",
            "the exchange subsystem is a subsystem identifier, INSTANCE/CLASS/MEMBER/SUBSYSTEM",
        )
    if EXCHANGE_FOR_PERSON_SCOPE in reg.allowed_scopes and reg.exchange_subsystem is None:
        wrong(
            "exchangeSubsystem",
            f"the {EXCHANGE_FOR_PERSON_SCOPE} scope lets the service's exchange subsystem act for a person: "
            "name that subsystem",
        )
    return errors


def _with_defaults(reg: ClientRegistration) -> ClientRegistration:
    if not reg.grant_types:
        reg.grant_types = (
            ["authorization_code", "refresh_token"] if reg.redirect_uris else ["client_credentials"]
        )
    if not reg.allowed_scopes and "authorization_code" in reg.grant_types:
        reg.allowed_scopes = ["openid", "email"]
    if "authorization_code" in reg.grant_types and "openid" not in reg.allowed_scopes:
        reg.allowed_scopes = ["openid", *reg.allowed_scopes]
    return reg


def _default_sector(reg: ClientRegistration, client_id: str) -> str:
    """OpenID Connect Core §8.1: without a sector identifier, the host of the redirect URIs."""
    if reg.sector_identifier:
        return reg.sector_identifier
    hosts = {urlsplit(uri).hostname for uri in reg.redirect_uris}
    return hosts.pop() or client_id if len(hosts) == 1 else client_id


async def register_client(db: AsyncSession, reg: ClientRegistration) -> Registered:
    reg = _with_defaults(reg)
    errors = _validate(reg)
    if errors:
        raise InvalidClientMetadata("; ".join(e.detail for e in errors) + ".", field_errors=errors)
    repository = ClientsRepository(db)
    client_id = reg.client_id or secrets.token_urlsafe(16)
    if await repository.by_client_id(client_id) is not None:
        raise ClientExists(f"There is already a client with id {client_id!r}.")
    secret = secrets.token_urlsafe(32) if reg.token_endpoint_auth_method == CLIENT_SECRET_POST else None
    client = RelyingParty(
        client_id=client_id,
        name=reg.name.strip(),
        organisation=reg.organisation.strip(),
        purpose=reg.purpose,
        redirect_uris=reg.redirect_uris,
        post_logout_redirect_uris=reg.post_logout_redirect_uris,
        backchannel_logout_uri=reg.backchannel_logout_uri,
        token_endpoint_auth_method=reg.token_endpoint_auth_method,
        client_secret_hash=secret_digest(secret) if secret else None,
        jwks=reg.jwks,
        jwks_uri=reg.jwks_uri,
        id_token_signed_response_alg=reg.id_token_signed_response_alg,
        sector_identifier=_default_sector(reg, client_id),
        subject_type=reg.subject_type,
        grant_types=reg.grant_types,
        allowed_scopes=reg.allowed_scopes,
        allowed_levels=reg.allowed_levels,
        require_par=reg.require_par,
        require_dpop=reg.require_dpop,
        created_at=utcnow(),
        disabled_at=None,
        exchange_subsystem=reg.exchange_subsystem,
    )
    return Registered(await repository.add(client), secret)


async def all_clients(db: AsyncSession) -> Sequence[RelyingParty]:
    """Every registered client, disabled ones too, in the order they were registered."""
    return await ClientsRepository(db).all_clients()


async def client_by_id(db: AsyncSession, client_id: str) -> RelyingParty | None:
    """The client with this id, enabled or not (the admin API shows disabled ones too)."""
    return await ClientsRepository(db).by_client_id(client_id)


async def find_client(db: AsyncSession, client_id: str) -> RelyingParty | None:
    """The enabled client with this id; None for an unknown or disabled one."""
    client = await ClientsRepository(db).by_client_id(client_id)
    return client if client is not None and client.disabled_at is None else None


async def disable_client(db: AsyncSession, client_id: str) -> RelyingParty | None:
    """Disable a client (it keeps its registration, for the record); None when there is no such client.
    Disabling twice keeps the first time."""
    client = await ClientsRepository(db).by_client_id(client_id)
    if client is not None and client.disabled_at is None:
        client.disabled_at = utcnow()
        await db.flush()
    return client


async def enable_client(db: AsyncSession, client_id: str) -> RelyingParty | None:
    """Enable a disabled client again (a member reinstated); None when there is no such client."""
    client = await ClientsRepository(db).by_client_id(client_id)
    if client is not None and client.disabled_at is not None:
        client.disabled_at = None
        await db.flush()
    return client


def detached_copy(client: RelyingParty) -> RelyingParty:
    """A copy belonging to no session, safe to keep in memory across requests."""
    columns = RelyingParty.__table__.columns.keys()
    return RelyingParty(**{name: getattr(client, name) for name in columns})


class ClientCache:
    """Enabled clients as this node last read them, for at most `ttl` seconds, so the token endpoint does
    not read the registration on every grant. Disabling a client takes effect within `ttl` everywhere."""

    def __init__(self, ttl: float, *, database: Database | None = None) -> None:
        self.ttl = ttl
        #: Lookups run in a session of their own when given, so the request's session does not begin a
        #: transaction by reading (see `KeyRing.database`).
        self.database = database
        self._entries: dict[str, tuple[float, RelyingParty | None]] = {}

    async def find(self, db: AsyncSession, client_id: str) -> RelyingParty | None:
        entry = self._entries.get(client_id)
        if entry is not None and time.monotonic() - entry[0] <= self.ttl:
            return entry[1]
        if self.database is None or db.in_transaction():
            found = await find_client(db, client_id)
        else:
            async with self.database.sessions() as own:
                found = await find_client(own, client_id)
        if len(self._entries) > 10_000:  # unknown ids sent by anyone must not grow the cache without end
            self._entries.clear()
        self._entries[client_id] = (time.monotonic(), detached_copy(found) if found else None)
        return self._entries[client_id][1]

    def forget(self, client_id: str) -> None:
        self._entries.pop(client_id, None)


class KeysUnavailable(Exception):
    """A client's `jwks_uri` could not be fetched or did not hold a JWK Set."""


class RemoteKeySets:
    """Clients' key sets fetched from their `jwks_uri`: cached, with short timeouts and a size limit,
    fetched again at most every `min_refetch` seconds when a token names a key the cache lacks."""

    def __init__(
        self,
        *,
        ttl: float = 300,
        min_refetch: float = 30,
        timeout: float = 5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.transport = transport
        self.ttl = ttl
        self.min_refetch = min_refetch
        self.timeout = timeout
        self._cache: dict[str, tuple[float, jwk.KeySet]] = {}

    async def key_set(self, uri: str, *, refresh: bool = False) -> jwk.KeySet:
        cached = self._cache.get(uri)
        age = time.monotonic() - cached[0] if cached else None
        if cached and age is not None and (age <= self.ttl and not (refresh and age > self.min_refetch)):
            return cached[1]
        key_set = await self._fetch(uri)
        self._cache[uri] = (time.monotonic(), key_set)
        return key_set

    async def _fetch(self, uri: str) -> jwk.KeySet:
        try:
            async with httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=False, transport=self.transport
            ) as http:
                response = await http.get(uri, headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            raise KeysUnavailable(
                f"the client's jwks_uri could not be fetched: {type(error).__name__}"
            ) from None
        if response.status_code != 200 or len(response.content) > _MAX_JWKS_BYTES:
            raise KeysUnavailable(f"the client's jwks_uri answered {response.status_code}")
        try:
            document = response.json()
        except ValueError:
            raise KeysUnavailable("the client's jwks_uri did not answer JSON") from None
        problems = jwks_problems(document)
        if problems:
            raise KeysUnavailable("the client's jwks_uri: " + "; ".join(problems))
        return jwk.KeySet.import_key_set(document)
