"""Every way of registering or changing a service's base URL holds it to the outbound-address guard
(issue 14, finding 2): the platform API (an admin client), a member administrator signed in (the session
the pages use), and `govhub service register|update`. A base URL whose host is, or resolves to, an address
the platform must not call is refused with a 422 naming `/baseUrl`, the address and why; nothing is
written; an unchanged service keeps its URL. DNS is the outside edge: names resolve from a static map."""

from __future__ import annotations

import json
from ipaddress import ip_network
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.kit.outbound import OutboundGuard, StaticResolver
from tests.functional.members.services_support import (
    OPENAPI_FILE,
    PROVIDER,
    SERVICE,
    SERVICE_PATH,
    counts,
    network,
    registration,
)
from tests.functional.members.support import admin_headers, browser, signed_in
from tests.functional.members.test_services_cli import _json, _members, _refused
from tests.support.outbound import PUBLIC_ADDRESS, TEST_HOSTS

JSON = {"Content-Type": "application/json"}
#: Names that resolve inside (made up: DNS of the outside world is not asked).
INSIDE = {
    "inside.example": ["10.0.0.5"],
    "metadata-alias.example": ["169.254.169.254"],
    "mapped.example": ["::ffff:127.0.0.1"],
    "sixtofour.example": ["2002:a9fe:a9fe::1"],
    "mixed.example": [PUBLIC_ADDRESS, "192.168.1.20"],
}
#: (base URL, what the field error must say).
REFUSED = [
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a cloud metadata address"),
    ("http://127.0.0.1:8080", "127.0.0.1 is a loopback address"),
    ("http://[::1]:8080", "::1 is a loopback address"),
    ("http://[::ffff:10.0.0.1]/", "IPv4-mapped form of 10.0.0.1"),
    ("http://0.0.0.0:80", "the unspecified address"),
    ("http://2130706433/", "is a number, not a host name"),
    ("https://inside.example/api", "inside.example resolves to 10.0.0.5, a private"),
    ("https://metadata-alias.example", "resolves to 169.254.169.254, a cloud metadata address"),
    ("https://mapped.example", "IPv4-mapped form of 127.0.0.1, a loopback address"),
    ("https://sixtofour.example", "6to4 form of 169.254.169.254"),
    ("https://mixed.example", "mixed.example resolves to 192.168.1.20, a private"),
    ("http://metadata.google.internal/computeMetadata/v1", "the name of a cloud metadata service"),
    ("https://nowhere.example", "nowhere.example cannot be resolved"),
]


def _guard(*allowed: str) -> OutboundGuard:
    return OutboundGuard([ip_network(n) for n in allowed], StaticResolver({**TEST_HOSTS, **INSIDE}))


def _field_error(answer: httpx.Response) -> str:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    [error] = answer.json()["errors"]
    assert error["pointer"] == "/baseUrl"
    detail: str = error["detail"]
    return detail


@pytest.mark.parametrize(("base_url", "why"), REFUSED, ids=[u for u, _ in REFUSED])
async def test_the_api_refuses_a_base_url_that_is_not_public(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    base_url: str,
    why: str,
) -> None:
    app.state.outbound_guard = _guard()
    await network(session, settings)
    admin = await admin_headers(client, session)
    answer = await client.post("/members/services", json=registration(baseUrl=base_url), headers=admin)
    assert why in _field_error(answer)
    assert await counts(session) == (0, 0, 0)

    assert (await client.post("/members/services", json=registration(), headers=admin)).status_code == 201
    changed = await client.patch(SERVICE_PATH, json={"baseUrl": base_url, "title": "Moved"}, headers=admin)
    assert why in _field_error(changed)
    kept = (await client.get(SERVICE_PATH, headers=admin)).json()
    assert (kept["baseUrl"], kept["title"]) == (
        "https://badges.borsetshire.example/api",
        "Blue Badge eligibility",
    )


async def test_a_member_administrator_signed_in_is_refused_the_same(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    """The person's way (the session cookie the pages carry, JSON as the API asks of it)."""
    app.state.outbound_guard = _guard()
    people = await network(session, settings)
    async with browser(app) as ours:
        await signed_in(ours, people.provider_admin)
        answer = await ours.post(
            "/members/services", json=registration(baseUrl="https://inside.example"), headers=JSON
        )
        assert "inside.example resolves to 10.0.0.5" in _field_error(answer)
        assert await counts(session) == (0, 0, 0)
        assert (await ours.post("/members/services", json=registration(), headers=JSON)).status_code == 201
        moved = await ours.patch(SERVICE_PATH, json={"baseUrl": "http://169.254.169.254"}, headers=JSON)
        assert "169.254.169.254 is a cloud metadata address" in _field_error(moved)
        kept = (await ours.get(SERVICE_PATH)).json()
        assert kept["baseUrl"] == "https://badges.borsetshire.example/api"


async def test_an_allowed_network_is_accepted(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    app.state.outbound_guard = _guard("10.0.0.0/24", "127.0.0.0/8")
    await network(session, settings)
    admin = await admin_headers(client, session)
    created = await client.post(
        "/members/services", json=registration(baseUrl="https://inside.example/api"), headers=admin
    )
    assert created.status_code == 201, created.text
    moved = await client.patch(SERVICE_PATH, json={"baseUrl": "http://127.0.0.1:8002"}, headers=admin)
    assert moved.status_code == 200, moved.text
    # The metadata service stays refused: its network was not allowed.
    refused = await client.patch(SERVICE_PATH, json={"baseUrl": "http://169.254.169.254"}, headers=admin)
    assert "cloud metadata" in _field_error(refused)


def test_the_command_line_refuses_it_too(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosts = {**{k: [str(a) for a in v] for k, v in TEST_HOSTS.items()}, **INSIDE}
    monkeypatch.setenv("GOVHUB_OUTBOUND_HOSTS", json.dumps(hosts))
    _members(runner, tmp_path)
    register = ["service", "register", "--subsystem", PROVIDER, "--code", "eligibility", "--openapi"]
    for base_url, why in REFUSED:
        refused = _refused(runner, *register, str(OPENAPI_FILE), "--base-url", base_url)
        assert "baseUrl: " in refused
        assert why in refused
    assert _json(runner, "service", "list") == []

    _json(runner, *register, str(OPENAPI_FILE), "--base-url", "https://badges.example")
    moved = _refused(runner, "service", "update", SERVICE, "--base-url", "https://inside.example")
    assert "inside.example resolves to 10.0.0.5, a private" in moved
    assert _json(runner, "service", "show", SERVICE)["baseUrl"] == "https://badges.example"

    monkeypatch.setenv("GOVHUB_GATEWAY_ALLOWED_NETWORKS", '["10.0.0.0/24"]')
    assert (
        _json(runner, "service", "update", SERVICE, "--base-url", "https://inside.example")["service"][
            "baseUrl"
        ]
        == "https://inside.example"
    )
