"""GovStack's Information Mediator directory scenarios, as their published suite sends them (paths without
`/r1`, the `Information-Mediator-Client` header, the scenario data's identifiers) and as it checks the
answers (status, `content-type: application/json; charset=utf-8`, a string from getOpenAPI, 400 for a
malformed or unknown identifier), after `load_directory_scenario` loaded the scenario data
(`tests/specs/govstack/im-directory-scenario-data.json`) as real members of the network. And the loader
itself: idempotent, members made as any other, malformed data refused with nothing kept."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.cli.main import cli
from govhub.config import Settings
from govhub.kit.errors import GovhubError
from govhub.members import (
    InvalidMemberClass,
    InvalidScenarioData,
    MemberId,
    add_member_class,
    load_directory_scenario,
    member_classes,
    member_exists,
)
from govhub.members.models import InstanceMemberClass, Member, Subsystem
from govhub.members.services.models import Service
from tests.support.outbound import public_guard

SPECS = Path(__file__).resolve().parents[2] / "specs" / "govstack"
DATA = json.loads((SPECS / "im-directory-scenario-data.json").read_text())
SPEC = yaml.safe_load((SPECS / "im-directory-services.yaml").read_text())
#: The header and value the scenarios send.
IM_CLIENT = {"Information-Mediator-Client": "eGovStack/GOV/90000009/digitalregistries"}
JSON_UTF8 = "application/json; charset=utf-8"
#: (GovStackInstance, memberClass, memberCode, applicationCode) of each entry of the data.
PROVIDERS = [
    (e["GovStackInstance"], e["memberClass"], e["memberCode"], e["applicationCode"]) for e in DATA["data"]
]
SERVICE_CODE = "alp4aNum3r1c"
BASE_URL = "https://badges.example"


def _schema(name: str) -> dict[str, Any]:
    return {**SPEC, "$ref": f"#/components/schemas/{name}"}


async def _load(session: AsyncSession, settings: Settings, data: Any = DATA) -> str:
    return await load_directory_scenario(session, settings, data, base_url=BASE_URL, outbound=public_guard())


async def _counts(session: AsyncSession) -> tuple[int, int, int, int]:
    tables = (Member, Subsystem, Service, InstanceMemberClass)
    return tuple([await session.scalar(select(func.count()).select_from(t)) or 0 for t in tables])  # type: ignore[return-value]


def _path(provider: tuple[str, str, str, str], metaservice: str) -> str:
    return "/" + "/".join(provider) + "/" + metaservice


# --- the loader ---------------------------------------------------------------------------------------------


async def test_the_loader_makes_real_members_and_is_idempotent(
    session: AsyncSession, settings: Settings
) -> None:
    before = await _counts(session)

    said = await _load(session, settings)

    assert said.splitlines()[:2] == [
        "member identifier/identifier/alp4aNum3r1c added",
        "service identifier/identifier/alp4aNum3r1c/alp4aNum3r1c/alp4aNum3r1c registered",
    ]
    # Four members, each with one subsystem and one service (the first entry's two services share a code),
    # and four classes registered for four instances.
    assert await _counts(session) == tuple(b + 4 for b in before)
    for instance, member_class, member_code, _ in PROVIDERS:
        assert await member_exists(session, MemberId(instance, member_class, member_code))
    classes = {(c.instance, c.member_class) for c in await member_classes(session, settings.members_instance)}
    assert {(p[0], p[1]) for p in PROVIDERS} <= classes
    assert (settings.members_instance, "GOV") in classes
    service = await session.scalar(
        select(Service)
        .join(Subsystem)
        .where(Subsystem.client_id == "identifier.identifier.alp4aNum3r1c.alp4aNum3r1c")
    )
    assert service is not None
    assert service.base_url == BASE_URL
    assert "serviceId serviceId, instanceId instanceId; serviceId serviceId1" in service.description

    again = await _load(session, settings)

    assert "added" not in again
    assert "registered" not in again
    assert again.splitlines()[0] == "member identifier/identifier/alp4aNum3r1c there"
    assert await _counts(session) == tuple(b + 4 for b in before)


def _broken(change: Any) -> Any:
    data = copy.deepcopy(DATA)
    change(data)
    return data


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ([], 'an object with a list "data"'),
        ({"data": "x"}, 'an object with a list "data"'),
        ({"data": ["x"]}, "data[0] is not an object"),
        (_broken(lambda d: d["data"][1].pop("memberCode")), "data[1].memberCode is missing"),
        (_broken(lambda d: d["data"][2].update(memberClass="a.b")), "data[2]: The member class 'a.b'"),
        (_broken(lambda d: d["data"][3].update(applicationCode="_x")), "data[3]: The subsystem code '_x'"),
        (_broken(lambda d: d["data"][3].update(service={})), "data[3].service is not a list"),
        (_broken(lambda d: d["data"][0]["service"].append(3)), "data[0].service[2] is not an object"),
        (
            _broken(lambda d: d["data"][0]["service"][1].update(serviceCode="_invalid")),
            "data[0].service[1]: the service code '_invalid'",
        ),
        (
            _broken(lambda d: d["data"][0]["service"][1].update(serviceCode="getOpenAPI")),
            "getOpenAPI is the name of a directory metaservice",
        ),
    ],
)
async def test_malformed_scenario_data_is_refused_before_anything_is_written(
    session: AsyncSession, settings: Settings, data: Any, complaint: str
) -> None:
    before = await _counts(session)
    with pytest.raises(InvalidScenarioData) as refused:
        await _load(session, settings, data)
    assert complaint in refused.value.detail
    assert refused.value.status == 422
    assert await _counts(session) == before


async def test_an_entry_of_govhubs_own_instance_takes_only_its_own_classes(
    session: AsyncSession, settings: Settings
) -> None:
    own = settings.members_instance
    entry = {**DATA["data"][0], "GovStackInstance": own, "memberClass": "identifier", "service": []}
    with pytest.raises(GovhubError) as refused:
        await _load(session, settings, {"data": [entry]})
    assert "member class is one of GOV, NHS, COM, ORG, not 'identifier'" in refused.value.detail
    assert not await member_exists(session, MemberId(own, "identifier", entry["memberCode"]))

    said = await _load(session, settings, {"data": [{**entry, "memberClass": "GOV"}]})
    assert said == f"member {own}/GOV/alp4aNum3r1c added"


@pytest.mark.parametrize(
    ("instance", "member_class", "kind", "complaint"),
    [
        ("GOVHUB-DEV", "identifier", "public-body", "GOVHUB-DEV is govhub's own instance"),
        ("other", "a.b", "public-body", "The member class 'a.b' may use only"),
        ("", "X", "public-body", "The instance is empty"),
        ("other", "X", "ministry", "The organisation kind is one of company, charity"),
    ],
)
async def test_a_member_class_that_cannot_be_registered_says_why(
    session: AsyncSession, settings: Settings, instance: str, member_class: str, kind: str, complaint: str
) -> None:
    with pytest.raises(InvalidMemberClass) as refused:
        await add_member_class(
            session, settings.members_instance, instance, member_class, organisation_kind=kind, added_by="t"
        )
    assert complaint in refused.value.detail
    assert await session.scalar(select(func.count()).select_from(InstanceMemberClass)) == 0


async def test_a_member_class_is_registered_once(session: AsyncSession, settings: Settings) -> None:
    own = settings.members_instance
    assert await add_member_class(session, own, "EE", "COM", description="Companies", added_by="t")
    assert not await add_member_class(session, own, "EE", "COM", description="Other", added_by="t")
    [registered] = [c for c in await member_classes(session, own) if c.instance == "EE"]
    assert (registered.member_class, registered.description, registered.organisation_kinds) == (
        "COM",
        "Companies",
        ("public-body",),
    )


# --- the scenarios ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_get_openapi_answers_each_scenario_provider_a_string(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, provider: tuple[str, str, str, str]
) -> None:
    await _load(session, settings)

    response = await client.get(
        _path(provider, "getOpenAPI"), params={"serviceCode": SERVICE_CODE}, headers=IM_CLIENT
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSON_UTF8
    body = response.json()
    jsonschema.validate(body, {"type": "string"})
    document = json.loads(body)
    assert document["info"]["title"] == SERVICE_CODE
    assert list(document["paths"]) == ["/"]


@pytest.mark.parametrize(
    ("provider", "complaint"),
    [
        (("1nval1d", "identifier", "alp4aNum3r1c", "alp4aNum3r1c"), "The network has no instance '1nval1d'"),
        (
            ("identifier", "1nval1d", "alp4aNum3r1c", "alp4aNum3r1c"),
            "Instance identifier has no member class",
        ),
        (("identifier", "identifier", "_invalid", "alp4aNum3r1c"), "The member code '_invalid' may use only"),
        (("identifier", "identifier", "str1ng", "_invalid"), "The subsystem code '_invalid' may use only"),
        (("1nval1d", "1nval1d", "_invalid", "_invalid"), "The member code '_invalid'"),
    ],
)
async def test_get_openapi_with_an_invalid_path_parameter_is_400_as_a_string(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    provider: tuple[str, str, str, str],
    complaint: str,
) -> None:
    await _load(session, settings)

    response = await client.get(
        _path(provider, "getOpenAPI"), params={"serviceCode": SERVICE_CODE}, headers=IM_CLIENT
    )

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == JSON_UTF8
    assert response.headers["x-road-error"] == "Client.BadRequest"
    body = response.json()
    jsonschema.validate(body, {"type": "string"})
    assert body.startswith("Client.BadRequest: ")
    assert complaint in body


@pytest.mark.parametrize(
    ("query", "complaint"),
    [
        ("?serviceCode=_invalid", "serviceCode: the service code '_invalid' may use only"),
        ("?serviceCode=", "Name the service"),
        ("", "Name the service"),
        ("?serviceCode=" + "x" * 41, "longer than 40 characters"),
    ],
)
async def test_get_openapi_with_a_wrong_or_missing_service_code_is_400_as_a_string(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, query: str, complaint: str
) -> None:
    await _load(session, settings)

    response = await client.get(_path(PROVIDERS[0], "getOpenAPI") + query, headers=IM_CLIENT)

    assert response.status_code == 400, response.text
    body = response.json()
    assert isinstance(body, str)
    assert complaint in body


async def test_get_openapi_of_an_unknown_service_of_a_known_provider_is_404(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await _load(session, settings)
    response = await client.get(_path(PROVIDERS[1], "getOpenAPI"), params={"serviceCode": "nothing"})
    assert response.status_code == 404, response.text
    assert response.json().startswith("Server.ServerProxy.UnknownService: ")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_allowed_methods_answers_a_caller_without_a_token_nothing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, provider: tuple[str, str, str, str]
) -> None:
    await _load(session, settings)

    response = await client.get(
        _path(provider, "allowedMethods"), params={"serviceId": "serviceId1"}, headers=IM_CLIENT
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSON_UTF8
    assert response.json() == {"member": []}
    jsonschema.validate(response.json(), _schema("restServiceDetailsListType"))


async def test_allowed_methods_with_a_token_of_a_subsystem_the_network_does_not_hold_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """The wrong caller: a token that is not valid is 401, whichever client it names."""
    await _load(session, settings)
    response = await client.get(
        _path(PROVIDERS[0], "allowedMethods"), headers={**IM_CLIENT, "Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401, response.text


@pytest.mark.parametrize(("provider", "number"), [(p, n) for n, p in enumerate(PROVIDERS, start=1)])
async def test_list_methods_lists_each_scenario_providers_service(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    provider: tuple[str, str, str, str],
    number: int,
) -> None:
    await _load(session, settings)
    path = _path(provider, "listMethods")

    narrowed = await client.get(
        path, params={"serviceId": f"serviceId{number}"}, headers={"content-type": JSON_UTF8}
    )
    listed = await client.get(path, headers=IM_CLIENT)

    for response in (narrowed, listed):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == JSON_UTF8
        jsonschema.validate(response.json(), _schema("restServiceDetailsListType"))
    # serviceId narrows to one service code; the scenario data's serviceIds are no service's code.
    assert narrowed.json() == {"member": []}
    [service] = listed.json()["member"]
    assert (
        service["instanceId"],
        service["memberClass"],
        service["memberCode"],
        service["applicationCode"],
    ) == provider
    assert service["serviceCode"] == SERVICE_CODE
    assert service["endpointList"] == {"member": [{"method": "GET", "path": "/"}]}


async def test_list_methods_of_an_instance_the_network_does_not_hold_is_400(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """The listMethods smoke scenario asks for `string/string/string/string`, which the data does not hold."""
    await _load(session, settings)
    response = await client.get("/string/string/string/string/listMethods", params={"serviceId": "serviceId"})
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "The network has no instance 'string'."


@pytest.mark.parametrize(
    "instance", ["instanceId", "instanceId1", "instanceId2", "instanceId3", "instanceId4"]
)
async def test_list_clients_of_the_scenarios_instance_ids_is_an_empty_list(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, instance: str
) -> None:
    await _load(session, settings)

    response = await client.get("/listClients", params={"serviceId": "serviceId1", "instanceId": instance})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSON_UTF8
    assert response.json() == {"member": []}


async def test_list_clients_lists_the_loaded_members_of_their_instance(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    await _load(session, settings)

    response = await client.get("/listClients", params={"instanceId": "a552example"})

    assert response.status_code == 200, response.text
    body = response.json()
    jsonschema.validate(body, _schema("restClientDetailsListType"))
    assert [
        (c["id"]["objectType"], c["id"]["memberClass"], c["id"].get("applicationCode"))
        for c in body["member"]
    ] == [
        ("MEMBER", "zzz321a", None),
        ("APPLICATION", "zzz321a", "aa15"),
    ]
    assert body["member"][0]["name"] == "a552example/zzz321a/m3mb3rc0d3"


# --- the operator's command ---------------------------------------------------------------------------------


def test_the_operator_adds_and_lists_an_instances_member_classes(runner: CliRunner) -> None:
    added = runner.invoke(cli, ["member", "class", "add", "EE", "COM", "--kind", "company", "--json"])
    assert added.exit_code == 0, added.output
    assert json.loads(added.output) == {"instance": "EE", "memberClass": "COM", "added": True}
    again = runner.invoke(cli, ["member", "class", "add", "EE", "COM"])
    assert again.output.strip() == "EE already has member class COM"

    listed = runner.invoke(cli, ["member", "class", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    classes = json.loads(listed.output)
    assert classes[0]["memberClass"] == "GOV"
    assert {
        "instance": "EE",
        "memberClass": "COM",
        "organisationKinds": ["company"],
        "description": "",
    } in classes

    # The wrong instance: govhub's own, whose classes are built in; and a malformed class.
    for args, complaint in [
        (["GOVHUB-DEV", "XYZ"], "GOVHUB-DEV is govhub's own instance"),
        (["EE", "a.b"], "The member class 'a.b' may use only"),
    ]:
        refused = runner.invoke(cli, ["member", "class", "add", *args])
        assert refused.exit_code == 1, refused.output
        assert complaint in refused.output
