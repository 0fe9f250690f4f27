"""The gateway's rules (X-Road Message Protocol for REST, PR-REST 1.0): who calls, which service, whether
they may, on whose behalf, and the message log entry of every answer. Never commits: the route runs the
checks in one unit of work and records each exchange in a unit of work of its own.

The order of the checks decides what a caller can learn: the caller authenticates first (401), then says
who it is (`X-Road-Client`, 403 on a mismatch), and only then is the service id read (400), the path and
method-override headers judged (400, `request_rules`), the service looked up (404), and the access right
checked against the OpenAPI operation (403).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from govhub.exchange.gateway import xroad_errors as xe
from govhub.exchange.gateway.gateway_assertion import HEADER as ASSERTION_HEADER
from govhub.exchange.gateway.gateway_assertion import assertion_signer, sign_gateway_assertion
from govhub.exchange.gateway.relay import Outcome
from govhub.exchange.gateway.request_rules import override_problem, path_problem
from govhub.exchange.message_log.models import MAX_PATH, MAX_PURPOSE
from govhub.exchange.message_log.repository import ExchangeRepository
from govhub.exchange.message_log.service import MESSAGE_ID, Exchange
from govhub.identity import account_by_id
from govhub.identity.oidc import (
    EXCHANGE_FOR_PERSON_SCOPE,
    InvalidToken,
    OAuthError,
    access_token_holder,
    check_access_token,
    provider_of,
)
from govhub.members import (
    CallerView,
    CurrentNetwork,
    InvalidIdentifier,
    NetworkView,
    ServiceId,
    Verdict,
    may_call,
    parse_service_id,
    parse_subsystem_id,
)

#: The caller's subsystem: X-Road's header, and the GovStack Information Mediator's two names for it.
CLIENT_HEADERS = ("x-road-client", "x-govstack-client", "information-mediator-client")
#: A citizen's own access token, when a member acts for them: the gateway verifies it (and that it is bound
#: to the calling subsystem) and sends the provider the person's pairwise id for its member as
#: X-Road-UserId. Never forwarded.
USER_TOKEN_HEADER = "x-govhub-user-token"  # noqa: S105 (a header name, not a secret)
PURPOSE_HEADER = "x-road-purpose"
#: Headers the provider never sees (the forwarder drops X-Road-UserId, Authorization and the rest itself).
NOT_FORWARDED = frozenset(
    {USER_TOKEN_HEADER, ASSERTION_HEADER.lower(), "x-govstack-client", "information-mediator-client"}
)
#: A govhub extension (PR-REST leaves authentication to TLS): no valid access token.
UNAUTHORIZED = "Client.Unauthorized"
#: A govhub extension: the citizen's token in X-Govhub-User-Token is not a valid token of a person.
INVALID_USER_TOKEN = "Client.InvalidUserToken"  # noqa: S105 (an error type, not a secret)
#: A govhub extension: the citizen's token was issued to another service than the calling subsystem's.
FOREIGN_USER_TOKEN = "Client.ForeignUserToken"  # noqa: S105 (an error type, not a secret)
UNKNOWN_CLIENT = "unknown"

logger = logging.getLogger("govhub.exchange.gateway")


@dataclass
class Checked:
    """Everything the gateway learnt of one request; `error` is set when it is refused."""

    message_id: str
    method: str
    #: The message id is the caller's X-Road-Id (else a fresh UUID of the gateway's).
    message_id_chosen: bool = True
    client_id: str = UNKNOWN_CLIENT
    service_id: str = "unknown"
    path: str = "/"
    operation: str | None = None
    #: The account public id of the person the exchange is about: kept in the message log only.
    user_id: str | None = None
    #: The person's pairwise id for the provider's member: what the provider is told (X-Road-UserId).
    provider_user_id: str | None = None
    purpose: str | None = None
    base_url: str = ""
    #: The service is registered (so its id may label metrics: callers cannot make up new ones).
    service_known: bool = False
    error: xe.XRoadError | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def refuse(self, error_type: str, message: str, status: int | None = None) -> Checked:
        self.error = xe.XRoadError(error_type, message, self.message_id, status)
        return self

    @property
    def upstream_url(self) -> str:
        """The provider's base URL and the concrete path (already matched to a documented endpoint, so with
        no `.`/`..` segment, query or fragment), re-encoded; the caller's query string as sent."""
        return self.base_url + quote(self.path, safe="/:@!$&'()*+,;=-._~")


async def message_id_of(session: AsyncSession, request: Request) -> tuple[str, bool]:
    """The caller's X-Road-Id when it is a valid message id not yet in the log, else a new UUID; and
    whether the id is the caller's."""
    given = request.headers.get("x-road-id", "")
    if MESSAGE_ID.match(given) and not await ExchangeRepository(session).existing_message_ids([given]):
        return given, True
    return str(uuid.uuid4()), False


def _client_header(request: Request) -> str | None:
    for name in CLIENT_HEADERS:
        if (value := request.headers.get(name)) is not None:
            return value.strip()
    return None


class _Refused(Exception):
    """A check failed: `Checked.error` says how the caller is answered."""


def _refuse(checked: Checked, error_type: str, message: str, status: int | None = None) -> _Refused:
    checked.refuse(error_type, message, status)
    return _Refused()


async def check(session: AsyncSession, network: NetworkView, request: Request, rest: str) -> Checked:
    """Run every check on a `/r1/{serviceId}/{path}` request (`rest` is what follows `/r1/`)."""
    message_id, chosen = await message_id_of(session, request)
    checked = Checked(message_id, request.method.upper(), message_id_chosen=chosen)
    try:
        current = await network.current(session)
        caller = await _caller(session, request, checked, current)
        service_id = _service_and_path(request, checked, rest)
        await _user(session, request, checked)
        await _access(current, checked, caller, service_id)
        await _vouch(session, request, checked)
    except _Refused:
        pass
    return checked


async def _caller(
    session: AsyncSession, request: Request, checked: Checked, network: CurrentNetwork
) -> CallerView:
    try:
        claims = await access_token_holder(request, session)
    except OAuthError as error:
        raise _refuse(
            checked, UNAUTHORIZED, f"Send a valid access token of your subsystem: {error}.", 401
        ) from None
    caller = await network.caller(claims.client_id)
    if caller.subsystem_id is not None and not caller.active:
        # A token issued before its subsystem or member was suspended is still unexpired: refused here.
        raise _refuse(checked, xe.ACCESS_DENIED, "Your subsystem or its member is not active.")
    if caller.subsystem_id is None:
        # As the directory's metaservices answer an admin client's or a person's token.
        raise _refuse(checked, xe.INVALID_CLIENT, "The access token is not a member subsystem's.")
    checked.client_id = str(caller.subsystem_id)
    said = _client_header(request)
    if said is None:
        raise _refuse(checked, xe.BAD_REQUEST, "Send X-Road-Client with your subsystem's identifier.")
    if said != checked.client_id:
        raise _refuse(checked, xe.INVALID_CLIENT, "X-Road-Client does not name the authenticated subsystem.")
    return caller


def _service_and_path(request: Request, checked: Checked, rest: str) -> ServiceId:
    parts = rest.split("/", 5)
    try:
        service_id = parse_service_id("/".join(parts[:5]))
    except InvalidIdentifier as error:
        raise _refuse(checked, xe.BAD_REQUEST, f"The path does not name a service: {error}") from None
    checked.service_id = str(service_id)
    checked.path = "/" + (parts[5] if len(parts) > 5 else "")
    if len(checked.path) > MAX_PATH:
        checked.path = checked.path[:MAX_PATH]
        raise _refuse(checked, xe.BAD_REQUEST, f"The path is longer than {MAX_PATH} characters.")
    # Judged on the bytes as sent (ASGI's raw_path; some servers put the query in it too).
    raw_path = (request.scope.get("raw_path") or request.scope["path"].encode("utf-8")).split(b"?", 1)[0]
    problem = path_problem(raw_path) or override_problem(request.headers.raw, request.url.query)
    if problem is not None:
        # Kept in the message log as text: a control character (NUL, which PostgreSQL's text refuses) is
        # written percent-encoded.
        printable = "".join(c if c.isprintable() else quote(c) for c in checked.path)
        checked.path = printable[:MAX_PATH]
        raise _refuse(checked, xe.BAD_REQUEST, problem)
    purpose = request.headers.get(PURPOSE_HEADER)
    if purpose is not None:
        if not 0 < len(purpose.strip()) <= MAX_PURPOSE or not purpose.isprintable():
            raise _refuse(
                checked, xe.BAD_REQUEST, f"X-Road-Purpose is 1 to {MAX_PURPOSE} printable characters."
            )
        checked.purpose = purpose.strip()
    return service_id


async def _access(
    network: CurrentNetwork, checked: Checked, caller: CallerView, service_id: ServiceId
) -> None:
    """Members' one rule (`may_call`), answered from the node's view of the network; each refusal with its
    X-Road error. The caller is a subsystem, active (`_caller` refused it otherwise)."""
    decision = await may_call(network, caller, service_id, checked.method, checked.path)
    service = decision.service
    if service is None:
        if decision.verdict is not Verdict.UNKNOWN_SERVICE:
            raise _refuse(checked, xe.ACCESS_DENIED, "Your subsystem or its member is not active.")
        raise _refuse(checked, xe.UNKNOWN_SERVICE, f"There is no service {service_id}.")
    checked.service_known = True
    if decision.verdict is Verdict.PROVIDER_INACTIVE:
        raise _refuse(checked, xe.ACCESS_DENIED, f"The provider of {service_id} is suspended.")
    endpoint = decision.endpoint
    if endpoint is not None:
        checked.operation = endpoint.operation_id or endpoint.label
    if not decision.allowed:
        what = f"{checked.method} {checked.path}"
        raise _refuse(
            checked, xe.ACCESS_DENIED, f"{caller.subsystem_id} may not call {what} of {service_id}."
        )
    checked.base_url = service.base_url
    checked.extra_headers = {"X-Road-Client": checked.client_id, "X-Road-Service": checked.service_id}
    if checked.provider_user_id is not None:
        checked.extra_headers["X-Road-UserId"] = checked.provider_user_id


async def _vouch(session: AsyncSession, request: Request, checked: Checked) -> None:
    """The gateway's signed word to the provider that this request came through it, with what it checked
    (`gateway_assertion`): a provider in production mode takes no request without it."""
    signer = await assertion_signer(provider_of(request), session)
    checked.extra_headers[ASSERTION_HEADER] = sign_gateway_assertion(
        signer,
        service_id=checked.service_id,
        message_id=checked.message_id,
        client_id=checked.client_id,
        method=checked.method,
        url=checked.upstream_url,
        user_id=checked.provider_user_id,
    )


async def _user(session: AsyncSession, request: Request, checked: Checked) -> None:
    """The citizen a member acts for, from their own access token (verified as `access_token_holder`
    verifies one: signature, issuer, expiry, revocation), never from a header the caller writes.

    The token must be bound to the caller: issued with the `govhub:exchange-on-behalf` scope (which the
    person consented to: "let this service ask other services about you") to the calling subsystem's own
    OAuth client, or to the relying party its operator linked to that subsystem (`exchange_subsystem`). So a
    person's token leaked to, or passed on to, another member names nobody there. The provider is told a
    pairwise id for its member (`Subjects.exchange_user_id`), never the account's public id, which only the
    message log keeps (so the person's tracker finds the exchange)."""
    token = request.headers.get(USER_TOKEN_HEADER)
    if token is None:
        return
    provider = provider_of(request)
    try:
        claims = await check_access_token(session, provider, token.strip(), check_revoked=True)
        account_id = claims.account_id(provider)
    except InvalidToken as error:
        raise _refuse(checked, INVALID_USER_TOKEN, f"X-Govhub-User-Token: {error}.", 403) from None
    if claims.jkt is not None:
        # A DPoP-bound token is only good with its holder's proof, which a member cannot make.
        raise _refuse(checked, INVALID_USER_TOKEN, "X-Govhub-User-Token must not be DPoP-bound.", 403)
    account = await account_by_id(session, account_id) if account_id is not None else None
    if account is None:
        raise _refuse(checked, INVALID_USER_TOKEN, "X-Govhub-User-Token is not a person's access token.", 403)
    if EXCHANGE_FOR_PERSON_SCOPE not in claims.scopes:
        raise _refuse(
            checked,
            INVALID_USER_TOKEN,
            f"X-Govhub-User-Token was not issued with the {EXCHANGE_FOR_PERSON_SCOPE} scope: the person has "
            "not let your service ask other services about them.",
            403,
        )
    if not await _bound_to_caller(session, request, claims.client_id, checked.client_id):
        # Recorded under the person, so their tracker shows that a member tried to act for them.
        checked.user_id = account.public_id
        logger.warning(
            "gateway: %s presented a person's token issued to client %s, not bound to it (message %s)",
            checked.client_id,
            claims.client_id,
            checked.message_id,
        )
        raise _refuse(
            checked,
            FOREIGN_USER_TOKEN,
            "X-Govhub-User-Token was issued to another service, not to your subsystem or the service it acts "
            "for.",
            403,
        )
    checked.user_id = account.public_id
    checked.provider_user_id = provider.subjects.exchange_user_id(
        provider_member=str(parse_service_id(checked.service_id).subsystem.member),
        account_public_id=account.public_id,
    )


async def _bound_to_caller(
    session: AsyncSession, request: Request, token_client_id: str, caller_subsystem: str
) -> bool:
    """Whether a person's token of `token_client_id` may be used by the subsystem `caller_subsystem`: it is
    that subsystem's own client, or the (enabled) relying party linked to it."""
    if token_client_id == parse_subsystem_id(caller_subsystem).client_id:
        return True
    relying_party = await provider_of(request).clients.find(session, token_client_id)
    return relying_party is not None and relying_party.exchange_subsystem == caller_subsystem


def exchange_of(
    checked: Checked,
    *,
    status: int,
    outcome: str,
    started_at: datetime,
    duration_ms: int,
    error_code: str | None = None,
    forwarded: Outcome | None = None,
) -> Exchange:
    """The message log's account of one gateway answer, refused or forwarded."""
    return Exchange(
        message_id=checked.message_id,
        client_id=checked.client_id,
        service_id=checked.service_id,
        method=checked.method,
        path=checked.path,
        operation=checked.operation,
        user_id=checked.user_id,
        purpose=checked.purpose,
        status=status,
        outcome=outcome,
        error_code=error_code,
        started_at=started_at,
        duration_ms=duration_ms,
        request_size=forwarded.request_size if forwarded else 0,
        response_size=forwarded.response_size if forwarded else 0,
        request_sha256=forwarded.request_sha256 if forwarded else None,
        response_sha256=forwarded.response_sha256 if forwarded else None,
    )
