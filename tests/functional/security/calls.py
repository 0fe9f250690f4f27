"""Requests as the attacker-style tests send them: one concrete request per route (its path filled with
the world's ids), sent as one caller, with that caller's cookies, headers, CSRF field and client key."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import unquote

import httpx

from tests.functional.identity.account_support import fresh_code
from tests.functional.security.world import Identity, World

_REQUEST_URI = re.compile(r'request_uri(?:%3D|=|" value=")([\w-]+)')


@dataclass(frozen=True)
class Call:
    """One request. `path` may name the world's ids as `{name}`. `form` is a page's form (the caller's
    CSRF field is added), `oauth` an OAuth endpoint's form (the caller's client authentication is added,
    when it has a client key). `journey` first starts an authorization request as the caller and puts its
    `request_uri` in `{request_uri}`."""

    method: str
    path: str
    json: Any = None
    form: dict[str, str] | None = None
    oauth: dict[str, str] | None = None
    #: A body as it is (its `{name}`s filled), for a form that is no page's (`/authorize` by POST).
    content: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    journey: bool = False

    def url(self, world: World, **more: str) -> str:
        return fill(self.path, {**world.ids, **more})


_PLACE = re.compile(r"\{(\w+)\}")


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with each `{name}` of `values` replaced (other braces, as in JSON, left alone)."""
    return _PLACE.sub(lambda found: values.get(found.group(1), found.group(0)), text)


async def send(
    client: httpx.AsyncClient, world: World, who: Identity, call: Call, **extra_headers: str
) -> httpx.Response:
    """Send `call` as `who` on `client` (a browser with no cookies of its own)."""
    client.cookies.clear()
    client.cookies.update(who.cookies)
    more: dict[str, str] = {"totp": fresh_code(who.totp_secret, ahead=1) if who.totp_secret else "000000"}
    if who.password_sign_in is not None:
        form = {**who.password_sign_in, "csrf_token": who.csrf_token}
        answer = await client.post("/sign-in", data=form)
        assert answer.headers.get("location", "").startswith("/sign-in/code"), answer.text
    if call.journey:
        more["request_uri"] = await _start_authorization(client, world, who)
    headers = {**who.headers, **call.headers, **extra_headers}
    url = call.url(world, **more)
    data: dict[str, str] | None = None
    if call.form is not None:
        data = {
            **{name: fill(value, {**world.ids, **more}) for name, value in call.form.items()},
            "csrf_token": who.csrf_token,
        }
    elif call.oauth is not None:
        data = {**{name: fill(value, world.ids) for name, value in call.oauth.items()}, **who.client_auth()}
    content = fill(call.content, {**world.ids, **more}) if call.content is not None else None
    return await client.request(call.method, url, json=call.json, data=data, content=content, headers=headers)


async def _start_authorization(client: httpx.AsyncClient, world: World, who: Identity) -> str:
    """The request_uri of an authorization request `who` starts in their browser."""
    answer = await client.get("/authorize?" + world.ids["authorize_consent"], headers=who.headers)
    found = _REQUEST_URI.search(answer.headers.get("location", "") + answer.text)
    assert found is not None, (answer.status_code, answer.headers.get("location"), answer.text[:300])
    return unquote(found.group(1))


class Answer(Enum):
    """What a caller gets: served, sent to sign in, or refused (each refusal by its status)."""

    OK = "allowed"
    SIGN_IN = "sent to sign in"
    #: 422: let in, and the input answered with what is wrong with it.
    INVALID = "422"
    BAD = "400"
    UNAUTHENTICATED = "401"
    FORBIDDEN = "403"
    HIDDEN = "404"
    CONFLICT = "409"


def answer_of(response: httpx.Response) -> Answer | int:
    status = response.status_code
    location = response.headers.get("location", "")
    if status in {302, 303, 307} and (location == "/sign-in" or location.startswith("/sign-in?")):
        return Answer.SIGN_IN
    if status < 400:
        return Answer.OK
    known = {
        400: Answer.BAD,
        401: Answer.UNAUTHENTICATED,
        403: Answer.FORBIDDEN,
        404: Answer.HIDDEN,
        409: Answer.CONFLICT,
    }
    return {**known, 422: Answer.INVALID}.get(status, status)
