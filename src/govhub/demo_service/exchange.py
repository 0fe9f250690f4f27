"""The council's subsystem calling the NHS trust's blue badge eligibility service through govhub's gateway
(X-Road Message Protocol for REST), on behalf of the signed-in citizen.

The subsystem authenticates with an access token from govhub's `client_credentials` grant, its client
assertion signed with its own key (`private_key_jwt`, RFC 7523), kept until shortly before it expires. The
call names the subsystem (`X-Road-Client`), says why (`X-Road-Purpose`) and carries the citizen's own
access token from the sign-in (`X-Govhub-User-Token`): the gateway verifies it and tells the trust who the
person is (X-Road-UserId), so the council never sends a person identifier of its own. The exchange then
shows in the citizen's data tracker.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign  # type: ignore[import-untyped]
from joserfc.jwk import ECKey

from govhub.demo_service.keys import load_subsystem_key
from govhub.demo_service.oidc import ASSERTION_LIFETIME, UNREACHABLE
from govhub.demo_service.settings import PURPOSE, DemoServiceSettings

logger = logging.getLogger("govhub.demo_service.exchange")

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: A token is used until this many seconds before it expires.
TOKEN_MARGIN = 30
#: The X-Road error types the gateway answers with that the page explains in its own words.
_EXPLAINED = {
    "Client.InvalidUserToken": "Your sign-in has expired: sign out and in again to check it.",
    "Server.ServerProxy.AccessDenied": "The NHS trust does not let us check this for you at the moment.",
    "Server.ServerProxy.UnknownService": "The NHS trust's eligibility service is not registered.",
    "Server.ServerProxy.NetworkError": "The NHS trust's eligibility service is not available right now.",
    "Server.ServerProxy.ServiceFailed": "The NHS trust's eligibility service did not answer in time.",
}
_UNAVAILABLE = "We could not reach the NHS trust through govhub's data exchange right now."


@dataclass(frozen=True)
class Eligibility:
    """What the page shows. `checked` is False when the question could not be answered (`problem` says
    why, for the person); otherwise `badge_holder` / `eligible` are the trust's answer."""

    checked: bool
    badge_holder: bool = False
    eligible: bool = False
    reason: str | None = None
    problem: str | None = None
    #: The exchange's X-Road-Id: the citizen finds it in their data tracker.
    message_id: str | None = None

    @property
    def free_permit(self) -> bool:
        return self.checked and (self.badge_holder or self.eligible)


class ExchangeFailed(Exception):
    """The council's subsystem could not get a token for the gateway."""


class GatewayClient:
    def __init__(
        self, settings: DemoServiceSettings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.transport = transport
        self._key: ECKey | None = None
        self._token: tuple[str, float] | None = None

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=10, trust_env=False)

    def key(self) -> ECKey:
        """The subsystem's key, which `govhub demo load` makes and registers: never made here, since a key
        the platform does not know could get no token."""
        if self._key is None:
            configured = self.settings.subsystem_private_jwk.get_secret_value()
            if not configured and not Path(self.settings.subsystem_key_file).exists():
                raise ExchangeFailed(
                    f"no key for {self.settings.subsystem_id} in {self.settings.subsystem_key_file}: "
                    "run `govhub demo load`"
                )
            self._key = load_subsystem_key(self.settings)
        return self._key

    async def access_token(self) -> str:
        if self._token is not None and self._token[1] - TOKEN_MARGIN > time.time():
            return self._token[0]
        key = self.key()
        token_endpoint = f"{self.settings.issuer_url}/token"
        assertion: str = private_key_jwt_sign(
            key,
            client_id=self.settings.subsystem_client_id,
            token_endpoint=token_endpoint,
            alg="ES256",
            header={"kid": key.kid, "typ": "JWT"},
            expires_in=ASSERTION_LIFETIME,
        )
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion,
        }
        async with self._http() as http:
            response = await http.post(token_endpoint, data=form)
        if response.status_code != 200:
            raise ExchangeFailed(
                f"govhub's token endpoint answered {response.status_code}: {response.text[:200]}"
            )
        body: dict[str, Any] = response.json()
        self._token = (str(body["access_token"]), time.time() + int(body.get("expires_in", 60)))
        return self._token[0]

    async def eligibility(self, user_token: str) -> Eligibility:
        """Ask the trust, through the gateway, whether the citizen whose access token this is qualifies."""
        message_id = str(uuid.uuid4())
        try:
            token = await self.access_token()
            async with self._http() as http:
                response = await http.get(
                    f"{self.settings.gateway_url}/r1/{self.settings.eligibility_service}/eligibility",
                    headers={
                        "Authorization": f"Bearer {token}",
                        "X-Road-Client": self.settings.subsystem_id,
                        "X-Road-Id": message_id,
                        "X-Road-Purpose": PURPOSE,
                        "X-Govhub-User-Token": user_token,
                    },
                )
        except ExchangeFailed as failure:
            logger.warning("no gateway token for the council's subsystem: %s", failure)
            return Eligibility(checked=False, problem=_UNAVAILABLE)
        except UNREACHABLE as error:
            logger.warning("the gateway is unreachable: %s", error)
            return Eligibility(checked=False, problem=_UNAVAILABLE)
        if response.headers.get("x-road-error") == "Client.Unauthorized":
            # The cached token was refused (revoked, or the keys changed): fetch one anew next time.
            self._token = None
        return _answer(response, message_id)


def _answer(response: httpx.Response, message_id: str) -> Eligibility:
    message_id = response.headers.get("x-road-id", message_id)
    error_type = response.headers.get("x-road-error")
    if error_type is not None:
        logger.warning("the gateway refused the eligibility check: %s %s", error_type, response.text[:300])
        return Eligibility(
            checked=False, problem=_EXPLAINED.get(error_type, _UNAVAILABLE), message_id=message_id
        )
    if response.status_code == 404:
        return Eligibility(checked=True, reason="none", message_id=message_id)
    try:
        body = response.json() if response.status_code == 200 else None
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("eligible"), bool):
        logger.warning("the trust answered %s: %s", response.status_code, response.text[:300])
        return Eligibility(checked=False, problem=_UNAVAILABLE, message_id=message_id)
    return Eligibility(
        checked=True,
        badge_holder=bool(body.get("badgeHolder")),
        eligible=body["eligible"],
        reason=str(body.get("reason", "none")),
        message_id=message_id,
    )
