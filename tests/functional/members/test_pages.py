"""The members pages through HTTP, as a browser uses them: applying, following an application, the platform
administrators' decisions and suspensions, the member administrators' page; and every page refusing the
wrong caller (nobody, a citizen, a member administrator of another member, an administrator with one
factor, a machine token)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.organisations.service import OrganisationsService
from govhub.members.models import Application, Member
from tests.functional.identity.account_support import csrf_of, hidden_fields
from tests.functional.members.support import (
    admin_headers,
    approved_member,
    browser,
    person,
    signed_in,
    submit,
)
from tests.support.oidc import ClientKeys, machine_client

BROWSER = {"accept": "text/html,application/xhtml+xml"}
MEMBER_PAGE = "/members/admin/members/GOVHUB-DEV/GOV/E10000099"


def _form(keys: ClientKeys, **overrides: str) -> dict[str, str]:
    return {
        "organisation-name": "Borsetshire County Council",
        "registration-number": "E10000099",
        "organisation-type": "GOV",
        "member-code": "",
        "contact-name": "Alex Clerk",
        "contact-email": "alex.clerk@borsetshire.example",
        "subsystem-code": "parking",
        "public-key": json.dumps(keys.jwks),
        **overrides,
    }


async def _post_form(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]
) -> httpx.Response:
    shown = await client.get(page, headers=BROWSER)
    assert shown.status_code == 200, shown.text
    return await client.post(action, data={**hidden_fields(shown.text, action), **data}, headers=BROWSER)


def _summary(html: str) -> list[str]:
    summary = re.search(r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>', html, re.DOTALL)
    assert summary is not None, "no error summary"
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r"<a [^>]*>(.*?)</a>", summary.group(1))]


async def _count(session: AsyncSession, model: type[Application] | type[Member]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_person_applies_and_follows_their_application(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    anonymous = await client.get("/members/apply", headers=BROWSER)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/sign-in?return_to=%2Fmembers%2Fapply&level=Cl"

    applicant = await person(session, settings, "clerk@borsetshire.example", with_app=False)
    await signed_in(client, applicant)
    shown = await client.get("/members/apply", headers=BROWSER)
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-store"
    assert 'value="clerk@borsetshire.example"' in shown.text  # the contact is the applicant, to start with

    empty = await client.post("/members/apply", data={"csrf_token": csrf_of(shown.text)}, headers=BROWSER)
    assert empty.status_code == 422
    assert "<title>Error: Apply to join" in empty.text
    summary = _summary(empty.text)
    assert summary[:3] == [
        "Enter the organisation&#39;s name, at most 200 characters",
        (
            "Enter the registration number (a company, charity or public body&#39;s number): letters, "
            "digits and hyphens, at most 40"
        ),
        "Select the type of organisation",
    ]
    assert "Paste your subsystem&#39;s public key, as a JWK Set" in summary
    assert await _count(session, Application) == 0

    keys = ClientKeys()
    sent = await _post_form(client, "/members/apply", "/members/apply", _form(keys))
    assert sent.status_code == 303, sent.text
    reference = parse_qs(urlsplit(sent.headers["location"]).query)["applied"][0]
    yours = await client.get(sent.headers["location"], headers=BROWSER)
    assert "Application sent" in yours.text
    assert reference in yours.text
    assert "GOVHUB-DEV/GOV/E10000099" in yours.text
    assert "Pending" in yours.text
    application = await session.scalar(select(Application).where(Application.public_id == reference))
    assert application is not None
    assert application.applicant_account_id == applicant.account.id
    assert application.jwks == keys.jwks


async def test_the_apply_form_says_what_is_wrong_with_the_key_and_the_code(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await signed_in(client, await person(session, settings, "clerk@example.org", with_app=False))
    private = json.dumps(ClientKeys().key.as_dict(private=True))
    cases = [
        ({"public-key": "-----BEGIN PUBLIC KEY-----"}, "The public key is not JSON"),
        ({"public-key": private}, "Key 0 contains private key material (d)"),
        ({"public-key": "x" * 20_001}, "The public key is longer than 20000 characters"),
        ({"member-code": "no spaces"}, "may use only letters A to Z"),
        ({"organisation-name": "x" * 1001}, "Enter at most 1000 characters"),
        ({"organisation-type": "ORG-club"}, "Select the type of organisation"),
        ({"contact-email": "nobody"}, "Enter an email address like name@example.org"),
    ]
    for change, message in cases:
        answer = await _post_form(client, "/members/apply", "/members/apply", _form(ClientKeys(), **change))
        assert answer.status_code == 422, change
        assert any(message in line for line in _summary(answer.text)), (change, _summary(answer.text))
    await approved_member(session, ClientKeys())
    taken = await _post_form(client, "/members/apply", "/members/apply", _form(ClientKeys()))
    assert taken.status_code == 409
    assert _summary(taken.text) == ["GOVHUB-DEV/GOV/E10000099 is already a member"]
    assert await _count(session, Application) == 1  # the approved member's own


async def test_a_platform_administrator_approves_and_the_applicant_administers_the_member(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, app: FastAPI
) -> None:
    applicant = await person(session, settings, "clerk@borsetshire.example", with_app=False)
    keys = ClientKeys()
    application = await submit(session, keys, applicant_account_id=applicant.account.id)
    admin = await person(session, settings, "admin@example.org", platform_admin=True)
    await signed_in(client, admin)

    listed = await client.get("/members/admin/applications", headers=BROWSER)
    assert listed.status_code == 200
    assert f'href="/members/admin/applications/{application.public_id}"' in listed.text
    landing = await client.get("/members", headers=BROWSER)
    assert "(1 waiting for a decision)" in landing.text

    page = f"/members/admin/applications/{application.public_id}"
    shown = await client.get(page, headers=BROWSER)
    assert "Borsetshire County Council" in shown.text
    assert keys.jwks["keys"][0]["x"] in shown.text
    approved = await _post_form(client, page, f"{page}/approve", {})
    assert approved.status_code == 303, approved.text
    assert approved.headers["location"] == MEMBER_PAGE + "?approved=1"
    member_page = await client.get(approved.headers["location"], headers=BROWSER)
    assert "Application approved" in member_page.text
    assert "GOVHUB-DEV.GOV.E10000099.parking" in member_page.text
    decided = await client.get(page, headers=BROWSER)
    assert "Approve application" not in decided.text
    assert "by admin@example.org" in decided.text

    # The applicant is now a director of the organisation, so administers the member.
    organisation = await OrganisationsService.for_session(session).find("E10000099")
    assert await OrganisationsService.for_session(session).repository.representative(
        applicant.account.id, organisation.id
    )
    async with browser(app) as applicant_browser:
        await signed_in(applicant_browser, applicant)
        yours = await applicant_browser.get("/members/yours", headers=BROWSER)
        assert "Members you administer" in yours.text
        assert "GOVHUB-DEV/GOV/E10000099/parking" in yours.text
        assert "GOVHUB-DEV.GOV.E10000099.parking" in yours.text
        assert "Approved" in yours.text


async def test_rejecting_needs_a_reason_which_the_applicant_sees(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, app: FastAPI
) -> None:
    applicant = await person(session, settings, "clerk@example.org", with_app=False)
    application = await submit(session, ClientKeys(), applicant_account_id=applicant.account.id)
    await signed_in(client, await person(session, settings, "admin@example.org", platform_admin=True))
    page = f"/members/admin/applications/{application.public_id}"

    blank = await _post_form(client, page, f"{page}/reject", {"reason": "  "})
    assert blank.status_code == 422
    assert _summary(blank.text) == [
        "Give the reason for the rejection: it is kept, and shown to the organisation."
    ]
    rejected = await _post_form(client, page, f"{page}/reject", {"reason": "Use your council's own number."})
    assert rejected.status_code == 303
    assert rejected.headers["location"] == f"/members/admin/applications?rejected={application.public_id}"
    async with browser(app) as applicant_browser:
        await signed_in(applicant_browser, applicant)
        yours = await applicant_browser.get("/members/yours", headers=BROWSER)
        assert "Rejected" in yours.text
        assert "Use your council&#39;s own number." in yours.text
        assert "You do not administer any member" in yours.text


async def test_a_decided_application_cannot_be_decided_again_from_a_stale_page(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    application = await submit(session, ClientKeys())
    await signed_in(client, await person(session, settings, "admin@example.org", platform_admin=True))
    page = f"/members/admin/applications/{application.public_id}"
    stale = await client.get(page, headers=BROWSER)
    fields = hidden_fields(stale.text, f"{page}/approve")
    assert (await client.post(f"{page}/approve", data=fields, headers=BROWSER)).status_code == 303
    twice = await client.post(f"{page}/approve", data=fields, headers=BROWSER)
    assert twice.status_code == 409
    assert "was approved by admin@example.org" in twice.text
    assert await _count(session, Member) == 1


async def test_a_page_approval_refused_half_way_keeps_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    application = await submit(session, ClientKeys())
    await machine_client(session, ClientKeys(), client_id="GOVHUB-DEV.GOV.E10000099.parking")
    await signed_in(client, await person(session, settings, "admin@example.org", platform_admin=True))
    page = f"/members/admin/applications/{application.public_id}"

    refused = await _post_form(client, page, f"{page}/approve", {})

    assert refused.status_code == 409
    assert "There is already a client with id" in refused.text
    assert await _count(session, Member) == 0
    await session.refresh(application)
    assert application.status == "pending"


async def test_a_platform_administrator_suspends_and_reinstates_a_member(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await approved_member(session, ClientKeys())
    await signed_in(client, await person(session, settings, "admin@example.org", platform_admin=True))
    listed = await client.get("/members/admin/members", headers=BROWSER)
    assert f'href="{MEMBER_PAGE}"' in listed.text

    blank = await _post_form(client, MEMBER_PAGE, f"{MEMBER_PAGE}/suspend", {"reason": ""})
    assert blank.status_code == 422
    assert _summary(blank.text)[0].startswith("Give the reason for the suspension")
    suspended = await _post_form(client, MEMBER_PAGE, f"{MEMBER_PAGE}/suspend", {"reason": "Data breach"})
    assert suspended.status_code == 303
    shown = await client.get(suspended.headers["location"], headers=BROWSER)
    assert "is suspended: its subsystems can no longer get tokens" in shown.text
    assert "Data breach" in shown.text
    assert "Reinstate member" in shown.text
    reinstated = await _post_form(client, MEMBER_PAGE, f"{MEMBER_PAGE}/reinstate", {"reason": "Fixed"})
    assert reinstated.status_code == 303
    member = await session.scalar(select(Member))
    assert member is not None
    await session.refresh(member)
    assert member.status == "active"


async def test_admin_pages_refuse_everyone_but_a_platform_administrator_with_two_factors(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, app: FastAPI
) -> None:
    await approved_member(session, ClientKeys())
    other_member_admin = await person(session, settings, "director@other.example")
    await approved_member(
        session,
        ClientKeys(),
        organisation_name="Other Ltd",
        registration_number="01234567",
        member_class="COM",
        applicant_account_id=other_member_admin.account.id,
    )
    pending = await submit(session, ClientKeys(), registration_number="E10000100")
    application_page = f"/members/admin/applications/{pending.public_id}"
    gets = ["/members/admin/applications", application_page, "/members/admin/members", MEMBER_PAGE]
    posts = [
        (f"{application_page}/approve", {}),
        (f"{application_page}/reject", {"reason": "No"}),
        (f"{MEMBER_PAGE}/suspend", {"reason": "No"}),
        (f"{MEMBER_PAGE}/reinstate", {"reason": "No"}),
    ]
    token = await admin_headers(client, session)
    callers = {
        "nobody": None,
        "a citizen": await person(session, settings, "citizen@example.org"),
        "a member administrator of another member": other_member_admin,
        "a platform administrator with one factor": await person(
            session, settings, "admin@example.org", platform_admin=True, with_app=False
        ),
    }
    for who, caller in callers.items():
        async with browser(app) as visitor:
            if caller is not None:
                await signed_in(visitor, caller)
            form_page = "/sign-in" if caller is None else "/members/apply"
            csrf = csrf_of((await visitor.get(form_page, headers=BROWSER)).text)
            for path in gets:
                await _expect_refused(visitor, who, "GET", path, None)
            for path, data in posts:
                await _expect_refused(visitor, who, "POST", path, {"csrf_token": csrf, **data})
                without_csrf = await visitor.post(path, data=data, headers=BROWSER)
                assert without_csrf.status_code == 403, (who, path)
    async with browser(app) as machine:
        for path in gets:
            answer = await machine.get(path, headers={**BROWSER, **token})
            assert answer.status_code == 303, path
            assert "level=Cl.Cm" in answer.headers["location"]
    await session.refresh(pending)
    assert pending.status == "pending"
    assert [m.status for m in await session.scalars(select(Member))] == ["active", "active"]


async def _expect_refused(
    visitor: httpx.AsyncClient, who: str, method: str, path: str, data: dict[str, str] | None
) -> None:
    answer = await visitor.request(method, path, data=data, headers=BROWSER)
    if who in {"nobody", "a platform administrator with one factor"}:
        assert answer.status_code == 303, (who, method, path, answer.text)
        assert answer.headers["location"].startswith("/sign-in?return_to=")
        assert answer.headers["location"].endswith("level=Cl.Cm")
    else:
        assert answer.status_code == 403, (who, method, path)
        assert "This page is for the platform&#39;s administrators" in answer.text


async def test_a_member_administrator_sees_only_their_own_members(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ours = await person(session, settings, "director@ours.example", with_app=False)
    await approved_member(session, ClientKeys(), applicant_account_id=ours.account.id)
    await approved_member(
        session,
        ClientKeys(),
        organisation_name="Theirs Ltd",
        registration_number="07654321",
        member_class="COM",
    )
    anonymous = await client.get("/members/yours", headers=BROWSER)
    assert anonymous.status_code == 303
    await signed_in(client, ours)
    yours = await client.get("/members/yours", headers=BROWSER)
    assert "GOVHUB-DEV/GOV/E10000099" in yours.text
    assert "Theirs Ltd" not in yours.text
    assert "07654321" not in yours.text


async def test_the_landing_page_is_open_to_anyone(client: httpx.AsyncClient) -> None:
    page = await client.get("/members", headers=BROWSER)
    assert page.status_code == 200
    assert 'href="/members/apply"' in page.text
    assert "/members/admin/applications" not in page.text


async def test_the_applicant_pages_refuse_the_wrong_callers(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, app: FastAPI
) -> None:
    csrf = csrf_of((await client.get("/sign-in", headers=BROWSER)).text)
    form = {"csrf_token": csrf, **_form(ClientKeys())}
    anonymous = await client.post("/members/apply", data=form, headers=BROWSER)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/sign-in?return_to=%2Fmembers%2Fapply")
    token = await admin_headers(client, session)
    for path in ["/members/apply", "/members/yours"]:
        with_token = await client.get(path, headers={**BROWSER, **token})
        assert with_token.status_code == 303, path
    async with browser(app) as signed:
        await signed_in(signed, await person(session, settings, "clerk@example.org", with_app=False))
        without_csrf = await signed.post("/members/apply", data=_form(ClientKeys()), headers=BROWSER)
        assert without_csrf.status_code == 403
        forged = await signed.post("/members/apply", data={"csrf_token": "0" * 64, **_form(ClientKeys())})
        assert forged.status_code == 403
    assert await _count(session, Application) == 0
