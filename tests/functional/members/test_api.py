"""The members admin API through HTTP: the whole onboarding (submit, list, read, approve, reject), members
and subsystems, suspension and reinstatement; bad input answered with the right 4xx and nothing written;
and every endpoint refusing callers without a `govhub:members-admin` token."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.oidc.models import RelyingParty
from govhub.identity.organisations.service import OrganisationsService
from govhub.members.models import Application, Member, Subsystem
from tests.functional.members.support import (
    admin_headers,
    application_body,
    approved_member,
    browser,
    machine_token,
    person,
    signed_in,
    submit,
)
from tests.support.oidc import ClientKeys, machine_client

PROBLEM = "application/problem+json"


async def _count(session: AsyncSession, model: type[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_an_operator_onboards_a_member_through_the_api(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await admin_headers(client, session)
    keys = ClientKeys()

    submitted = await client.post("/members/applications", json=application_body(keys), headers=admin)
    assert submitted.status_code == 201, submitted.text
    application = submitted.json()
    assert application["status"] == "pending"
    assert application["memberId"] == "GOVHUB-DEV/GOV/E10000099"
    assert application["subsystemId"] == "GOVHUB-DEV/GOV/E10000099/parking"
    assert application["organisationKind"] == "public-body"
    assert application["jwks"] == keys.jwks

    pending = await client.get("/members/applications?status=pending", headers=admin)
    assert [a["id"] for a in pending.json()] == [application["id"]]
    read = await client.get(f"/members/applications/{application['id']}", headers=admin)
    assert read.json() == application

    approved = await client.post(f"/members/applications/{application['id']}/approve", headers=admin)
    assert approved.status_code == 200, approved.text
    member = approved.json()
    assert member["id"] == "GOVHUB-DEV/GOV/E10000099"
    assert (member["name"], member["status"], member["memberClass"]) == (
        "Borsetshire County Council",
        "active",
        "GOV",
    )
    [subsystem] = member["subsystems"]
    assert subsystem["id"] == "GOVHUB-DEV/GOV/E10000099/parking"
    assert subsystem["clientId"] == "GOVHUB-DEV.GOV.E10000099.parking"

    decided = (await client.get(f"/members/applications/{application['id']}", headers=admin)).json()
    assert decided["status"] == "approved"
    assert decided["decidedBy"].startswith("client ")
    # The identity organisation was made for it.
    organisation = await OrganisationsService.for_session(session).find(member["organisationId"])
    assert (organisation.kind, organisation.registration_number) == ("public-body", "E10000099")

    listed = await client.get("/members/members", headers=admin)
    assert [m["id"] for m in listed.json()] == [member["id"]]
    read_member = await client.get("/members/members/GOVHUB-DEV/GOV/E10000099", headers=admin)
    assert read_member.json() == member
    read_subsystem = await client.get("/members/subsystems/GOVHUB-DEV/GOV/E10000099/parking", headers=admin)
    assert read_subsystem.status_code == 200
    assert read_subsystem.json()["memberStatus"] == "active"
    assert read_subsystem.json()["clientId"] == subsystem["clientId"]


async def test_suspension_and_reinstatement_are_recorded_with_their_reasons(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await admin_headers(client, session)
    await approved_member(session, ClientKeys())
    path = "/members/members/GOVHUB-DEV/GOV/E10000099"

    suspended = await client.post(f"{path}/suspend", json={"reason": "Unpaid invoices"}, headers=admin)
    assert suspended.status_code == 200, suspended.text
    body = suspended.json()
    assert (body["status"], body["suspensionReason"]) == ("suspended", "Unpaid invoices")
    assert body["suspendedAt"] is not None
    client_id = body["subsystems"][0]["clientId"]
    disabled = await session.scalar(select(RelyingParty).where(RelyingParty.client_id == client_id))
    assert disabled is not None
    assert disabled.disabled_at is not None

    again = await client.post(f"{path}/suspend", json={"reason": "Twice"}, headers=admin)
    assert again.status_code == 409
    assert "already suspended since" in again.json()["detail"]

    reinstated = await client.post(f"{path}/reinstate", json={"reason": "Paid"}, headers=admin)
    assert reinstated.status_code == 200
    assert (reinstated.json()["status"], reinstated.json()["suspensionReason"]) == ("active", None)
    enabled = select(RelyingParty.disabled_at).where(RelyingParty.id == disabled.id)
    assert await session.scalar(enabled) is None
    history = reinstated.json()["history"]
    assert [(h["status"], h["reason"]) for h in history] == [
        ("suspended", "Unpaid invoices"),
        ("active", "Paid"),
    ]
    assert all(h["changedBy"].startswith("client ") for h in history)
    again = await client.post(f"{path}/reinstate", json={"reason": "Twice"}, headers=admin)
    assert again.status_code == 409


async def test_a_rejection_needs_a_reason_and_is_final(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await admin_headers(client, session)
    application = await submit(session, ClientKeys())
    path = f"/members/applications/{application.public_id}"

    for reason in ["", "   ", "x" * 2001, "bad\x00reason"]:
        refused = await client.post(f"{path}/reject", json={"reason": reason}, headers=admin)
        assert refused.status_code == 422, reason
        assert refused.headers["content-type"] == PROBLEM
        assert refused.json()["errors"][0]["pointer"] == "/reason"
    missing = await client.post(f"{path}/reject", json={}, headers=admin)
    assert missing.status_code == 422
    bad_note = await client.post(f"{path}/approve", json={"note": "a\x00b"}, headers=admin)
    assert bad_note.status_code == 422
    assert bad_note.json()["errors"][0]["pointer"] == "/note"
    assert (await client.get(path, headers=admin)).json()["status"] == "pending"

    rejected = await client.post(f"{path}/reject", json={"reason": "Not a public body"}, headers=admin)
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["reason"]) == ("rejected", "Not a public body")

    for action, body in [("approve", None), ("reject", {"reason": "again"})]:
        decided = await client.post(f"{path}/{action}", json=body, headers=admin)
        assert decided.status_code == 409
        assert "was rejected by client" in decided.json()["detail"]
    assert await _count(session, Member) == 0


async def test_a_bad_application_names_every_wrong_field_and_keeps_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await admin_headers(client, session)
    private = {"keys": [ClientKeys().key.as_dict(private=True)]}
    body = application_body(
        ClientKeys(),
        organisationName=" ",
        registrationNumber="no/slashes",
        memberClass="XYZ",
        memberCode="bad code",
        contactName="",
        contactEmail="not-an-address",
        subsystemCode="-x",
        jwks=private,
    )
    response = await client.post("/members/applications", json=body, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    pointers = [e["pointer"] for e in response.json()["errors"]]
    assert pointers == [
        "/organisationName",
        "/registrationNumber",
        "/memberClass",
        "/memberCode",
        "/contactName",
        "/contactEmail",
        "/subsystemCode",
        "/jwks",
    ]
    assert "private key material" in response.json()["detail"]

    wrong_kind = application_body(ClientKeys(), memberClass="COM", organisationKind="charity")
    response = await client.post("/members/applications", json=wrong_kind, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"pointer": "/organisationKind", "detail": "a COM member is a company"}
    ]

    for malformed, status in [
        ({**application_body(ClientKeys()), "unknown": 1}, 422),
        ({**application_body(ClientKeys()), "jwks": "a string"}, 422),
        ({**application_body(ClientKeys()), "contactEmail": "x" * 1001}, 422),
    ]:
        assert (
            await client.post("/members/applications", json=malformed, headers=admin)
        ).status_code == status
    as_form = await client.post("/members/applications", data={"organisationName": "x"}, headers=admin)
    assert as_form.status_code == 415
    not_json = await client.post(
        "/members/applications", content=b"{", headers={**admin, "content-type": "application/json"}
    )
    assert not_json.status_code == 400
    assert await _count(session, Application) == 0


async def test_an_existing_member_cannot_apply_again(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await admin_headers(client, session)
    await approved_member(session, ClientKeys())
    same_code = await client.post("/members/applications", json=application_body(ClientKeys()), headers=admin)
    assert same_code.status_code == 409
    assert same_code.json()["errors"] == [
        {"pointer": "/memberCode", "detail": "GOVHUB-DEV/GOV/E10000099 is already a member"}
    ]
    # The same organisation under another member code is still the same organisation.
    other_code = application_body(ClientKeys(), memberCode="borsetshire")
    response = await client.post("/members/applications", json=other_code, headers=admin)
    assert response.status_code == 409
    assert "is already a member, as GOVHUB-DEV/GOV/E10000099" in response.json()["detail"]


async def test_an_approval_refused_half_way_keeps_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """The subsystem's client id is taken by a relying party registered meanwhile: the member and
    subsystem already written are rolled back with the refusal, and the application stays pending."""
    admin = await admin_headers(client, session)
    application = await submit(session, ClientKeys())
    await machine_client(session, ClientKeys(), client_id="GOVHUB-DEV.GOV.E10000099.parking")
    members_before = await _count(session, Member)

    response = await client.post(f"/members/applications/{application.public_id}/approve", headers=admin)

    assert response.status_code == 409
    assert "GOVHUB-DEV.GOV.E10000099.parking" in response.json()["detail"]
    assert await _count(session, Member) == members_before
    assert await _count(session, Subsystem) == 0
    await session.refresh(application)
    assert application.status == "pending"


async def test_unknown_and_malformed_references_are_4xx_not_500(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await admin_headers(client, session)
    cases = [
        ("GET", "/members/applications/00000000-0000-4000-8000-000000000000", 404, "application-not-found"),
        ("GET", "/members/applications/not-a-uuid", 404, "application-not-found"),
        ("GET", "/members/applications/%00", 404, "application-not-found"),
        ("POST", "/members/applications/not-a-uuid/approve", 404, "application-not-found"),
        ("GET", "/members/members/GOVHUB-DEV/GOV/nobody", 404, "member-not-found"),
        # A class the instance does not have is well-formed: no such member.
        ("GET", "/members/members/GOVHUB-DEV/XYZ/1", 404, "member-not-found"),
        ("GET", "/members/members/GOVHUB-DEV/X.Z/1", 400, "invalid-identifier"),
        ("GET", "/members/members/GOVHUB-DEV/GOV/a%00b", 400, "invalid-identifier"),
        ("GET", "/members/members/GOVHUB-DEV/GOV/caf%C3%A9", 400, "invalid-identifier"),
        ("GET", "/members/subsystems/GOVHUB-DEV/GOV/nobody/x", 404, "member-not-found"),
        ("GET", "/members/subsystems/GOVHUB-DEV/GOV/1/-x", 400, "invalid-identifier"),
        ("GET", "/members/applications?status=maybe", 422, "validation-error"),
    ]
    for method, path, status, slug in cases:
        response = await client.request(method, path, headers=admin)
        assert response.status_code == status, (path, response.text)
        assert response.json()["type"] == f"urn:govhub:problem:{slug}", path
    suspend = await client.post(
        "/members/members/GOVHUB-DEV/GOV/nobody/suspend", json={"reason": "x"}, headers=admin
    )
    assert suspend.status_code == 404
    await approved_member(session, ClientKeys())
    unknown_subsystem = await client.get("/members/subsystems/GOVHUB-DEV/GOV/E10000099/other", headers=admin)
    assert unknown_subsystem.status_code == 404
    assert unknown_subsystem.json()["type"] == "urn:govhub:problem:subsystem-not-found"


def _endpoints(application_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    member = "/members/members/GOVHUB-DEV/GOV/E10000099"
    return [
        ("POST", "/members/applications", application_body(ClientKeys(), memberCode="other")),
        ("GET", "/members/applications", None),
        ("GET", f"/members/applications/{application_id}", None),
        ("POST", f"/members/applications/{application_id}/approve", None),
        ("POST", f"/members/applications/{application_id}/reject", {"reason": "No"}),
        ("GET", "/members/members", None),
        ("GET", member, None),
        ("POST", f"{member}/suspend", {"reason": "No"}),
        ("POST", f"{member}/reinstate", {"reason": "No"}),
        ("GET", "/members/subsystems/GOVHUB-DEV/GOV/E10000099/parking", None),
    ]


async def test_every_endpoint_refuses_callers_without_the_admin_scope(
    client: httpx.AsyncClient, session: AsyncSession, app: FastAPI, settings: Settings
) -> None:
    keys = ClientKeys()
    await approved_member(session, keys)
    pending = await submit(session, ClientKeys(), registration_number="E10000100", member_code="other")
    # A subsystem of a member (the exchange scope), a machine client with another scope, a platform
    # administrator's browser, a citizen's browser: none of them is an admin API caller.
    subsystem = await client.post(
        "/token",
        data={"grant_type": "client_credentials", **keys.auth("GOVHUB-DEV.GOV.E10000099.parking")},
    )
    wrong_tokens = {
        "subsystem": {"Authorization": f"Bearer {subsystem.json()['access_token']}"},
        "identity admin": await machine_token(client, session, "govhub:identity-admin"),
    }
    admin_person = await person(session, settings, "admin@example.org", platform_admin=True)

    async with browser(app) as admin_browser:
        await signed_in(admin_browser, admin_person)
        for method, path, body in _endpoints(pending.public_id):
            nobody = await client.request(method, path, json=body)
            assert nobody.status_code == 401, (method, path)
            assert nobody.headers["www-authenticate"].startswith("Bearer")
            assert nobody.json()["error"] == "invalid_token"
            forged = await client.request(method, path, json=body, headers={"Authorization": "Bearer x.y.z"})
            assert forged.status_code == 401, (method, path)
            for who, headers in wrong_tokens.items():
                refused = await client.request(method, path, json=body, headers=headers)
                assert refused.status_code == 403, (who, method, path)
                assert refused.json()["error"] == "insufficient_scope"
                assert "govhub:members-admin" in refused.json()["error_description"]
            cookie_only = await admin_browser.request(method, path, json=body)
            assert cookie_only.status_code == 401, (method, path)

    # Nothing was changed by any of them.
    await session.refresh(pending)
    assert pending.status == "pending"
    assert await _count(session, Application) == 2
    member = await session.scalar(select(Member))
    assert member is not None
    assert member.status == "active"


@pytest.mark.parametrize("member_class", ["NHS", "COM"])
async def test_the_class_decides_the_kind_of_organisation(
    client: httpx.AsyncClient, session: AsyncSession, member_class: str
) -> None:
    admin = await admin_headers(client, session)
    body = application_body(ClientKeys(), memberClass=member_class)
    made = await client.post("/members/applications", json=body, headers=admin)
    assert made.json()["organisationKind"] == {"NHS": "public-body", "COM": "company"}[member_class]
    social = application_body(ClientKeys(), memberClass="ORG", organisationKind="social-enterprise")
    made = await client.post(
        "/members/applications", json={**social, "registrationNumber": "CIC1"}, headers=admin
    )
    assert made.json()["organisationKind"] == "social-enterprise"
