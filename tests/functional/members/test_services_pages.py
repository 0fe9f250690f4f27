"""`/members/yours/services`: a member administrator sees their subsystems' services, endpoints and access
rights, grants and revokes with CSRF-protected forms (a refused form says what is wrong and changes
nothing), and nobody else sees or changes them."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.members.services.service import COMMAND_LINE_ACTOR, ServicesService
from tests.functional.identity.account_support import hidden_fields
from tests.functional.members.services_support import (
    CLIENT,
    SERVICE,
    SERVICE_ID,
    counts,
    network,
    registration,
)
from tests.functional.members.support import browser, person, signed_in
from tests.support.outbound import public_guard

BROWSER = {"accept": "text/html,application/xhtml+xml"}
PAGE = "/members/yours/services"
GRANT = PAGE + "/grant"
REVOKE = PAGE + "/revoke"
ELIGIBILITY = "GET /eligibility/{nhsNumber}"


async def _register(session: AsyncSession) -> None:
    body = registration()
    await ServicesService(session).register(
        COMMAND_LINE_ACTOR,
        subsystem=body["subsystem"],
        service_code=body["serviceCode"],
        base_url=body["baseUrl"],
        openapi=body["openapi"],
        outbound=public_guard(),
    )


async def _post(client: httpx.AsyncClient, action: str, data: dict[str, str]) -> httpx.Response:
    shown = await client.get(PAGE, headers=BROWSER)
    assert shown.status_code == 200, shown.text
    return await client.post(action, data={**hidden_fields(shown.text, action), **data}, headers=BROWSER)


async def test_a_member_administrator_grants_and_revokes_from_the_page(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    people = await network(session, settings)
    await _register(session)
    async with browser(app) as ours:
        await signed_in(ours, people.provider_admin)
        page = await ours.get(PAGE, headers=BROWSER)
        assert page.status_code == 200
        assert SERVICE in page.text
        assert "/eligibility/{nhsNumber}" in page.text
        assert "No subsystem may call this service yet." in page.text

        granted = await _post(ours, GRANT, {"service": SERVICE, "client": CLIENT, "endpoint": ELIGIBILITY})
        assert granted.status_code == 303, granted.text
        after = await ours.get(granted.headers["location"], headers=BROWSER)
        assert "Access right granted." in after.text
        assert CLIENT in after.text
        live = (await ServicesService(session).service(COMMAND_LINE_ACTOR.viewer, SERVICE_ID)).rights
        assert [(str(r.client), r.right.endpoint_label) for r in live] == [(CLIENT, ELIGIBILITY)]

        refused = await _post(ours, GRANT, {"service": SERVICE, "client": "GOVHUB-DEV/COM/07654321/nope"})
        assert refused.status_code == 422
        assert "There is a problem" in refused.text
        assert "There is no subsystem GOVHUB-DEV/COM/07654321/nope" in refused.text
        assert await counts(session) == (1, 2, 1)

        revoked = await _post(ours, REVOKE, {"service": SERVICE, "client": CLIENT, "endpoint": ELIGIBILITY})
        assert revoked.status_code == 303, revoked.text
        assert (await ServicesService(session).service(COMMAND_LINE_ACTOR.viewer, SERVICE_ID)).rights == []

        no_csrf = await ours.post(GRANT, data={"service": SERVICE, "client": CLIENT}, headers=BROWSER)
        assert no_csrf.status_code == 403
        assert await counts(session) == (1, 2, 1)


async def test_the_pages_refuse_everyone_but_the_owning_member_administrator(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    people = await network(session, settings)
    await _register(session)
    anonymous = await client.get(PAGE, headers=BROWSER)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/sign-in")
    anonymous_post = await client.post(GRANT, data={"service": SERVICE, "client": CLIENT}, headers=BROWSER)
    assert anonymous_post.status_code in {303, 403}
    citizen = await person(session, settings, "someone@example.com", with_app=False)
    async with browser(app) as citizens, browser(app) as theirs:
        await signed_in(citizens, citizen)
        assert (await citizens.get(PAGE, headers=BROWSER)).status_code == 403
        await signed_in(theirs, people.client_admin)
        their_page = await theirs.get(PAGE, headers=BROWSER)
        assert their_page.status_code == 200
        assert SERVICE not in their_page.text
        # Another member's administrator posting to our service (with a valid CSRF token of their own).
        apply_page = await theirs.get("/members/apply", headers=BROWSER)
        fields = {"csrf_token": hidden_fields(apply_page.text, "/members/apply")["csrf_token"]}
        stolen = await theirs.post(
            GRANT, data={**fields, "service": SERVICE, "client": CLIENT}, headers=BROWSER
        )
        assert stolen.status_code == 404
        assert f"There is no service {SERVICE}" in stolen.text
        assert await counts(session) == (1, 2, 0)
