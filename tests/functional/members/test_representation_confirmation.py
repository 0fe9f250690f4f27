"""An application naming an organisation that is already registered (issue 14, finding 7). Anyone can type
a registration number: approving such an application used to make the applicant a director of that
organisation, so its representative at every service and its member's administrator, holding the keys of
its subsystem. Now the administrators see that it exists and who acts for it; approval makes nothing and
links no one; one of its directors confirms (or declines) on a page of theirs, and only then is the
applicant a director and the member made."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.identity.oidc.models import RelyingParty
from govhub.identity.organisations.models import Organisation
from govhub.identity.organisations.service import NewOrganisation, OrganisationsService, organisations_of
from govhub.members.errors import NoDirectorToConfirm
from govhub.members.membership.service import MembershipService, member_admin_viewer
from govhub.members.models import Application, Member
from govhub.members.onboarding.service import ApplicationsService
from govhub.members.xroad_ids import MemberId
from tests.functional.identity.account_support import hidden_fields
from tests.functional.members.support import (
    INSTANCE,
    TEST_ADMIN,
    Person,
    admin_headers,
    application_body,
    browser,
    person,
    signed_in,
    submit,
)
from tests.support.oidc import ClientKeys

NUMBER = "SC123456"
MEMBER = MemberId(INSTANCE, "COM", NUMBER)
CLIENT_ID = MEMBER.subsystem("orders").client_id
CLAIM = {
    "organisation_name": "Ambridge Organics Ltd",
    "registration_number": NUMBER.lower(),
    "member_class": "COM",
    "subsystem_code": "orders",
}


@dataclass
class Registered:
    organisation: Organisation
    director: Person
    employee: Person
    attacker: Person
    admin: Person


async def registered(session: AsyncSession, settings: Settings) -> Registered:
    """Ambridge Organics, registered, with a director and an employee; someone else; an administrator."""
    organisations = OrganisationsService.for_session(session)
    organisation = await organisations.create_organisation(
        NewOrganisation("Ambridge Organics Ltd", NUMBER, "company")
    )
    director = await person(session, settings, "director@ambridge.example")
    employee = await person(session, settings, "clerk@ambridge.example")
    await organisations.link(director.account.email, organisation.public_id, "director")
    await organisations.link(employee.account.email, organisation.public_id, "employee")
    attacker = await person(session, settings, "mallory@example.net")
    admin = await person(session, settings, "admin@example.org", platform_admin=True)
    return Registered(organisation, director, employee, attacker, admin)


async def _claimed(session: AsyncSession, who: Person) -> Application:
    """An application by `who` naming Ambridge Organics' registration number."""
    return await submit(session, ClientKeys(), **CLAIM, applicant_account_id=who.account.id)


async def _nothing_made(session: AsyncSession, attacker: Person) -> None:
    assert await session.scalar(select(func.count()).select_from(Member)) == 0
    assert await session.scalar(select(RelyingParty).where(RelyingParty.client_id == CLIENT_ID)) is None
    assert await organisations_of(session, attacker.account.id) == []
    assert not (await member_admin_viewer(session, attacker.account.id)).organisation_ids


async def _apply(client: httpx.AsyncClient, who: Person) -> str:
    """Applies on the page, as `who`, for Ambridge Organics' registration number; the reference."""
    await signed_in(client, who)
    form = await client.get("/members/apply")
    answer = await client.post(
        "/members/apply",
        data={
            **hidden_fields(form.text, "/members/apply"),
            "organisation-name": "Ambridge Organics Ltd",
            "registration-number": NUMBER.lower(),
            "organisation-type": "COM",
            "contact-name": "Mallory",
            "contact-email": who.account.email,
            "subsystem-code": "orders",
            "public-key": json.dumps(ClientKeys().jwks),
        },
    )
    assert answer.status_code == 303, answer.text
    found = re.search(r"applied=([0-9a-f-]{36})", answer.headers["location"])
    assert found is not None
    return found.group(1)


async def test_an_applicant_claiming_a_registered_number_gains_nothing_until_a_director_confirms(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    ambridge = await registered(session, settings)
    async with browser(app) as mallory, browser(app) as admin, browser(app) as clerk, browser(app) as other:
        reference = await _apply(mallory, ambridge.attacker)
        await signed_in(admin, ambridge.admin)

        # The administrator sees that the organisation exists, and who acts for it.
        page = await admin.get(f"/members/admin/applications/{reference}")
        assert page.status_code == 200
        assert "This organisation is already registered" in page.text
        assert "director@ambridge.example" in page.text
        assert "clerk@ambridge.example" in page.text
        assert "its directors (director@ambridge.example) are asked to confirm" in page.text

        approved = await admin.post(
            f"/members/admin/applications/{reference}/approve",
            data=hidden_fields(page.text, f"/members/admin/applications/{reference}/approve"),
        )
        assert approved.status_code == 303
        assert approved.headers["location"] == f"/members/admin/applications/{reference}?confirming=1"
        shown = await admin.get(approved.headers["location"])
        assert "Approved: the organisation is asked to confirm" in shown.text
        application = await session.scalar(select(Application).where(Application.public_id == reference))
        assert application is not None
        assert application.status == "confirming"
        assert application.organisation_id == ambridge.organisation.id
        assert application.member_id is None
        await _nothing_made(session, ambridge.attacker)

        # The applicant cannot confirm themselves; nor can an employee, nor a stranger: all see nothing.
        await signed_in(clerk, ambridge.employee)
        stranger = await person(session, settings, "someone@example.com")
        await signed_in(other, stranger)
        for who in (mallory, clerk, other):
            assert "Asked to confirm" not in (await who.get("/members/yours")).text
            look = await who.get(f"/members/yours/confirmations/{reference}")
            assert look.status_code == 404, look.text
            for action in ("confirm", "decline"):
                form = await who.get("/members/apply")
                tried = await who.post(
                    f"/members/yours/confirmations/{reference}/{action}",
                    data={**hidden_fields(form.text, "/members/apply"), "reason": "mine"},
                )
                assert tried.status_code == 404, (action, tried.text)
        # Nor can the administrator: only the organisation can say who acts for it.
        assert (await admin.get(f"/members/yours/confirmations/{reference}")).status_code == 404
    await session.refresh(application)
    assert application.status == "confirming"
    await _nothing_made(session, ambridge.attacker)


async def test_a_director_confirms_and_only_then_is_the_member_made(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    ambridge = await registered(session, settings)
    application = await submit(
        session, ClientKeys(), **CLAIM, applicant_account_id=ambridge.attacker.account.id
    )
    await ApplicationsService(session, INSTANCE).approve(application.public_id, TEST_ADMIN)
    async with browser(app) as director, browser(app) as mallory:
        await signed_in(director, ambridge.director)
        yours = await director.get("/members/yours")
        assert "Asked to confirm" in yours.text
        assert "mallory@example.net" in yours.text
        href = f"/members/yours/confirmations/{application.public_id}"
        assert href in yours.text
        page = await director.get(href)
        assert page.status_code == 200
        assert "Does this person act for your organisation?" in page.text
        assert "a director of Ambridge Organics Ltd" in page.text

        confirmed = await director.post(href + "/confirm", data=hidden_fields(page.text, href + "/confirm"))
        assert confirmed.status_code == 303, confirmed.text
        assert confirmed.headers["location"] == f"/members/yours?confirmed={application.public_id}"

        await session.refresh(application)
        assert (application.status, application.confirmation_by) == ("approved", "director@ambridge.example")
        member = await session.scalar(select(Member).where(Member.id == application.member_id))
        assert member is not None
        assert (member.member_id, member.organisation_id) == (MEMBER, ambridge.organisation.id)
        assert (
            await session.scalar(select(RelyingParty).where(RelyingParty.client_id == CLIENT_ID)) is not None
        )
        [representation] = await organisations_of(session, ambridge.attacker.account.id)
        assert (representation.organisation_id, representation.role) == (
            ambridge.organisation.public_id,
            "director",
        )
        viewer = await member_admin_viewer(session, ambridge.attacker.account.id)
        assert [d.member.id for d in await MembershipService(session).members(viewer)] == [member.id]

        await signed_in(mallory, ambridge.attacker)
        assert "Members you administer" in (theirs := (await mallory.get("/members/yours")).text)
        assert str(MEMBER) in theirs
        # Answered once: the page is gone.
        assert (await director.get(href)).status_code == 404


async def test_a_director_declines_with_a_reason_and_nothing_is_made(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    ambridge = await registered(session, settings)
    application = await submit(
        session, ClientKeys(), **CLAIM, applicant_account_id=ambridge.attacker.account.id
    )
    await ApplicationsService(session, INSTANCE).approve(application.public_id, TEST_ADMIN)
    href = f"/members/yours/confirmations/{application.public_id}"
    async with browser(app) as director, browser(app) as mallory:
        await signed_in(director, ambridge.director)
        page = await director.get(href)
        fields = hidden_fields(page.text, href + "/decline")
        missing = await director.post(href + "/decline", data={**fields, "reason": "  "})
        assert missing.status_code == 422
        assert "Give the reason for the decline" in missing.text
        await session.refresh(application)
        assert application.status == "confirming"

        declined = await director.post(href + "/decline", data={**fields, "reason": "Not one of ours."})
        assert declined.status_code == 303
        await session.refresh(application)
        assert (application.status, application.confirmation_reason) == ("declined", "Not one of ours.")
        await _nothing_made(session, ambridge.attacker)
        await signed_in(mallory, ambridge.attacker)
        theirs = (await mallory.get("/members/yours")).text
        assert "Declined" in theirs
        assert "Not one of ours." in theirs


async def test_answering_needs_two_factors(app: FastAPI, session: AsyncSession, settings: Settings) -> None:
    ambridge = await registered(session, settings)
    one_factor = await person(session, settings, "partner@ambridge.example", with_app=False)
    await OrganisationsService.for_session(session).link(
        one_factor.account.email, ambridge.organisation.public_id, "director"
    )
    application = await submit(
        session, ClientKeys(), **CLAIM, applicant_account_id=ambridge.attacker.account.id
    )
    await ApplicationsService(session, INSTANCE).approve(application.public_id, TEST_ADMIN)
    href = f"/members/yours/confirmations/{application.public_id}"
    async with browser(app) as partner:
        await signed_in(partner, one_factor)
        assert "Asked to confirm" in (await partner.get("/members/yours")).text
        page = await partner.get(href)
        assert page.status_code == 303
        assert page.headers["location"].startswith("/sign-in?")
        assert "level=Cl.Cm" in page.headers["location"]
        form = await partner.get("/members/apply")
        tried = await partner.post(href + "/confirm", data=hidden_fields(form.text, "/members/apply"))
        assert tried.status_code == 303
        assert "level=Cl.Cm" in tried.headers["location"]
    await session.refresh(application)
    assert application.status == "confirming"
    await _nothing_made(session, ambridge.attacker)


async def test_an_organisation_with_no_director_cannot_be_approved_for_a_stranger(
    session: AsyncSession, settings: Settings
) -> None:
    organisations = OrganisationsService.for_session(session)
    await organisations.create_organisation(NewOrganisation("Ambridge Organics Ltd", NUMBER, "company"))
    attacker = await person(session, settings, "mallory@example.net")
    application = await submit(session, ClientKeys(), **CLAIM, applicant_account_id=attacker.account.id)
    service = ApplicationsService(session, INSTANCE)
    with pytest.raises(NoDirectorToConfirm, match="no director who could confirm"):
        async with session.begin_nested():
            await service.approve(application.public_id, TEST_ADMIN)
    await session.refresh(application)
    assert application.status == "pending"
    await _nothing_made(session, attacker)


async def test_a_director_who_applies_is_approved_at_once(session: AsyncSession, settings: Settings) -> None:
    ambridge = await registered(session, settings)
    application = await submit(
        session, ClientKeys(), **CLAIM, applicant_account_id=ambridge.director.account.id
    )
    approved = await ApplicationsService(session, INSTANCE).approve(application.public_id, TEST_ADMIN)
    assert approved.status == "approved"
    assert approved.member_id is not None


async def test_the_admin_api_approval_answers_202_while_the_organisation_confirms(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ambridge = await registered(session, settings)
    application = await submit(
        session, ClientKeys(), **CLAIM, applicant_account_id=ambridge.attacker.account.id
    )
    admin = await admin_headers(client, session)
    answer = await client.post(f"/members/applications/{application.public_id}/approve", headers=admin)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert (body["status"], body["organisationId"]) == ("confirming", ambridge.organisation.public_id)
    assert body["confirmationBy"] is None
    again = await client.post(f"/members/applications/{application.public_id}/approve", headers=admin)
    assert again.status_code == 409
    listed = await client.get("/members/applications", params={"status": "confirming"}, headers=admin)
    assert [a["id"] for a in listed.json()] == [application.public_id]
    await _nothing_made(session, ambridge.attacker)


async def test_an_operators_application_for_a_registered_organisation_links_nobody(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    ambridge = await registered(session, settings)
    admin = await admin_headers(client, session)
    body = application_body(
        ClientKeys(),
        organisationName="Ambridge Organics Ltd",
        registrationNumber=NUMBER,
        memberClass="COM",
        subsystemCode="orders",
    )
    submitted = await client.post("/members/applications", json=body, headers=admin)
    assert submitted.status_code == 201, submitted.text
    answer = await client.post(f"/members/applications/{submitted.json()['id']}/approve", headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.json()["organisationId"] == ambridge.organisation.public_id
    # Its directors administer it; nobody new acts for it.
    representatives = await OrganisationsService.for_session(session).representatives_of(
        ambridge.organisation
    )
    assert representatives == [
        ("clerk@ambridge.example", "employee"),
        ("director@ambridge.example", "director"),
    ]


async def test_approval_never_links_the_applicant_to_a_registered_organisation(
    session: AsyncSession, settings: Settings
) -> None:
    """The attack as the review found it, at the service: approving a stranger's claim on a registered
    number made them that organisation's director, with a member and a client holding their keys."""
    ambridge = await registered(session, settings)
    application = await _claimed(session, ambridge.attacker)
    await ApplicationsService(session, INSTANCE).approve(application.public_id, TEST_ADMIN)
    await _nothing_made(session, ambridge.attacker)


async def test_the_administrators_page_says_why_an_organisation_without_a_director_cannot_be_approved(
    app: FastAPI, session: AsyncSession, settings: Settings
) -> None:
    await OrganisationsService.for_session(session).create_organisation(
        NewOrganisation("Ambridge Organics Ltd", NUMBER, "company")
    )
    attacker = await person(session, settings, "mallory@example.net")
    admin = await person(session, settings, "admin@example.org", platform_admin=True)
    application = await _claimed(session, attacker)
    page_path = f"/members/admin/applications/{application.public_id}"
    async with browser(app) as theirs:
        await signed_in(theirs, admin)
        page = await theirs.get(page_path)
        assert "Nobody acts for it yet." in page.text
        assert "It has no director to confirm" in page.text
        refused = await theirs.post(
            page_path + "/approve", data=hidden_fields(page.text, page_path + "/approve")
        )
        assert refused.status_code == 409
        assert "no director who could confirm" in refused.text
    await session.refresh(application)
    assert (application.status, application.decided_by) == ("pending", None)
    await _nothing_made(session, attacker)
