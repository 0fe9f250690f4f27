"""The X-Road metaservices through HTTP, checked against the GovStack IM directory services spec's schemas
(`../shared/specs/govstack/im-directory-services.yaml`): with each client header and without `/r1`;
suspended members, disabled subsystems' and disabled services left out; allowedMethods only for the
client's own token; malformed identifiers answered 400 with an X-Road error."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.members.membership.service import MembershipService
from govhub.members.repository import PLATFORM
from govhub.members.xroad_ids import parse_member_id
from tests.functional.members.services_support import CLIENT, PROVIDER, SERVICE_PATH, registration
from tests.functional.members.support import TEST_ADMIN, admin_headers, approved_member, subsystem_token
from tests.support.oidc import ClientKeys

# The copy in tests/specs (from ../shared/specs), so the suite runs on a checkout with nothing beside it.
SPEC = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "specs" / "govstack" / "im-directory-services.yaml").read_text()
)
ELIGIBILITY = "GET /eligibility/{nhsNumber}"
PROVIDER_CLIENT_ID = PROVIDER.replace("/", ".")
CLIENT_CLIENT_ID = CLIENT.replace("/", ".")


def _check(body: Any, schema: str) -> None:
    """Validates against a schema of the spec (its `$ref`s resolved within the document); `getOpenAPIAnswer`
    is getOpenAPI's 200 `application/json` schema, which the spec writes inline."""
    if schema == "getOpenAPIAnswer":
        operation = SPEC["paths"]["/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/getOpenAPI"]
        jsonschema.validate(
            body, operation["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        )
        return
    jsonschema.validate(body, {**SPEC, "$ref": f"#/components/schemas/{schema}"})


@dataclass
class Setup:
    admin: dict[str, str]
    provider_keys: ClientKeys
    client_keys: ClientKeys


async def _setup(client: httpx.AsyncClient, session: AsyncSession) -> Setup:
    provider_keys, client_keys = ClientKeys(), ClientKeys()
    await approved_member(session, provider_keys)
    await approved_member(
        session,
        client_keys,
        organisation_name="Theirs Ltd",
        registration_number="07654321",
        member_class="COM",
        subsystem_code="orders",
    )
    admin = await admin_headers(client, session)
    created = await client.post("/members/services", json=registration(), headers=admin)
    assert created.status_code == 201, created.text
    return Setup(admin, provider_keys, client_keys)


async def _token(client: httpx.AsyncClient, keys: ClientKeys, client_id: str) -> dict[str, str]:
    response = await subsystem_token(client, keys, client_id)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _xroad_error(response: httpx.Response, status: int, error_type: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["x-road-error"] == error_type
    body = response.json()
    if "/getOpenAPI" in str(response.request.url):
        # getOpenAPI answers strings, its errors too (the spec's schema is `string`).
        assert isinstance(body, str)
        assert body.startswith(f"{error_type}: ")
        assert len(body) > len(error_type) + 2
        return
    assert body["type"] == error_type
    assert body["message"]


async def test_list_clients_lists_active_members_and_subsystems_in_the_spec_shape(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _setup(client, session)

    response = await client.get("/listClients", headers={"X-GovStack-Client": CLIENT})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    _check(body, "restClientDetailsListType")
    ids = [
        (c["id"]["objectType"], c["id"]["memberCode"], c["id"].get("applicationCode")) for c in body["member"]
    ]
    assert ids == [
        ("MEMBER", "07654321", None),
        ("APPLICATION", "07654321", "orders"),
        ("MEMBER", "E10000099", None),
        ("APPLICATION", "E10000099", "parking"),
    ]
    assert body["member"][2]["name"] == "Borsetshire County Council"
    assert (await client.get("/listClients", params={"instanceId": "ELSEWHERE"})).json() == {"member": []}

    await MembershipService(session).suspend(parse_member_id("GOVHUB-DEV/COM/07654321"), TEST_ADMIN, "Fees")
    after = (await client.get("/listClients")).json()
    assert [c["id"]["memberCode"] for c in after["member"]] == ["E10000099", "E10000099"]


@pytest.mark.parametrize("header", ["X-Road-Client", "X-GovStack-Client", "Information-Mediator-Client"])
@pytest.mark.parametrize("prefix", ["/r1/", "/"])
async def test_list_methods_and_get_openapi_with_each_header_with_and_without_r1(
    client: httpx.AsyncClient, session: AsyncSession, header: str, prefix: str
) -> None:
    await _setup(client, session)
    headers = {header: CLIENT}

    listed = await client.get(f"{prefix}{PROVIDER}/listMethods", headers=headers)

    assert listed.status_code == 200, listed.text
    body = listed.json()
    _check(body, "restServiceDetailsListType")
    assert body == {
        "member": [
            {
                "objectType": "SERVICE",
                "serviceType": "OPENAPI3",
                "instanceId": "GOVHUB-DEV",
                "memberClass": "GOV",
                "memberCode": "E10000099",
                "applicationCode": "parking",
                "serviceCode": "eligibility",
                "endpointList": {
                    "member": [
                        {"method": "POST", "path": "/assessments"},
                        {"method": "GET", "path": "/eligibility/{nhsNumber}"},
                    ]
                },
            }
        ]
    }
    one = await client.get(f"{prefix}{PROVIDER}/listMethods", params={"serviceId": "other"}, headers=headers)
    assert one.json() == {"member": []}

    document = await client.get(f"{prefix}{PROVIDER}/getOpenAPI", params={"serviceCode": "eligibility"})
    assert document.status_code == 200, document.text
    assert document.headers["content-type"] == "application/json; charset=utf-8"
    # The spec's answer is a string: the document as JSON text.
    _check(document.json(), "getOpenAPIAnswer")
    assert json.loads(document.json())["info"]["title"] == "Blue Badge eligibility"
    assert "public" in document.headers["cache-control"]


async def test_disabled_services_and_suspended_members_disappear(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    setup = await _setup(client, session)
    methods = f"/r1/{PROVIDER}/listMethods"
    assert len((await client.get(methods)).json()["member"]) == 1

    await client.post(SERVICE_PATH + "/disable", headers=setup.admin)
    assert (await client.get(methods)).json() == {"member": []}
    gone = await client.get(f"/r1/{PROVIDER}/getOpenAPI", params={"serviceCode": "eligibility"})
    _xroad_error(gone, 404, "Server.ServerProxy.UnknownService")

    await client.post(SERVICE_PATH + "/enable", headers=setup.admin)
    await MembershipService(session).suspend(parse_member_id("GOVHUB-DEV/GOV/E10000099"), TEST_ADMIN, "Audit")
    _xroad_error(await client.get(methods), 404, "Server.ServerProxy.UnknownMember")
    members = await MembershipService(session).members(PLATFORM)
    assert any(m.member.status == "suspended" for m in members)


async def test_allowed_methods_lists_exactly_what_the_clients_own_token_may_call(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    setup = await _setup(client, session)
    allowed = f"/r1/{PROVIDER}/allowedMethods"
    token = await _token(client, setup.client_keys, CLIENT_CLIENT_ID)
    headers = {"Information-Mediator-Client": CLIENT, **token}

    assert (await client.get(allowed, headers=headers)).json() == {"member": []}

    granted = await client.post(
        SERVICE_PATH + "/rights", json={"client": CLIENT, "endpoint": ELIGIBILITY}, headers=setup.admin
    )
    assert granted.status_code == 201, granted.text
    one = await client.get(allowed, headers=headers)
    assert one.status_code == 200, one.text
    assert one.headers["cache-control"] == "no-store"
    _check(one.json(), "restServiceDetailsListType")
    [service] = one.json()["member"]
    assert service["serviceCode"] == "eligibility"
    assert service["endpointList"] == {"member": [{"method": "GET", "path": "/eligibility/{nhsNumber}"}]}

    await client.post(SERVICE_PATH + "/rights", json={"client": CLIENT}, headers=setup.admin)
    whole = (await client.get(allowed.removeprefix("/r1"), headers={"X-Road-Client": CLIENT, **token})).json()
    assert len(whole["member"][0]["endpointList"]["member"]) == 2

    await client.post(SERVICE_PATH + "/disable", headers=setup.admin)
    assert (await client.get(allowed, headers=headers)).json() == {"member": []}


async def test_allowed_methods_answers_anyone_nothing_and_refuses_another_subsystems_token(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    setup = await _setup(client, session)
    allowed = f"/r1/{PROVIDER}/allowedMethods"
    await client.post(SERVICE_PATH + "/rights", json={"client": CLIENT}, headers=setup.admin)

    # Without a token the caller is anyone, whatever header it sends: what anyone may call is nothing.
    for anyone in ({"X-GovStack-Client": CLIENT}, {}):
        nobody = await client.get(allowed, headers=anyone)
        assert nobody.status_code == 200, nobody.text
        assert nobody.json() == {"member": []}
        assert nobody.headers["cache-control"] == "no-store"

    # The provider's own token, naming the client: it learns nothing about the client's rights.
    theirs = await _token(client, setup.provider_keys, PROVIDER_CLIENT_ID)
    impostor = await client.get(allowed, headers={"X-GovStack-Client": CLIENT, **theirs})
    _xroad_error(impostor, 403, "Client.InvalidClientIdentifier")
    # An admin token is no subsystem's token either.
    admin = await client.get(allowed, headers={"X-GovStack-Client": CLIENT, **setup.admin})
    _xroad_error(admin, 403, "Client.InvalidClientIdentifier")
    # A token that is no token.
    forged = await client.get(allowed, headers={"X-GovStack-Client": CLIENT, "Authorization": "Bearer nope"})
    assert forged.status_code == 401
    # No client header at all.
    _xroad_error(await client.get(allowed, headers=theirs), 400, "Client.BadRequest")


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/r1/GOVHUB-DEV/XXX/E10000099/parking/listMethods", {}),
        ("/r1/GOVHUB-DEV/GOV/E1000.0099/parking/listMethods", {}),
        ("/GOVHUB-DEV/GOV/E10000099/par%20king/getOpenAPI?serviceCode=eligibility", {}),
        (f"/r1/{PROVIDER}/getOpenAPI", {}),
        (f"/r1/{PROVIDER}/listMethods", {"X-Road-Client": "GOVHUB-DEV/GOV/E10000099"}),
        (f"/r1/{PROVIDER}/listMethods", {"X-Road-Client": CLIENT, "X-GovStack-Client": PROVIDER}),
        ("/listClients", {"X-GovStack-Client": "not an id"}),
        ("/listClients?instanceId=" + "X" * 21, {}),
        ("/r1/GOVHUB-DEV/XXX/E10000099/parking/allowedMethods", {"X-Road-Client": CLIENT}),
    ],
)
async def test_malformed_identifiers_and_headers_are_400_x_road_errors(
    client: httpx.AsyncClient, session: AsyncSession, path: str, headers: dict[str, str]
) -> None:
    await _setup(client, session)
    _xroad_error(await client.get(path, headers=headers), 400, "Client.BadRequest")


async def test_an_unknown_subsystem_is_404(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await _setup(client, session)
    response = await client.get("/r1/GOVHUB-DEV/GOV/E10000099/nothing/listMethods")
    _xroad_error(response, 404, "Server.ServerProxy.UnknownMember")
