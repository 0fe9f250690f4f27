"""The headers of the X-Road Message Protocol for REST (PR-REST 1.0, nordic-institute/X-Road
``doc/Protocols/pr-rest_x-road_message_protocol_for_rest.md``) as the gateway's forwarder applies them.

- §4.3 "Filtered headers": hop-by-hop headers (Connection and the ones it names, Keep-Alive, Proxy-*, TE,
  Trailer, Transfer-Encoding, Upgrade) and Host, User-Agent, Server are not passed on. We also never pass the
  caller's Authorization or Cookie (the provider must not see the caller's token), Expect (answered here,
  §4.3 "Specially handled headers"), the X-Forwarded-* family (they would leak the caller's address), and the
  X-Road headers the gateway vouches for (`XROAD_VOUCHED`): the caller's own values are dropped and the
  gateway's verified ones sent instead. Other headers, X-Road-Issue included, pass as they are.
- §4.3: the response carries X-Road-Id and X-Road-Request-Hash (overwriting any the provider set), and
  X-Road-Client / X-Road-Service when the gateway gave them. Set-Cookie from a provider is dropped: it would
  land on govhub's own origin.
- §4.3 "Request hash header": base64(SHA-512(SHA-512(headers) + SHA-512(body))), or base64(SHA-512(headers))
  with no body. PR-REST does not define how "headers" are serialised; ours is `header_block`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from govhub.kit.encoding import b64

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
#: X-Road headers only the gateway may set: whatever the caller or provider put there is dropped.
XROAD_VOUCHED = frozenset(
    {
        "x-road-client",
        "x-road-service",
        "x-road-id",
        "x-road-userid",
        "x-road-request-hash",
        "x-road-request-id",
        "x-road-error",
        "x-road-security-server",
    }
)
_REQUEST_DROPPED = (
    HOP_BY_HOP
    | XROAD_VOUCHED
    | {
        "host",
        "user-agent",
        "authorization",
        "cookie",
        "expect",
        "content-length",  # re-added from the checked declaration
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-forwarded-port",
        "x-real-ip",
    }
)
_RESPONSE_DROPPED = HOP_BY_HOP | XROAD_VOUCHED | {"server", "set-cookie"}
#: Gateway headers echoed on the response (PR-REST §4.3 "X-Road specific headers returned in the response").
ECHOED = ("x-road-client", "x-road-service")


def header_block(method: str, target: str, headers: Iterable[tuple[str, str]]) -> bytes:
    """The "headers" of the X-Road-Request-Hash (PR-REST §4.3, which leaves the serialisation open): the
    request line as the caller sent it (`METHOD /path?query`) and the headers sent to the provider, names in
    lower case, sorted, one `name: value` per line, CRLF-terminated, ISO-8859-1 as on the wire."""
    lines = [f"{method.upper()} {target}"]
    lines += [f"{name}: {value}" for name, value in sorted((n.lower(), v) for n, v in headers)]
    return ("\r\n".join(lines) + "\r\n").encode("latin-1", "replace")


def request_hash(headers: bytes, body_sha512: bytes | None) -> str:
    """base64(SHA-512(SHA-512(headers) + SHA-512(body))), or base64(SHA-512(headers)) without a body."""
    headers_digest = hashlib.sha512(headers).digest()
    if body_sha512 is None:
        return b64(headers_digest)
    return b64(hashlib.sha512(headers_digest + body_sha512).digest())


def outgoing_headers(
    incoming: Iterable[tuple[bytes, bytes]], extra: Mapping[str, str]
) -> list[tuple[str, str]]:
    """The caller's headers as the provider may see them, then the gateway's verified X-Road headers."""
    pairs = [(name.decode("latin-1").lower(), value.decode("latin-1")) for name, value in incoming]
    dropped = set(_REQUEST_DROPPED)
    for name, value in pairs:
        if name == "connection":  # RFC 9110 §7.6.1: the headers it names are hop-by-hop too
            dropped.update(token.strip().lower() for token in value.split(","))
    kept = [(name, value) for name, value in pairs if name not in dropped and not name.startswith("proxy-")]
    return kept + [(name.lower(), value) for name, value in extra.items()]


def response_headers(incoming: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The provider's response headers as the caller may see them (the gateway adds its X-Road ones)."""
    dropped = set(_RESPONSE_DROPPED)
    pairs = [(name.lower(), value) for name, value in incoming]
    for name, value in pairs:
        if name == b"connection":
            dropped.update(token.strip().lower() for token in value.decode("latin-1").split(","))
    return [
        (name, value)
        for name, value in pairs
        if name.decode("latin-1") not in dropped and not name.startswith(b"proxy-")
    ]
