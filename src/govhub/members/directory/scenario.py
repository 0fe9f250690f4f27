"""GovStack's Information Mediator directory scenario data (`test-data.json` of bb-information-mediator,
kept as `../shared/specs/govstack/im-directory-scenario-data.json`) loaded into the network, so that
GovStack's directory scenarios find what they ask for: `load_directory_scenario`, which `govhub govstack
load` runs. Idempotent: what is there already is left as it is.

Each entry is a member of its instance (`GovStackInstance`, `memberClass`, `memberCode`) with one subsystem
(`applicationCode`) and services (`service[].serviceCode`). They become real members of the network, made
as any other: the instance's member class is registered (`membership.instances`), the member is applied
for and approved (its identity organisation made, the subsystem's OAuth client registered with a throwaway
public key: nobody holds the private half, so it cannot call anything until its owner registers a key of
its own), and each service is registered with a base URL and an OpenAPI document. The data holds neither,
so the service answers at `base_url` (the platform's public URL unless told) and its document is a
minimal one whose one operation is `GET /` (govhub refuses a document without operations); the entries'
`serviceId` and `instanceId` are kept in the service's description (govhub's services have no such
fields: a service is its code on its subsystem). Two entries of one subsystem with the same service code
are one service.

Everything is checked before anything is written: malformed data is `InvalidScenarioData`, naming the
entry and the field. Never commits."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from joserfc import jwk
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.kit.errors import GovhubError
from govhub.kit.outbound import OutboundGuard
from govhub.members.membership.instances import add_member_class, instance_classes
from govhub.members.membership.service import member_exists
from govhub.members.onboarding.service import ApplicationsService, Decider, NewApplication
from govhub.members.repository import PLATFORM
from govhub.members.services.service import Actor, ServicesService
from govhub.members.xroad_ids import (
    MAX_SERVICE_CODE,
    METASERVICES,
    InvalidIdentifier,
    MemberId,
    ServiceId,
    SubsystemId,
    part_problem,
)

#: Who the records name as having added and approved what the data holds.
SCENARIO_DATA = "GovStack scenario data"
ORGANISATION_KIND = "public-body"


class InvalidScenarioData(GovhubError):
    status = 422
    slug = "invalid-scenario-data"
    title = "Invalid GovStack scenario data"


def read_directory_scenario_data(path: Path | None) -> Any:
    """A directory scenario data file, parsed (the packaged copy when `path` is None). Its shape is
    checked when it is loaded; a file that is not JSON is a ValueError, as `json.loads` raises."""
    if path is None:
        packaged = files(__package__).joinpath("demo_data/govstack-directory-scenario.json")
        return json.loads(packaged.read_text(encoding="utf-8"))
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class _Subsystem:
    subsystem_id: SubsystemId
    #: service code -> the (serviceId, instanceId) pairs the data gives for it.
    services: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidScenarioData(f"{where}.{key} is missing or not text.")
    return value


def _subsystems(data: Any) -> list[_Subsystem]:
    """The subsystems and services the data names, checked, in the data's order."""
    entries = data.get("data") if isinstance(data, Mapping) else None
    if not isinstance(entries, list):
        raise InvalidScenarioData('The scenario data is an object with a list "data" of members.')
    found: dict[SubsystemId, _Subsystem] = {}
    for index, entry in enumerate(entries):
        where = f"data[{index}]"
        if not isinstance(entry, Mapping):
            raise InvalidScenarioData(f"{where} is not an object.")
        try:
            member = MemberId(
                _text(entry, "GovStackInstance", where),
                _text(entry, "memberClass", where),
                _text(entry, "memberCode", where),
            )
            subsystem_id = member.subsystem(_text(entry, "applicationCode", where))
        except InvalidIdentifier as error:
            raise InvalidScenarioData(f"{where}: {error.detail}") from None
        subsystem = found.setdefault(subsystem_id, _Subsystem(subsystem_id))
        services = entry.get("service", [])
        if not isinstance(services, list):
            raise InvalidScenarioData(f"{where}.service is not a list.")
        for number, service in enumerate(services):
            here = f"{where}.service[{number}]"
            if not isinstance(service, Mapping):
                raise InvalidScenarioData(f"{here} is not an object.")
            code = _text(service, "serviceCode", here)
            if (problem := part_problem(code, "service code", MAX_SERVICE_CODE)) is not None:
                raise InvalidScenarioData(f"{here}: {problem}.")
            if code in METASERVICES:
                raise InvalidScenarioData(f"{here}: {code} is the name of a directory metaservice.")
            ids = (str(service.get("serviceId", "")), str(service.get("instanceId", "")))
            subsystem.services.setdefault(code, []).append(ids)
    return list(found.values())


def _document(service_code: str) -> dict[str, Any]:
    """The minimal OpenAPI document of a service the data gives no document for."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": service_code,
            "version": "1.0",
            "description": f"Loaded from {SCENARIO_DATA}, which describes no operations.",
        },
        "paths": {
            "/": {
                "get": {
                    "summary": "The service (its operations are not in the scenario data)",
                    "responses": {"200": {"description": "The service's answer."}},
                }
            }
        },
    }


def _description(ids: list[tuple[str, str]]) -> str:
    listed = "; ".join(f"serviceId {service_id}, instanceId {instance_id}" for service_id, instance_id in ids)
    return f"Loaded from {SCENARIO_DATA} ({listed})."[:5000]


async def _member(
    session: AsyncSession, settings: Settings, subsystem_id: SubsystemId, decider: Decider
) -> str:
    member_id = subsystem_id.member
    if await member_exists(session, member_id):
        return f"member {member_id} there"
    own = settings.members_instance
    if member_id.instance != own:
        await add_member_class(
            session,
            own,
            member_id.instance,
            member_id.member_class,
            organisation_kind=ORGANISATION_KIND,
            description=f"Loaded from {SCENARIO_DATA}.",
            added_by=decider.label,
        )
    classes = await instance_classes(session, member_id.instance, own)
    # The data names no organisation: the member's identifier is its name, and its registration number
    # (unique per organisation kind) is made from the identifier, so that members of two instances with
    # the same code are two organisations.
    digest = hashlib.sha256(str(member_id).encode()).hexdigest()[:16].upper()
    key = jwk.ECKey.generate_key("P-256", private=True, auto_kid=True)
    applications = ApplicationsService(session, member_id.instance, classes)
    application = await applications.submit(
        NewApplication(
            organisation_name=str(member_id),
            registration_number=f"GOVSTACK-{digest}",
            member_class=member_id.member_class,
            organisation_kind=classes.get(member_id.member_class, (ORGANISATION_KIND,))[0],
            member_code=member_id.member_code,
            contact_name=f"{settings.brand_name} operators",
            contact_email=settings.mail_from.rsplit("<", 1)[-1].rstrip(">").strip(),
            subsystem_code=subsystem_id.subsystem_code,
            # A throwaway public key: the private half is dropped here.
            jwks={"keys": [{**key.as_dict(private=False), "use": "sig"}]},
        )
    )
    await applications.approve(application.public_id, decider, f"Loaded from {SCENARIO_DATA}.")
    return f"member {member_id} added"


async def load_directory_scenario(
    session: AsyncSession,
    settings: Settings,
    data: Any,
    *,
    base_url: str | None = None,
    outbound: OutboundGuard | None = None,
) -> str:
    """Loads GovStack's directory scenario data (the parsed JSON of `im-directory-scenario-data.json`) into
    the network; idempotent. `base_url` is where the loaded services answer (the platform's public URL
    unless told); `outbound` checks it (the settings' guard unless told: where the public URL is loopback,
    as under `make run`, `GOVHUB_GATEWAY_ALLOWED_NETWORKS` must allow it). Says what it did, one line per
    member and service. `InvalidScenarioData` (422) for malformed data, before anything is written."""
    subsystems = _subsystems(data)
    decider = Decider(SCENARIO_DATA)
    actor = Actor(PLATFORM, SCENARIO_DATA)
    url = (base_url or settings.public_url).rstrip("/")
    guard = outbound or OutboundGuard.from_settings(settings)
    services = ServicesService(session)
    done: list[str] = []
    for subsystem in subsystems:
        done.append(await _member(session, settings, subsystem.subsystem_id, decider))
        for code, ids in subsystem.services.items():
            service_id = ServiceId(subsystem.subsystem_id, code)
            state = await services.ensure(
                actor,
                service_id,
                base_url=url,
                openapi=_document(code),
                outbound=guard,
                title=code,
                description=_description(ids),
            )
            done.append(f"service {service_id} {state}")
    return "\n".join(done)
