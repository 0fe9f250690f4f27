"""Who calls the registries, taken from a verified source only (issue 14 §1; X-Road's model: a provider
trusts only its security server).

A client header (`Information-Mediator-Client`, or its aliases `X-Road-Client` and `X-GovStack-Client`)
names a caller, but on its own proves nothing. The caller is believed when one of these vouches for it:

1. **The exchange gateway's assertion** (`X-Govhub-Gateway-Assertion`): the registries are a service of the
   platform's own member in the exchange (`registries_service_id`), so a member's call through
   `/r1/...` arrives with the gateway's signed word, checked as every provider checks it
   (`exchange.provider_guard.verify_request_assertion`) against the platform's own keys, with this
   service's id as the audience. The caller is the assertion's client subsystem; the purpose, the
   request's `X-Road-Purpose`.
2. **The subsystem's own access token** (`Authorization: Bearer`, from the `client_credentials` grant):
   verified as every protected resource verifies one (`identity.oidc.access_token_holder`), it must
   be an active member subsystem's (not a person's), and that subsystem must be the one the client header
   names.
3. **A trusted mediator**: the bare header, when the request's socket peer (never `X-Forwarded-For`) is in
   one of the networks of the `registries_trusted_mediators` setting, where an X-Road security server or
   GovStack Information Mediator in front of govhub has authenticated the caller itself.

Anything else is an anonymous caller, who reads open registers and nothing more: a header that was sent but
not believed is kept only to say, in the 401, why it was not (`Caller.unverified`). Credentials that were
sent but do not verify are refused outright (401 or 403), whatever the register.
"""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import Headers

from govhub.config import Settings
from govhub.db import Database
from govhub.exchange import (
    ASSERTION_HEADER,
    AssertionRefused,
    OwnKeys,
    SeenMessages,
    verify_request_assertion,
)
from govhub.identity.oidc import ACCOUNT_CLAIM, OAuthError, access_token_holder, provider_of
from govhub.kit.peers import peer_address
from govhub.members import MemberId, ServiceId, active_subsystem_of_client
from govhub.registries.caller import HOW_TO_IDENTIFY, Caller
from govhub.registries.errors import CallerRefused, CallerUnknown

#: The client header GovStack's Digital Registries API documents, then X-Road's and GovStack IM's names.
CLIENT_HEADERS = ("Information-Mediator-Client", "X-Road-Client", "X-GovStack-Client")
#: Why the data is read: X-Road's header (the gateway passes it on), then govhub's older one.
PURPOSE_HEADERS = ("X-Road-Purpose", "X-Purpose")

#: The registries in the exchange: member `GOV/platform` of the deployment's instance, subsystem
#: `registries`, service `digitalregistries` (`exchange_service` registers them).
PLATFORM_MEMBER_CLASS = "GOV"
PLATFORM_MEMBER_CODE = "platform"
SUBSYSTEM_CODE = "registries"
SERVICE_CODE = "digitalregistries"


def platform_member_id(settings: Settings) -> MemberId:
    return MemberId(settings.members_instance, PLATFORM_MEMBER_CLASS, PLATFORM_MEMBER_CODE)


def registries_service_id(settings: Settings) -> ServiceId:
    """The registries' service id in the exchange: the audience of the gateway's assertions to them."""
    return ServiceId(platform_member_id(settings).subsystem(SUBSYSTEM_CODE), SERVICE_CODE)


def named_client(headers: Headers) -> str | None:
    """The client the request's headers name, whichever of the three it uses; all that are sent must agree."""
    named = {value.strip() for name in CLIENT_HEADERS for value in headers.getlist(name)}
    if len(named) > 1:
        raise CallerUnknown(
            "The client headers (Information-Mediator-Client, X-Road-Client, X-GovStack-Client) name "
            "different callers: send one."
        )
    return named.pop() if named else None


def _purpose(headers: Headers) -> str | None:
    for name in PURPOSE_HEADERS:
        if (value := headers.get(name)) is not None:
            return value
    return None


def from_trusted_mediator(request: Request, settings: Settings) -> bool:
    """Whether the request's socket peer is in a trusted mediator's network. Only the transport's own
    address counts: a header such as X-Forwarded-For is written by whoever sends the request."""
    peer = peer_address(request)
    if peer is None:
        return False
    return any(peer in network for network in settings.registries_trusted_mediators)


def _seen_assertions(request: Request) -> SeenMessages:
    """The node's X-Road-Ids of assertions accepted (a replay is refused), made on first use."""
    state = request.app.state
    seen: SeenMessages | None = getattr(state, "registries_seen_assertions", None)
    if seen is None:
        seen = state.registries_seen_assertions = SeenMessages()
    return seen


async def caller_of(request: Request) -> Caller:
    """The verified caller of a registries request (see the module docstring), or anonymous."""
    settings: Settings = request.app.state.settings
    headers = request.headers
    named = named_client(headers)
    purpose = _purpose(headers)
    if ASSERTION_HEADER in headers:
        return await _through_gateway(request, settings, named, purpose)
    if "authorization" in headers:
        return await _with_token(request, named, purpose)
    if named is None:
        return Caller(None, Caller.stated(purpose))
    if from_trusted_mediator(request, settings):
        return Caller.from_header(named, purpose)
    return Caller(None, Caller.stated(purpose), unverified=named[:200])


async def _through_gateway(
    request: Request, settings: Settings, named: str | None, purpose: str | None
) -> Caller:
    database: Database = request.app.state.database
    provider = provider_of(request)
    try:
        async with database.sessions() as db:
            claims = await verify_request_assertion(
                request.headers,
                method=request.method,
                path=request.url.path,
                keys=OwnKeys(provider, db),
                issuer=provider.issuer,
                audiences=[str(registries_service_id(settings))],
                seen=_seen_assertions(request),
            )
    except AssertionRefused as refused:
        raise CallerUnknown(
            f"The gateway assertion ({ASSERTION_HEADER}) was refused: {refused}. "
            f"To identify your system, {HOW_TO_IDENTIFY}."
        ) from None
    client = str(claims["client"]) if claims is not None else None
    if client is None or (named is not None and named != client):
        raise CallerRefused("The client header does not name the subsystem the gateway vouched for.")
    return Caller.from_header(client, purpose)


async def _with_token(request: Request, named: str | None, purpose: str | None) -> Caller:
    database: Database = request.app.state.database
    try:
        # A unit of work: a DPoP-bound token's proof is recorded (its jti) as it is checked.
        async with database.unit_of_work() as db:
            claims = await access_token_holder(request, db)
            active = (
                None
                if ACCOUNT_CLAIM in claims.claims
                else await active_subsystem_of_client(db, claims.client_id)
            )
    except OAuthError as error:
        raise CallerUnknown(
            f"The access token was not accepted: {error.error_description}. To identify your system, "
            f"{HOW_TO_IDENTIFY}."
        ) from None
    if ACCOUNT_CLAIM in claims.claims:
        raise CallerRefused(
            "This is a person's access token: the registries take a member subsystem's own token "
            "(client_credentials)."
        )
    if active is None:
        raise CallerRefused(
            "The access token is not an active member subsystem's (the client is no subsystem's, or the "
            "subsystem or its member is suspended)."
        )
    if named is None:
        raise CallerUnknown(
            f"Send Information-Mediator-Client naming your subsystem ({active.subsystem_id}) with its token."
        )
    if named != str(active.subsystem_id):
        raise CallerRefused(
            f"Information-Mediator-Client names {named[:200]!r}, but the access token is "
            f"{active.subsystem_id}'s."
        )
    return Caller.from_header(named, purpose)
