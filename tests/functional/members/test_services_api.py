"""The services and access rights API through HTTP: registering from an OpenAPI document, updating (rights
to endpoints that went are revoked and reported), disabling; granting and revoking rights, with the
access rule (`may_call`, which the gateway asks) answering accordingly; bad input answered with the right
4xx and nothing written; and the wrong callers refused: nobody, a citizen, a token without the scope,
another member's admin."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.members.membership.service import MembershipService, grant_platform_admin
from govhub.members.xroad_ids import parse_member_id
from tests.functional.members.services_support import (
    CLIENT,
    CLIENT_ID,
    SERVICE,
    SERVICE_ID,
    SERVICE_PATH,
    blue_badge,
    counts,
    network,
    registration,
)
from tests.functional.members.support import (
    TEST_ADMIN,
    admin_headers,
    browser,
    machine_token,
    person,
    signed_in,
)
from tests.support.members import may_call_now

PROBLEM = "application/problem+json"
JSON = {"Content-Type": "application/json"}
ELIGIBILITY = "GET /eligibility/{nhsNumber}"


async def _allowed(session: AsyncSession, method: str = "GET", path: str = "/eligibility/9434765919") -> bool:
    return await may_call_now(session, CLIENT_ID, SERVICE_ID, method, path)


async def test_the_platform_registers_reads_updates_and_disables_a_service(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await network(session, settings)
    admin = await admin_headers(client, session)

    created = await client.post("/members/services", json=registration(), headers=admin)
    assert created.status_code == 201, created.text
    service = created.json()
    assert service["id"] == SERVICE
    assert (service["title"], service["openapiVersion"], service["documentVersion"]) == (
        "Blue Badge eligibility",
        "3.1.0",
        "1.0.0",
    )
    assert service["baseUrl"] == "https://badges.borsetshire.example/api"
    assert [(e["method"], e["path"], e["operationId"]) for e in service["endpoints"]] == [
        ("POST", "/assessments", "createAssessment"),
        ("GET", "/eligibility/{nhsNumber}", "getEligibility"),
    ]
    assert service["rights"] == []
    assert service["createdBy"].startswith("client ")

    read = await client.get(SERVICE_PATH, headers=admin)
    assert read.json() == service
    listed = await client.get(
        "/members/services", params={"subsystem": str(SERVICE_ID.subsystem)}, headers=admin
    )
    assert [s["id"] for s in listed.json()] == [SERVICE]
    other = await client.get("/members/services", params={"subsystem": CLIENT}, headers=admin)
    assert other.json() == []
    document = await client.get(SERVICE_PATH + "/openapi", headers=admin)
    assert document.json() == blue_badge()

    granted = await client.post(SERVICE_PATH + "/rights", json={"client": CLIENT}, headers=admin)
    assert granted.status_code == 201, granted.text
    assert await _allowed(session)
    disabled = await client.post(SERVICE_PATH + "/disable", headers=admin)
    assert disabled.json()["disabled"] is True
    assert not await _allowed(session)
    enabled = await client.post(SERVICE_PATH + "/enable", headers=admin)
    assert enabled.json()["disabled"] is False
    assert await _allowed(session)

    changed = await client.patch(
        SERVICE_PATH, json={"baseUrl": "https://v2.badges.example", "title": "Badges"}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["service"]["baseUrl"], changed.json()["service"]["title"]) == (
        "https://v2.badges.example",
        "Badges",
    )
    assert changed.json()["revokedRights"] == []


async def test_a_member_administrator_grants_and_revokes_rights_that_the_access_rule_follows(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    people = await network(session, settings)
    async with browser(app) as ours:
        await signed_in(ours, people.provider_admin)
        created = await ours.post("/members/services", json=registration(), headers=JSON)
        assert created.status_code == 201, created.text
        assert created.json()["createdBy"] == "director@borsetshire.example"
        assert not await _allowed(session)

        one = await ours.post(SERVICE_PATH + "/rights", json={"client": CLIENT, "endpoint": ELIGIBILITY})
        assert one.status_code == 201, one.text
        assert one.json()["endpoint"] == ELIGIBILITY
        assert await _allowed(session)
        assert await _allowed(session, "GET", "/eligibility/1234567890")
        assert not await _allowed(session, "POST", "/assessments")
        assert not await _allowed(session, "GET", "/eligibility/")
        assert not await _allowed(session, "GET", "/undocumented")

        again = await ours.post(SERVICE_PATH + "/rights", json={"client": CLIENT, "endpoint": ELIGIBILITY})
        assert again.status_code == 409
        assert again.headers["content-type"] == PROBLEM
        assert "already has the right to GET /eligibility/{nhsNumber}" in again.json()["detail"]

        whole = await ours.post(SERVICE_PATH + "/rights", json={"client": CLIENT})
        assert whole.status_code == 201
        assert whole.json()["endpoint"] is None
        assert await _allowed(session, "POST", "/assessments")

        revoked = await ours.post(SERVICE_PATH + "/rights/revoke", json={"client": CLIENT})
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["revokedBy"] == "director@borsetshire.example"
        assert not await _allowed(session, "POST", "/assessments")
        assert await _allowed(session)
        gone = await ours.post(SERVICE_PATH + "/rights/revoke", json={"client": CLIENT})
        assert gone.status_code == 404
        assert "has no live right to the whole service" in gone.json()["detail"]

        live = (await ours.get(SERVICE_PATH)).json()["rights"]
        assert [(r["client"], r["endpoint"]) for r in live] == [(CLIENT, ELIGIBILITY)]
        history = (await ours.get(SERVICE_PATH, params={"history": "true"})).json()["rights"]
        assert [(r["endpoint"], r["revokedAt"] is not None) for r in history] == [
            (ELIGIBILITY, False),
            (None, True),
        ]
        # Granted again after the revocation: a new right, the old one kept.
        regranted = await ours.post(SERVICE_PATH + "/rights", json={"client": CLIENT})
        assert regranted.status_code == 201
        assert regranted.json()["id"] != revoked.json()["id"]


async def test_the_access_rule_refuses_when_a_member_is_suspended(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await network(session, settings)
    admin = await admin_headers(client, session)
    await client.post("/members/services", json=registration(), headers=admin)
    await client.post(SERVICE_PATH + "/rights", json={"client": CLIENT}, headers=admin)
    assert await _allowed(session)
    memberships = MembershipService(session)
    await memberships.suspend(parse_member_id("GOVHUB-DEV/COM/07654321"), TEST_ADMIN, "Unpaid fees")
    assert not await _allowed(session)
    await memberships.reinstate(parse_member_id("GOVHUB-DEV/COM/07654321"), TEST_ADMIN, "Paid")
    assert await _allowed(session)
    await memberships.suspend(SERVICE_ID.subsystem.member, TEST_ADMIN, "Audit")
    assert not await _allowed(session)


async def test_a_new_document_replaces_the_endpoints_and_revokes_rights_to_those_that_went(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await network(session, settings)
    admin = await admin_headers(client, session)
    await client.post("/members/services", json=registration(), headers=admin)
    await client.post(
        SERVICE_PATH + "/rights", json={"client": CLIENT, "endpoint": "POST /assessments"}, headers=admin
    )
    await client.post(
        SERVICE_PATH + "/rights", json={"client": CLIENT, "endpoint": ELIGIBILITY}, headers=admin
    )
    assert await _allowed(session, "POST", "/assessments")

    version_2 = blue_badge()
    version_2["info"]["version"] = "2.0.0"
    del version_2["paths"]["/assessments"]
    version_2["paths"]["/eligibility/{nhsNumber}"]["get"]["summary"] = "Eligibility, now with reasons"
    updated = await client.patch(SERVICE_PATH, json={"openapi": version_2}, headers=admin)
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert [(r["client"], r["endpoint"]) for r in body["revokedRights"]] == [(CLIENT, "POST /assessments")]
    assert "no longer in the service's OpenAPI document" in body["revokedRights"][0]["revokedReason"]
    assert body["service"]["documentVersion"] == "2.0.0"
    assert [(e["path"], e["summary"]) for e in body["service"]["endpoints"]] == [
        ("/eligibility/{nhsNumber}", "Eligibility, now with reasons")
    ]
    assert [r["endpoint"] for r in body["service"]["rights"]] == [ELIGIBILITY]
    assert not await _allowed(session, "POST", "/assessments")
    assert await _allowed(session)
    history = (await client.get(SERVICE_PATH, params={"history": "1"}, headers=admin)).json()["rights"]
    assert {r["endpoint"] for r in history} == {"POST /assessments", ELIGIBILITY}


def _with(document: dict[str, Any], change: str) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    if change == "no-version":
        del changed["info"]["version"]
    elif change == "remote-ref":
        changed["components"]["schemas"]["Eligibility"] = {"$ref": "http://127.0.0.1:1/steal"}
    return changed


@pytest.mark.parametrize(
    ("overrides", "status", "pointer", "complaint"),
    [
        ({"openapi": {"swagger": "2.0", "info": {}, "paths": {}}}, 422, "/swagger", "Swagger 2.0"),
        ({"openapi": _with(blue_badge(), "no-version")}, 422, "/info", '"version" is a required property'),
        ({"openapi": _with(blue_badge(), "remote-ref")}, 422, "/components/schemas/Eligibility", "outside"),
        ({"openapi": "openapi: [unclosed"}, 422, "/openapi", "neither JSON nor YAML"),
        ({"baseUrl": "ftp://badges.example"}, 422, "/baseUrl", "http:// or https://"),
        ({"baseUrl": "https://user:pw@badges.example"}, 422, "/baseUrl", "no user name or password"),
        ({"baseUrl": "https://badges.example/?q=1"}, 422, "/baseUrl", "no query"),
        ({"baseUrl": "https://badges.example:99999"}, 422, "/baseUrl", "an http or https URL"),
        ({"serviceCode": "eli gibility"}, 422, "/serviceCode", "may use only letters"),
        ({"serviceCode": "listMethods"}, 422, "/serviceCode", "directory metaservice"),
        ({"subsystem": "GOVHUB-DEV/GOV/E10000099"}, 422, "/subsystem", "INSTANCE/CLASS/MEMBER/SUBSYSTEM"),
        ({"subsystem": "GOVHUB-DEV/GOV/E10000099/nope"}, 404, None, "There is no subsystem"),
        ({"unexpected": 1}, 422, "/unexpected", "Extra inputs"),
        ({"openapi": 12}, 422, "/openapi/str", "Input should be a valid string"),
    ],
)
async def test_a_bad_registration_says_what_is_wrong_and_keeps_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    overrides: dict[str, Any],
    status: int,
    pointer: str | None,
    complaint: str,
) -> None:
    await network(session, settings)
    admin = await admin_headers(client, session)
    answer = await client.post("/members/services", json=registration(**overrides), headers=admin)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert complaint in problem["detail"] + " ".join(e["detail"] for e in problem.get("errors", []))
    if pointer is not None:
        assert pointer in [e.get("pointer") for e in problem["errors"]]
    assert await counts(session) == (0, 0, 0)


async def test_bad_rights_and_duplicates_say_what_is_wrong_and_keep_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await network(session, settings)
    admin = await admin_headers(client, session)
    assert (await client.post("/members/services", json=registration(), headers=admin)).status_code == 201
    twice = await client.post("/members/services", json=registration(), headers=admin)
    assert twice.status_code == 409
    assert "already has a service eligibility" in twice.json()["detail"]
    refusals = [
        ({"client": "GOVHUB-DEV/COM/07654321/nope"}, 422, "There is no subsystem"),
        ({"client": "not-an-id"}, 422, "INSTANCE/CLASS/MEMBER/SUBSYSTEM"),
        ({"client": CLIENT, "endpoint": "GET /assessments"}, 422, "has no endpoint 'GET /assessments'"),
        ({"client": CLIENT, "endpoint": "FETCH /assessments"}, 422, "An endpoint is a method"),
        ({"client": CLIENT, "extra": True}, 422, "Extra inputs"),
    ]
    for body, status, complaint in refusals:
        answer = await client.post(SERVICE_PATH + "/rights", json=body, headers=admin)
        assert answer.status_code == status, answer.text
        problem = answer.json()
        assert complaint in problem["detail"] + " ".join(e["detail"] for e in problem.get("errors", []))
    bad_document = await client.patch(SERVICE_PATH, json={"openapi": {"openapi": "2.0"}}, headers=admin)
    assert bad_document.status_code == 422
    bad_url = await client.patch(SERVICE_PATH, json={"baseUrl": "nope", "title": "Changed"}, headers=admin)
    assert bad_url.status_code == 422
    assert (await client.get(SERVICE_PATH, headers=admin)).json()["title"] == "Blue Badge eligibility"
    nested = '{"subsystem": "x", "serviceCode": "x", "baseUrl": "x", "openapi": ' + '{"a": ' * 3000 + "1"
    deep = await client.post("/members/services", content=nested + "}" * 3001, headers={**admin, **JSON})
    assert 400 <= deep.status_code < 500, deep.text
    malformed = await client.get("/members/services/GOVHUB-DEV/X.X/E1/parking/eligibility", headers=admin)
    assert malformed.status_code == 400
    assert "member class" in malformed.json()["detail"]
    missing = await client.get(SERVICE_PATH + "x", headers=admin)
    assert missing.status_code == 404
    assert await counts(session) == (1, 2, 0)


async def test_every_endpoint_refuses_the_wrong_callers(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    people = await network(session, settings)
    admin = await admin_headers(client, session)
    assert (await client.post("/members/services", json=registration(), headers=admin)).status_code == 201
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/members/services", None),
        ("POST", "/members/services", registration(serviceCode="other")),
        ("GET", SERVICE_PATH, None),
        ("GET", SERVICE_PATH + "/openapi", None),
        ("PATCH", SERVICE_PATH, {"title": "Hijacked"}),
        ("POST", SERVICE_PATH + "/disable", None),
        ("POST", SERVICE_PATH + "/enable", None),
        ("POST", SERVICE_PATH + "/rights", {"client": CLIENT}),
        ("POST", SERVICE_PATH + "/rights/revoke", {"client": CLIENT}),
    ]
    identity_admin = await machine_token(client, session, "govhub:identity-admin")
    for method, path, body in calls:
        nobody = await client.request(method, path, json=body)
        assert nobody.status_code == 401, (method, path, nobody.text)
        wrong_scope = await client.request(method, path, json=body, headers=identity_admin)
        assert wrong_scope.status_code == 403, (method, path, wrong_scope.text)
    citizen = await person(session, settings, "someone@example.com", with_app=False)
    async with browser(app) as theirs, browser(app) as citizens:
        await signed_in(citizens, citizen)
        await signed_in(theirs, people.client_admin)
        for method, path, body in calls:
            refused = await citizens.request(method, path, json=body, headers=JSON)
            assert refused.status_code == 403, (method, path, refused.text)
            assert "administrators" in refused.json()["detail"]
            other_member = await theirs.request(method, path, json=body, headers=JSON)
            if (method, path) == ("GET", "/members/services"):
                assert other_member.json() == []
            else:
                assert other_member.status_code == 404, (method, path, other_member.text)
        # A cross-site form cannot ride the session cookie: changes come as JSON.
        form = await theirs.post(SERVICE_PATH + "/disable", data={"x": "1"})
        assert form.status_code == 415
        assert "sent as JSON" in form.json()["detail"]
    assert await counts(session) == (1, 2, 0)
    assert not (await client.get(SERVICE_PATH, headers=admin)).json()["disabled"]


# --- issue 14, finding 13: platform administrators act with two factors; media types parsed exactly -------


async def test_a_platform_administrator_with_a_password_alone_acts_on_no_member(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await network(session, settings)
    admin = await admin_headers(client, session)
    assert (await client.post("/members/services", json=registration(), headers=admin)).status_code == 201
    one_factor = await person(session, settings, "admin@example.org", platform_admin=True, with_app=False)
    async with browser(app) as theirs:
        await signed_in(theirs, one_factor)
        for method, path, body in [
            ("GET", "/members/services", None),
            ("GET", SERVICE_PATH, None),
            ("POST", "/members/services", registration(serviceCode="other")),
            ("PATCH", SERVICE_PATH, {"title": "Hijacked"}),
            ("POST", SERVICE_PATH + "/disable", None),
            ("POST", SERVICE_PATH + "/rights", {"client": CLIENT}),
        ]:
            refused = await theirs.request(method, path, json=body, headers=JSON)
            assert refused.status_code == 403, (method, path, refused.text)
            assert "two factors" in refused.json()["detail"]
    assert await counts(session) == (1, 2, 0)
    service = (await client.get(SERVICE_PATH, headers=admin)).json()
    assert (service["title"], service["disabled"]) == ("Blue Badge eligibility", False)


async def test_a_platform_administrator_with_a_password_alone_is_only_the_member_administrator_they_are(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    people = await network(session, settings)
    admin = await admin_headers(client, session)
    assert (await client.post("/members/services", json=registration(), headers=admin)).status_code == 201
    # The client member's director is a platform administrator too, signed in with a password only.
    await grant_platform_admin(session, people.client_admin.account.email, TEST_ADMIN)
    async with browser(app) as theirs:
        await signed_in(theirs, people.client_admin)
        assert (await theirs.get("/members/services")).json() == []
        assert (await theirs.get(SERVICE_PATH)).status_code == 404
        disabled = await theirs.post(SERVICE_PATH + "/disable", headers=JSON)
        assert disabled.status_code == 404
    assert not (await client.get(SERVICE_PATH, headers=admin)).json()["disabled"]


async def test_a_platform_administrator_with_two_factors_acts_on_every_member(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    await network(session, settings)
    two_factors = await person(session, settings, "admin@example.org", platform_admin=True)
    async with browser(app) as theirs:
        await signed_in(theirs, two_factors)
        created = await theirs.post("/members/services", json=registration(), headers=JSON)
        assert created.status_code == 201, created.text
        assert created.json()["createdBy"] == "admin@example.org"
        disabled = await theirs.post(SERVICE_PATH + "/disable", headers=JSON)
        assert disabled.status_code == 200, disabled.text
        assert disabled.json()["disabled"] is True


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain; x=json",
        "text/plain; charset=json",
        "application/x-www-form-urlencoded; json=1",
        "multipart/form-data; boundary=json",
        "application/json, text/plain",
        "application/+json",
        "text/json",
        None,
    ],
)
async def test_a_body_less_change_with_a_session_cookie_must_be_sent_as_json(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    content_type: str | None,
) -> None:
    people = await network(session, settings)
    admin = await admin_headers(client, session)
    assert (await client.post("/members/services", json=registration(), headers=admin)).status_code == 201
    headers = {} if content_type is None else {"Content-Type": content_type}
    async with browser(app) as ours:
        await signed_in(ours, people.provider_admin)
        refused = await ours.post(SERVICE_PATH + "/disable", headers=headers)
        assert refused.status_code == 415, refused.text
        assert refused.headers["content-type"] == PROBLEM
        assert "application/json" in refused.json()["detail"]
        assert not (await ours.get(SERVICE_PATH)).json()["disabled"]
        accepted = await ours.post(SERVICE_PATH + "/disable", headers={"Content-Type": "application/json"})
        assert accepted.status_code == 200, accepted.text


@pytest.mark.parametrize("content_type", ["text/plain; x=json", "application/+json", "application/json; a"])
async def test_a_json_body_under_another_media_type_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, content_type: str
) -> None:
    await network(session, settings)
    admin = await admin_headers(client, session)
    body = json.dumps(registration())
    refused = await client.post(
        "/members/services", content=body, headers={**admin, "Content-Type": content_type}
    )
    assert refused.status_code == 415, refused.text
    assert refused.json()["title"] == "Unsupported media type"
    assert await counts(session) == (0, 0, 0)
