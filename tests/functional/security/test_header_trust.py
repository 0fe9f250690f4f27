"""No request header but the documented, verified ones changes who the caller is (issue 14).

Each case sends one request as one caller as it is, then again with a set of headers added, each time in
a transaction of its own: every header that names a caller, an address, a host or a URL (`FORGED`: none
of them is ours to believe, so the answer must be the same, and when the call is served, about the same
data); the documented caller headers naming somebody else (`NAMING`: `Information-Mediator-Client`,
`X-Road-Client`, `X-GovStack-Client` naming the rightful caller, `X-Govhub-User-Token` and
`X-Govhub-Gateway-Assertion` garbage); and a caller's say on the method or the URL (`OVERRIDES`:
`X-HTTP-Method-Override`, `X-Original-URL` and kin). The last two may get the caller
refused, never let in further or shown other data (what the provider behind the gateway is told counts as
data: its echo shows the caller, the person and any override header it received).

The registries' trusted mediators (finding 1): the bare `Information-Mediator-Client` counts from a
network the operator declared, and from nowhere else, whatever `X-Forwarded-For` and its kin say."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from ipaddress import ip_network
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from govhub.app import create_app
from govhub.config import Environment
from tests.functional.identity.account_support import csrf_of
from tests.functional.security.calls import Answer, Call, answer_of, send
from tests.functional.security.world import (
    PERSONAS,
    PROVIDER,
    SERVICE,
    World,
    in_transaction,
)
from tests.support.mail import free_port

#: Headers that must change nothing: proxies' and identity-aware proxies' ways of naming a user, an address,
#: a host, a URL or a method, and the X-Road headers only the gateway may set.
FORGED = {
    "X-Road-UserId": "GB:PNO:ZOE-OBRIEN-ARCHER",
    "X-Road-Represented-Party": "GOVHUB-DEV/GOV/E10000099",
    "X-Road-Service": SERVICE,
    "X-Forwarded-For": "127.0.0.1, 10.1.2.3",
    "X-Real-IP": "127.0.0.1",
    "X-Client-IP": "127.0.0.1",
    "True-Client-IP": "127.0.0.1",
    "Forwarded": "for=127.0.0.1;proto=https;host=evil.example",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Prefix": "/members/admin",
    "X-User": "admin@matrix.example",
    "X-Remote-User": "admin@matrix.example",
    "Remote-User": "admin@matrix.example",
    "X-Authenticated-User": "admin@matrix.example",
    "X-Forwarded-User": "admin@matrix.example",
    "X-Forwarded-Email": "admin@matrix.example",
    "X-Auth-Request-User": "admin@matrix.example",
    "X-Auth-Request-Email": "admin@matrix.example",
    "X-Client-Id": "matrix-parking-permits",
    "X-Consumer-Username": "GOVHUB-DEV.GOV.E10000099.parking",
    "X-Scopes": "govhub:members-admin govhub:identity-admin",
}
#: A caller's say on the method or the URL: the gateway refuses or strips them (finding 8), so they may get
#: a caller refused; they never let one in further.
OVERRIDES = {
    "X-HTTP-Method-Override": "DELETE",
    "X-HTTP-Method": "DELETE",
    "X-Method-Override": "DELETE",
    "X-Original-URL": "/members/admin/members",
    "X-Rewrite-URL": "/members/admin/members",
}
#: The documented caller headers, naming the rightful caller (the owner of the registers, the client
#: holding the right to the service), and a citizen's token that is garbage.
NAMING = {
    "Information-Mediator-Client": PROVIDER,
    "X-Road-Client": PROVIDER,
    "X-GovStack-Client": PROVIDER,
    "X-Govhub-User-Token": "garbage.garbage.garbage",
    # The gateway's word to the registries (and to providers): verified, so garbage may only refuse.
    "X-Govhub-Gateway-Assertion": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJnYXRld2F5In0.",
}
VARIANTS = {"forged": FORGED, "naming": NAMING, "overrides": OVERRIDES}
_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.example")
#: Keys whose values differ from one answer to the next whoever asks (ids and times of this answer).
_VOLATILE = {"instance", "requestId", "grantedAt", "createdAt", "receivedAt", "at", "iat", "exp", "jti"}


def whose(response: httpx.Response) -> Any:
    """What a served answer is about: JSON without per-answer values, or a page's title and the email
    addresses on it (whose account it shows)."""
    if response.headers.get("content-type", "").startswith(("application/json", "application/problem+json")):
        return _stable(response.json())
    text = response.text
    title = _TITLE.search(text)
    return (title.group(1).strip() if title else text[:200], sorted(set(_EMAIL.findall(text))))


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _stable(item) for key, item in value.items() if key not in _VOLATILE}
    if isinstance(value, list):
        return [_stable(item) for item in value]
    return value


@dataclass(frozen=True)
class Case:
    call: Call
    callers: tuple[str, ...]


GATEWAY = f"/r1/{SERVICE}/items/1234567890"
CASES: dict[str, Case] = {
    # The registries: a personal register's records, its grants, a write, the catalogue of databases.
    "read a personal register": Case(Call("GET", "/data/permits/1"), (*PERSONAS, "client_subsystem")),
    "read one record": Case(
        Call("POST", "/data/permits/1/read", json={"query": {"content": {"key": "P-0001"}}}),
        (*PERSONAS, "client_subsystem"),
    ),
    "write a record": Case(
        Call("POST", "/data/permits/1/create", json={"write": {"content": {"key": "P-0009", "name": "X"}}}),
        (*PERSONAS, "provider_subsystem"),
    ),
    "list a register's grants": Case(
        Call("GET", "/registers/permits/grants"), (*PERSONAS, "client_subsystem", "provider_subsystem")
    ),
    "list the databases": Case(Call("GET", "/databases"), PERSONAS),
    "a person's data use": Case(
        Call("GET", "/data/myPersonalDataUsage?userId=GH100000042&databaseId=PERMITS"),
        (*PERSONAS, "provider_subsystem"),
    ),
    # The gateway: who the provider is told calls, for whom, and with which method.
    "call a service through the gateway": Case(Call("GET", GATEWAY), ("subsystem", "client_subsystem")),
    "post to a service through the gateway": Case(
        Call("POST", f"/r1/{SERVICE}/items", json={"a": 1}), ("subsystem", "client_subsystem")
    ),
    # Identity: whose account a token or a session is.
    "userinfo": Case(Call("GET", "/userinfo"), ("anonymous", "subsystem", "citizen_token")),
    "the data tracker": Case(Call("GET", "/exchange/tracker"), ("anonymous", "citizen_token")),
    "the account page": Case(Call("GET", "/account"), ("anonymous", "citizen", "admin_1fa")),
    "a data-use record": Case(Call("GET", "/account/data-use/{message_id}"), ("member_admin", "citizen")),
    "the provider's metadata": Case(Call("GET", "/.well-known/openid-configuration"), ("anonymous",)),
    "the home page": Case(Call("GET", "/"), ("anonymous",)),
    # Members: administrators' pages and APIs.
    "the members admin page": Case(
        Call("GET", "/members/admin/members"), ("citizen", "admin_1fa", "platform_admin")
    ),
    "the services API": Case(
        Call("GET", "/members/services"), ("anonymous", "citizen", "member_admin", "subsystem")
    ),
    "the members admin API": Case(Call("GET", "/members/members"), ("anonymous", "subsystem")),
    "metrics": Case(Call("GET", "/metrics"), ("anonymous",)),
}

#: Where an override could matter: the gateway (finding 8), and a write and an API elsewhere.
OVERRIDE_CASES = {
    "call a service through the gateway",
    "post to a service through the gateway",
    "write a record",
    "the services API",
}
_REGISTRY_CASES = {
    "read a personal register",
    "read one record",
    "write a record",
    "list a register's grants",
    "list the databases",
    "a person's data use",
}


def _cells() -> list[Any]:
    return [
        pytest.param(name, who, variant, id=f"{name} | {who} | {variant}")
        for name, case in CASES.items()
        for who in case.callers
        for variant in (VARIANTS if name in OVERRIDE_CASES else ("forged", "naming"))
    ]


async def _answer(
    world: World, engine: AsyncEngine, app: FastAPI, who: str, call: Call, headers: dict[str, str]
) -> httpx.Response:
    """One request, in a transaction of its own (so that a write does not change the next answer)."""
    async with in_transaction(engine, app) as in_one:
        transport = httpx.ASGITransport(app=in_one, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await send(client, world, world[who], call, **headers)


def _said(response: httpx.Response) -> str:
    return f"{response.status_code} {response.headers.get('location', '')} {response.text[:300]}"


@pytest.mark.parametrize(("case", "who", "variant"), _cells())
async def test_headers_do_not_change_who_calls(
    world: World, world_engine_: AsyncEngine, world_app: FastAPI, case: str, who: str, variant: str
) -> None:
    call = CASES[case].call
    plain = await _answer(world, world_engine_, world_app, who, call, {})
    with_headers = await _answer(world, world_engine_, world_app, who, call, VARIANTS[variant])
    before, after = answer_of(plain), answer_of(with_headers)
    if variant == "forged":
        assert after == before, f"{case} as {who}: {_said(plain)} became {_said(with_headers)}"
    else:
        # These may get the caller refused; they never let them in further.
        assert before == Answer.OK or after != Answer.OK, f"{case} as {who}: let in with {variant} headers"
    if before == Answer.OK and after == Answer.OK:
        assert whose(with_headers) == whose(plain), f"{case} as {who}: other data with the headers"


async def test_the_gateway_tells_the_provider_only_what_it_verified(
    world: World, world_client: httpx.AsyncClient
) -> None:
    """The provider sees the caller the token proves and no person at all, whatever the caller wrote
    (the echo provider answers with what it was told)."""
    response = await send(
        world_client, world, world["client_subsystem"], Call("GET", GATEWAY), **FORGED, **NAMING
    )
    # X-Road-Client naming another subsystem than the token's is refused, before anything is forwarded.
    assert response.status_code == 403, response.text
    forged_person = {**FORGED, "X-Road-Client": world["client_subsystem"].headers["X-Road-Client"]}
    response = await send(
        world_client, world, world["client_subsystem"], Call("GET", GATEWAY), **forged_person
    )
    assert response.status_code == 200, response.text
    seen = response.json()
    assert seen["client"] == world["client_subsystem"].headers["X-Road-Client"]
    assert seen["userId"] is None
    assert seen["callerHeaders"] == []


async def test_mail_links_point_at_the_platform_whatever_the_host_headers_say(
    world: World, world_client: httpx.AsyncClient
) -> None:
    """A password reset asked with another Host (and its forwarded kin) still mails a link to the platform's
    own address: otherwise the link, and the token in it, would go to whoever named the host."""
    before = len(world.mailbox.mails())
    call = Call("POST", "/password-reset", form={"email": "citizen@matrix.example"})
    headers = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example"}
    response = await send(world_client, world, world["anonymous"], call, **headers)
    assert response.status_code == 200, response.text
    [mail] = world.mailbox.mails()[before:]
    links = re.findall(r"https?://[^\s/]+", mail.text)
    assert links, mail.text
    assert set(links) == {world.settings.public_url.rstrip("/")}, mail.text


# --- the registries' trusted mediators ---------------------------------------------------------------------

MEDIATORS = ip_network("10.1.0.0/16")


@pytest.fixture(scope="module")
async def mediated_app(world: World) -> AsyncIterator[FastAPI]:
    """The world's app with a trusted mediator network, as a deployment behind an X-Road security server."""
    app = create_app(world.settings.model_copy(update={"registries_trusted_mediators": [MEDIATORS]}))
    async with app.router.lifespan_context(app):
        yield app


async def _from(engine: AsyncEngine, app: FastAPI, address: str, headers: dict[str, str]) -> httpx.Response:
    async with in_transaction(engine, app) as in_one:
        transport = httpx.ASGITransport(app=in_one, raise_app_exceptions=False, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get("/data/permits/1", headers=headers)


async def test_a_trusted_mediator_names_the_caller(world_engine_: AsyncEngine, mediated_app: FastAPI) -> None:
    """GovStack's model: the security server in front names the caller, and is believed."""
    response = await _from(
        world_engine_, mediated_app, "10.1.2.3", {"Information-Mediator-Client": f"{PROVIDER}"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["count"] == 1


@pytest.mark.parametrize(
    "claimed",
    [
        {"X-Forwarded-For": "10.1.2.3"},
        {"X-Real-IP": "10.1.2.3"},
        {"Forwarded": "for=10.1.2.3"},
        {"X-Forwarded-For": "10.1.2.3", "X-Real-IP": "10.1.2.3", "Forwarded": "for=10.1.2.3"},
    ],
    ids=["X-Forwarded-For", "X-Real-IP", "Forwarded", "all three"],
)
async def test_an_address_header_does_not_make_a_caller_a_mediator(
    world_engine_: AsyncEngine, mediated_app: FastAPI, claimed: dict[str, str]
) -> None:
    """From outside the mediators' network, the header is no caller at all: 401, whatever address the
    request claims to have been forwarded for."""
    headers = {"Information-Mediator-Client": PROVIDER, **claimed}
    response = await _from(world_engine_, mediated_app, "192.0.2.7", headers)
    assert response.status_code == 401, response.text


# --- a hole found here, not among issue 14's findings ------------------------------------------------------


@pytest.fixture(scope="module")
async def development_app(world: World) -> AsyncIterator[FastAPI]:
    """The world's app as a non-production deployment runs it: development, with its own secret key (which
    the start-up rule of finding 14 accepts beyond loopback) and the development mailbox on."""
    settings = world.settings.model_copy(
        update={
            "environment": Environment.DEVELOPMENT,
            "secret_key": SecretStr("a-staging-deployment-s-own-secret-key-0123456789"),
            "dev_mailbox": True,
            "smtp_port": free_port(),
        }
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def test_the_development_mailbox_is_not_served_beyond_this_machine(
    world_engine_: AsyncEngine, development_app: FastAPI
) -> None:
    """From another machine: ask a reset of the citizen's password, read the link at /dev/mail, set a new
    password. Outside production the mailbox keeps every mail the platform sends, and `/dev/mail` shows
    them to whoever asks; only loopback should be shown them (or none, off a developer's laptop)."""
    async with in_transaction(world_engine_, development_app) as app:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("192.0.2.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as attacker:
            page = await attacker.get("/password-reset")
            asked = await attacker.post(
                "/password-reset", data={"email": "citizen@matrix.example", "csrf_token": csrf_of(page.text)}
            )
            assert asked.status_code == 200, asked.text
            mail = await attacker.get("/dev/mail")
            links = [
                link
                for message in (mail.json() if mail.status_code == 200 else [])
                for link in re.findall(r"https?://\S*/password-reset/new\?token=[\w-]+", message["text"])
            ]
            if links:  # the takeover, to show what the link is worth
                token = links[-1].rsplit("=", 1)[1]
                shown = await attacker.get(f"/password-reset/new?token={token}")
                taken = await attacker.post(
                    "/password-reset/new",
                    data={
                        "token": token,
                        "password": "the attacker's own password",
                        "csrf_token": csrf_of(shown.text),
                    },
                )
                assert taken.status_code != 200, (
                    "the citizen's password was changed by whoever read /dev/mail"
                )
    assert mail.status_code in {403, 404}, mail.text[:300]
