"""The platform's own cookies: HttpOnly, SameSite=Lax, Path=/, and on an https deployment Secure with the
`__Host-` prefix, which a browser only accepts from this exact host over https with Path=/ and no Domain,
so a sibling subdomain or a plain-http page cannot plant or overwrite them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from govhub.config import Settings


def is_https(settings: Settings) -> bool:
    return settings.public_url.lower().startswith("https://")


def cookie_name(base: str, settings: Settings) -> str:
    return f"__Host-{base}" if is_https(settings) else base


def read_cookie(request: Request, base: str, settings: Settings) -> str | None:
    return request.cookies.get(cookie_name(base, settings))


def set_cookie(response: Response, base: str, value: str, settings: Settings, *, max_age: int | None) -> None:
    response.set_cookie(
        cookie_name(base, settings),
        value,
        max_age=max_age,
        path="/",
        secure=is_https(settings),
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response, base: str, settings: Settings) -> None:
    response.delete_cookie(
        cookie_name(base, settings), path="/", secure=is_https(settings), httponly=True, samesite="lax"
    )
