"""Security headers on every response, set in one place: `X-Content-Type-Options: nosniff` everywhere (and
`Strict-Transport-Security` when the public URL is https), and on every HTML page a Content Security Policy
with `frame-ancestors 'none'`, `X-Frame-Options: DENY`, a referrer policy, a permissions policy and a
cross-origin opener policy.

What the pages need, and so what the policy allows: scripts, styles, fonts and images from this origin
only (GOV.UK Frontend's assets, `govhub.js`, the security-key module, Swagger UI are all under `/assets`);
the one inline script GOV.UK Frontend's page template carries (which marks the body `js-enabled`), allowed
by its hash; `data:` images (Swagger UI's icons, GOV.UK Frontend's); the QR codes are inline SVG drawn on
the server, which no policy restricts. No inline script of ours and no inline style. `form-action` is left
out on purpose: the OpenID Connect pages answer a form post with a redirect to the relying party's own
address, which browsers hold to `form-action` too.

A route that sets a header itself keeps it; a Content Security Policy it sets is kept beside this one (a
browser enforces both). A plain ASGI middleware: it only adds headers to `http.response.start`."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

import govuk_frontend_jinja
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: GOV.UK Frontend's page template (`govuk_frontend_jinja/template.html`), whose one inline script the
#: policy allows by its hash. Read from the installed package, so an upgrade that changes it stays allowed.
_GOVUK_TEMPLATE = Path(govuk_frontend_jinja.__file__).resolve().parent / "templates" / "template.html"
_INLINE_SCRIPT = re.compile(r"<script[^>]*>(.*?)</script>", re.DOTALL)

PERMISSIONS_POLICY = ", ".join(
    [
        *(
            f"{feature}=()"
            for feature in (
                "accelerometer",
                "camera",
                "display-capture",
                "geolocation",
                "gyroscope",
                "magnetometer",
                "microphone",
                "payment",
                "usb",
            )
        ),
        # Security keys and passkeys (WebAuthn) are asked for by this site's own pages only.
        "publickey-credentials-create=(self)",
        "publickey-credentials-get=(self)",
    ]
)
#: A year: browsers then refuse plain http for this host (RFC 6797). Subdomains are the deployment's own
#: business, so `includeSubDomains` is not sent.
HSTS = "max-age=31536000"


def inline_script_hashes(template: Path = _GOVUK_TEMPLATE) -> list[str]:
    """CSP source expressions (`'sha256-...'`) for each inline script in a template, as rendered."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(template.read_text(encoding="utf-8"))
        if script.strip()
    ]


def content_security_policy(image_origins: tuple[str, ...] = ()) -> str:
    """The pages' policy; `image_origins` adds where a configured image comes from (the brand logo)."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *inline_script_hashes()],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *image_origins],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an absolute http(s) URL, else None (a path is this origin already)."""
    parts = urlsplit(url)
    if parts.scheme in {"http", "https"} and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, https: bool, image_origins: tuple[str, ...] = ()) -> None:
        self.app = app
        every: list[tuple[bytes, bytes]] = [(b"x-content-type-options", b"nosniff")]
        if https:
            every.append((b"strict-transport-security", HSTS.encode()))
        self._every = every
        self._pages: list[tuple[bytes, bytes]] = [
            (b"x-frame-options", b"DENY"),
            # Page addresses carry one-time tokens (a password reset link): never sent on to another site.
            (b"referrer-policy", b"no-referrer"),
            (b"permissions-policy", PERMISSIONS_POLICY.encode()),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        self._policy = (b"content-security-policy", content_security_policy(image_origins).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._with_headers(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _with_headers(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _ in headers}
        added = [header for header in self._every if header[0] not in present]
        content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
        if content_type.lower().startswith(b"text/html"):
            added.extend(header for header in self._pages if header[0] not in present)
            added.append(self._policy)
        return headers + added if added else headers
