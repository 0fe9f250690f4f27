"""X-Road style errors of the gateway, shaped as the X-Road Message Protocol for REST (PR-REST 1.0) §4.6 says.

When the error happens in the gateway (not in the provider), the body is JSON
``{"type": ..., "message": ..., "detail": <X-Road-Id>}`` with
``Content-Type: application/json;charset=utf-8``, and the response carries ``X-Road-Error: <type>`` so a
client can tell our errors from the provider's own (PR-REST §4.3 "X-Road error header", §4.6 example 5).
A provider's own 4xx/5xx is never rewritten: PR-REST §4.6 category 1 returns it "as-is" (the forwarder only
adds the X-Road headers).

Type prefixes (PR-REST §4.6): ``Client.`` the caller's request is at fault; ``Server.ClientProxy.`` the
consumer's security server; ``Server.ServerProxy.`` the provider's side. govhub is both security servers at
once, so failures reaching the provider use ``Server.ServerProxy.`` as X-Road's provider server would.

The types we use, with where the name comes from (``ErrorCodes`` is nordic-institute/X-Road
``common/.../ee/ria/xroad/common/ErrorCodes.java``):

- ``Client.BadRequest`` 400: PR-REST §4.6 example 3 (``X_BAD_REQUEST``).
- ``Client.InvalidClientIdentifier`` 403: ``X_INVALID_CLIENT_IDENTIFIER`` (newer ErrorCodes); X-Road-Client
  does not name the authenticated subsystem.
- ``Client.MessageTooLarge`` 413: a govhub extension. PR-REST §3.1 recommends a configurable maximum message
  size but names no error type for it.
- ``Server.ServerProxy.AccessDenied`` 403: ``X_ACCESS_DENIED``, raised by the provider's security server.
- ``Server.ServerProxy.UnknownService`` 404: ``X_UNKNOWN_SERVICE``.
- ``Server.ServerProxy.NetworkError`` 502 (504 when connecting timed out): ``X_NETWORK_ERROR``; PR-REST
  §4.6 example 2 uses it for a connect timeout; X-Road maps unknown host and socket errors to it.
- ``Server.ServerProxy.ServiceFailed`` 504: ``X_SERVICE_FAILED_X``; PR-REST §4.6 example 5, "the provider
  Security Server did not get answer from the provider service" (our read or write timeout).
- ``Server.ServerProxy.InvalidResponse`` 502: ``X_INVALID_RESPONSE``; the provider's response breaks our
  limits.
- ``Server.ServerProxy.InternalError`` 503: ``X_INTERNAL_ERROR``; our own connection pool is exhausted.
- ``Server.ServerProxy.AddressRefused`` 502: a govhub extension. The provider's address (its base URL's host,
  as resolved when connecting) is not one the outbound-address guard lets the gateway call (loopback,
  private, link-local, metadata, ...; `govhub.kit.outbound`). A provider-side fault, like NetworkError, but
  one an operator must see: it is logged with the address.
- ``Server.ServerProxy.TooManyRequests`` 429: a govhub extension, with ``Retry-After``. The calling member
  has `gateway_member_concurrency` exchanges in flight on this node already, or the client address made more
  than `gateway_unauthenticated_per_minute` unauthenticated requests in the last minute. Refused at once
  rather than queued; counted as refused (the caller's doing).

Statuses: X-Road itself answers every security-server error with 500 (400 for a malformed request, PR-REST
§4.6). We keep X-Road's types and body but use the precise HTTP status (413, 502, 504, ...), which the issue
asks for and which clients and load balancers understand; the ``type`` stays the stable key.
"""

from __future__ import annotations

import json

from starlette.responses import Response

BAD_REQUEST = "Client.BadRequest"
INVALID_CLIENT = "Client.InvalidClientIdentifier"
MESSAGE_TOO_LARGE = "Client.MessageTooLarge"
ACCESS_DENIED = "Server.ServerProxy.AccessDenied"
UNKNOWN_SERVICE = "Server.ServerProxy.UnknownService"
NETWORK_ERROR = "Server.ServerProxy.NetworkError"
SERVICE_FAILED = "Server.ServerProxy.ServiceFailed"
INVALID_RESPONSE = "Server.ServerProxy.InvalidResponse"
INTERNAL_ERROR = "Server.ServerProxy.InternalError"
ADDRESS_REFUSED = "Server.ServerProxy.AddressRefused"
TOO_MANY_REQUESTS = "Server.ServerProxy.TooManyRequests"

#: The HTTP status each type is answered with.
STATUS: dict[str, int] = {
    BAD_REQUEST: 400,
    INVALID_CLIENT: 403,
    MESSAGE_TOO_LARGE: 413,
    ACCESS_DENIED: 403,
    UNKNOWN_SERVICE: 404,
    NETWORK_ERROR: 502,
    SERVICE_FAILED: 504,
    INVALID_RESPONSE: 502,
    INTERNAL_ERROR: 503,
    ADDRESS_REFUSED: 502,
    TOO_MANY_REQUESTS: 429,
}

CONTENT_TYPE = "application/json;charset=utf-8"
#: Types of the gateway's own refusals (the caller's doing) beside every ``Client.*`` one.
_REFUSED = frozenset({ACCESS_DENIED, UNKNOWN_SERVICE, TOO_MANY_REQUESTS})


class XRoadError(Exception):
    """An error the gateway answers itself. `detail` is the exchange's X-Road-Id, as in PR-REST §4.6.

    A plain class, not a frozen dataclass: Python sets `__traceback__` on exceptions it re-raises."""

    def __init__(self, type: str, message: str, detail: str, status: int | None = None) -> None:  # noqa: A002
        super().__init__(f"{type}: {message}")
        self.type = type
        self.message = message
        self.detail = detail
        self.status = status or STATUS.get(type, 500)

    @property
    def refused(self) -> bool:
        """The caller's fault (``Client.*``, access, unknown service): nothing failed on our side."""
        return self.type.startswith("Client.") or self.type in _REFUSED

    def body(self) -> bytes:
        return json.dumps(
            {"type": self.type, "message": self.message, "detail": self.detail}, ensure_ascii=False
        ).encode("utf-8")

    def headers(self, request_hash: str | None = None) -> dict[str, str]:
        headers = {"Content-Type": CONTENT_TYPE, "X-Road-Error": self.type, "X-Road-Id": self.detail}
        if request_hash is not None:
            headers["X-Road-Request-Hash"] = request_hash
        return headers


def render(error: XRoadError, request_hash: str | None = None) -> Response:
    """The error as a plain response (the gateway's checks before forwarding use this)."""
    return Response(error.body(), status_code=error.status, headers=error.headers(request_hash))
