"""May this subsystem call this operation: one rule (`govhub.members.may_call`), asked three ways, which must
agree on every case of a matrix (callers x services x operations) through a history of changes (rights
granted to an endpoint and to the whole service, revoked, the service disabled, either member suspended and
reinstated, the provider's document changed):

- the gateway's way: one node's `NetworkView`, kept for the whole test, so answers come from a generation
  it already holds until the directory's stamp moves;
- a fresh view for every question (everything read again);
- the directory's `allowedMethods`, which lists the endpoints a client's rights cover."""

from __future__ import annotations

import inspect

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.exchange.gateway import service as gateway_service
from govhub.members import (
    MembershipService,
    NetworkView,
    ServiceId,
    SubsystemId,
    Verdict,
    parse_service_id,
    parse_subsystem_id,
)
from govhub.members.directory.service import Directory, XRoadError
from tests.functional.members.services_support import (
    CLIENT,
    PROVIDER,
    SERVICE,
    SERVICE_ID,
    SERVICE_PATH,
    blue_badge,
    network,
    registration,
)
from tests.functional.members.support import TEST_ADMIN, admin_headers
from tests.support.members import decide, network_view

Case = tuple[str | None, str, str, str]
ELIGIBILITY = "GET /eligibility/{nhsNumber}"
ASSESSMENTS = "POST /assessments"
#: Who calls: the client subsystem, the provider's own subsystem (another member, with no right), and an
#: OAuth client that is no subsystem's.
CALLERS = (CLIENT, PROVIDER, None)
SERVICES = (SERVICE_ID, parse_service_id(PROVIDER + "/nothing"))
#: (method, path, the endpoint it is for, if any)
OPERATIONS = (
    ("GET", "/eligibility/9434765919", ELIGIBILITY),
    ("POST", "/assessments", ASSESSMENTS),
    ("GET", "/eligibility/", None),
    ("GET", "/undocumented", None),
    ("DELETE", "/assessments", None),
)
NOT_A_SUBSYSTEM = "some-relying-party"


async def _listed(session: AsyncSession, client: SubsystemId, service_id: ServiceId) -> set[str]:
    """The endpoints of the service the directory says the client may call."""
    try:
        answer = await Directory(session, "GOVHUB-DEV").allowed_methods(
            service_id.subsystem, client, service_id.service_code
        )
    except XRoadError:
        return set()
    return {
        f"{endpoint['method']} {endpoint['path']}"
        for service in answer["member"]
        for endpoint in service["endpointList"]["member"]
    }


async def _agree(session: AsyncSession, kept: NetworkView) -> dict[Case, Verdict]:
    verdicts: dict[Case, Verdict] = {}
    for caller in CALLERS:
        client_id = NOT_A_SUBSYSTEM if caller is None else parse_subsystem_id(caller).client_id
        for service_id in SERVICES:
            listed = (
                set() if caller is None else await _listed(session, parse_subsystem_id(caller), service_id)
            )
            for method, path, endpoint in OPERATIONS:
                case = (caller, str(service_id), method, path)
                cached = await decide(kept, session, client_id, service_id, method, path)
                fresh = await decide(
                    await network_view(session), session, client_id, service_id, method, path
                )
                assert cached == fresh, case
                assert fresh.allowed == (endpoint is not None and endpoint in listed), (case, listed)
                verdicts[case] = fresh.verdict
    return verdicts


def _allowed(
    verdicts: dict[Case, Verdict],
) -> set[Case]:
    return {case for case, verdict in verdicts.items() if verdict is Verdict.ALLOWED}


def _case(method: str, path: str) -> Case:
    return (CLIENT, SERVICE, method, path)


async def test_the_gateways_cached_answers_fresh_answers_and_the_directory_agree(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await network(session, settings)
    admin = await admin_headers(client, session)
    kept = await network_view(session)
    eligibility, assessments = _case("GET", "/eligibility/9434765919"), _case("POST", "/assessments")

    # No service yet: unknown to everybody.
    verdicts = await _agree(session, kept)
    assert not _allowed(verdicts)
    assert verdicts[eligibility] is Verdict.UNKNOWN_SERVICE
    assert verdicts[(None, SERVICE, "GET", "/eligibility/9434765919")] is Verdict.NOT_A_SUBSYSTEM

    assert (await client.post("/members/services", json=registration(), headers=admin)).status_code == 201
    verdicts = await _agree(session, kept)
    assert not _allowed(verdicts)
    assert verdicts[eligibility] is Verdict.NOT_COVERED

    rights = SERVICE_PATH + "/rights"
    one = await client.post(rights, json={"client": CLIENT, "endpoint": ELIGIBILITY}, headers=admin)
    assert one.status_code == 201
    assert _allowed(await _agree(session, kept)) == {eligibility}

    assert (await client.post(rights, json={"client": CLIENT}, headers=admin)).status_code == 201
    assert _allowed(await _agree(session, kept)) == {eligibility, assessments}

    revoked = await client.post(rights + "/revoke", json={"client": CLIENT}, headers=admin)
    assert revoked.status_code == 200
    assert _allowed(await _agree(session, kept)) == {eligibility}

    assert (await client.post(SERVICE_PATH + "/disable", headers=admin)).status_code == 200
    verdicts = await _agree(session, kept)
    assert not _allowed(verdicts)
    assert verdicts[eligibility] is Verdict.UNKNOWN_SERVICE
    assert (await client.post(SERVICE_PATH + "/enable", headers=admin)).status_code == 200
    assert _allowed(await _agree(session, kept)) == {eligibility}

    memberships = MembershipService(session)
    client_member = parse_subsystem_id(CLIENT).member
    await memberships.suspend(client_member, TEST_ADMIN, "Unpaid fees")
    verdicts = await _agree(session, kept)
    assert not _allowed(verdicts)
    assert verdicts[eligibility] is Verdict.CALLER_INACTIVE
    await memberships.reinstate(client_member, TEST_ADMIN, "Paid")
    assert _allowed(await _agree(session, kept)) == {eligibility}

    await memberships.suspend(SERVICE_ID.subsystem.member, TEST_ADMIN, "Audit")
    verdicts = await _agree(session, kept)
    assert not _allowed(verdicts)
    assert verdicts[eligibility] is Verdict.PROVIDER_INACTIVE
    await memberships.reinstate(SERVICE_ID.subsystem.member, TEST_ADMIN, "Done")
    assert _allowed(await _agree(session, kept)) == {eligibility}

    # The endpoint the right was to goes from the document: the right keeps its label and covers nothing.
    version_2 = blue_badge()
    version_2["info"]["version"] = "2.0.0"
    del version_2["paths"]["/eligibility/{nhsNumber}"]
    changed = await client.patch(SERVICE_PATH, json={"openapi": version_2}, headers=admin)
    assert changed.status_code == 200, changed.text
    verdicts = await _agree(session, kept)
    assert not _allowed(verdicts)
    assert verdicts[eligibility] is Verdict.NOT_COVERED


def test_the_gateway_asks_the_one_rule() -> None:
    """The gateway's access check is `may_call` (the chokepoint), not a copy of its rules."""
    source = inspect.getsource(gateway_service._access)
    assert "may_call(" in source
    assert "match_endpoint" not in source
    assert ".cover(" not in source
