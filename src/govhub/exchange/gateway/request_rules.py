"""What the gateway refuses in a request's path and headers because a provider could read it as something
other than what the access check saw (issue 14, finding 8). The access right is checked against the path
as the gateway reads it (`members.openapi_documents.match_endpoint`); a provider that reads `..;`, `%2F`,
`%252e`, a fullwidth dot or a method-override header differently would serve another endpoint than the one
the right covers. So such requests are refused (400 `Client.BadRequest`) rather than "cleaned": a caller
that sends them is either confused or probing, and silently changed requests are worse for both.

The path is judged from the raw bytes the caller sent (`scope["raw_path"]`), segment by segment, decoded
once here as UTF-8; a segment is refused when, read as any server might read it (decoded once more,
NFKC-normalised, look-alike characters taken for what they look like), it:

- holds `;` (path parameters: Tomcat's `..;/`), `\\` (a separator on Windows servers), `/`, `?` or `#`;
- holds a percent-encoded `/` or `\\` (`%2F`, `%5C`: one segment to us, two to a server that decodes first),
  or an IIS `%uXXXX` escape;
- still holds a percent escape after one decoding (double encoding: `%252e`, `%252f`);
- is a dot segment (`.`, `..`, or only dots and spaces: Windows drops trailing dots) in any spelling:
  `%2e%2e`, `%252e`, `\u2024\u2024`, `\uff0e\uff0e`, `\u3002`, `\ufe52`, ...;
- is not UTF-8 (`%C0%AE`, an overlong `.`) or holds a control or other non-printable character (NUL,
  CR, LF, bidi overrides, ...).

Method overrides (`X-HTTP-Method-Override`, `X-HTTP-Method`, `X-Method-Override`, and the path overrides
`X-Original-URL`, `X-Rewrite-URL` that some frameworks honour), and a `_method` query parameter, are
refused too: the right is for the method the gateway sees. A `_method` field inside a form body is not
read (bodies stream untouched); providers must not honour one (docs/security.md).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, unquote_to_bytes

#: Request headers that ask a server to take another method or path than the request line's.
OVERRIDE_HEADERS = (
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "x-original-method",
    "x-original-url",
    "x-rewrite-url",
)
#: Query parameters frameworks read as the method (Rails, Laravel, Symfony, ...).
OVERRIDE_PARAMETERS = frozenset({"_method", "x-http-method-override"})

#: Characters that look like a full stop and that NFKC leaves alone (it maps U+2024, U+FF0E, U+FE52 itself).
_DOT_LOOKALIKES = str.maketrans(dict.fromkeys("\u3002\uff61\ufe12\u2e3c\u0701\u0702\ua4f8\u06d4", "."))
#: ... and like a slash or backslash.
_SLASH_LOOKALIKES = str.maketrans(
    {
        "\u2215": "/",
        "\u2044": "/",
        "\u29f8": "/",
        "\u2571": "/",
        "\u29f5": "\\",
        "\u29f9": "\\",
        "\u2572": "\\",
    }
)
_ESCAPE = re.compile(rb"%[0-9A-Fa-f]{2}")
_ENCODED_SEPARATOR = re.compile(rb"%(2[Ff]|5[Cc])")
_IIS_ESCAPE = re.compile(rb"%[Uu][0-9A-Fa-f]{4}")
_SEPARATORS = frozenset(";\\/?#")
_ONLY_DOTS = re.compile(r"^[.\s]+$")
#: A path of unreserved and harmless sub-delimiter characters only (RFC 3986), without `;` and `%`.
_PLAIN = re.compile(rb"^[A-Za-z0-9/_~!$&'()*+,=:@.-]*$")


def _reading(segment: str) -> str:
    """The segment as a lenient server might read it: NFKC, look-alikes taken at face value."""
    return unicodedata.normalize("NFKC", segment).translate(_DOT_LOOKALIKES).translate(_SLASH_LOOKALIKES)


def segment_problem(raw: bytes) -> str | None:  # noqa: PLR0911 (one return per rule)
    """Why one raw path segment (as sent, percent-encoded) is refused, or None."""
    if _ENCODED_SEPARATOR.search(raw):
        return "holds a percent-encoded / or \\"
    if _IIS_ESCAPE.search(raw):
        return "holds a %u escape (IIS's non-standard encoding)"
    decoded_bytes = unquote_to_bytes(raw)
    try:
        segment = decoded_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return "is not UTF-8 once percent-decoded"
    if not segment.isprintable():
        return "holds a control or non-printable character"
    if _ESCAPE.search(decoded_bytes):
        return "is percent-encoded twice"
    reading = _reading(segment)
    if _SEPARATORS.intersection(reading):
        return "holds ; \\ / ? or # (or a character that looks like one)"
    if _ONLY_DOTS.match(reading):
        return "is a dot segment (. or ..), in some spelling"
    return None


def path_problem(raw_path: bytes) -> str | None:
    """Why the request's raw path (`/r1/...`, without the query) is refused, naming the segment, or None.
    Empty segments are left to the endpoint match (they match no documented endpoint)."""
    if _PLAIN.match(raw_path) and b"/." not in raw_path:
        return None  # the usual path: nothing encoded, nothing to read twice, no segment starting with a dot
    for raw in raw_path.split(b"/")[1:]:
        if not raw:
            continue
        problem = segment_problem(raw)
        if problem is not None:
            shown = raw.decode("latin-1")[:60]
            return f"The path segment {shown!r} {problem}: the gateway does not forward such paths."
    return None


def override_problem(headers: list[tuple[bytes, bytes]], query: str) -> str | None:
    """Why a method- or path-override header or query parameter is refused, or None."""
    for name, _ in headers:
        lowered = name.decode("latin-1").lower()
        if lowered in OVERRIDE_HEADERS:
            return (
                f"{name.decode('latin-1')} is not forwarded: call the endpoint with its own method and path."
            )
    if query and any(
        key.lower() in OVERRIDE_PARAMETERS for key, _ in parse_qsl(query, keep_blank_values=True)
    ):
        return "A _method query parameter is not forwarded: call the endpoint with its own method."
    return None
