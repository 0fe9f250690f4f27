"""The X-Road metaservices, as the GovStack Information Mediator directory services describe them
(`../shared/specs/govstack/im-directory-services.yaml`, from bb-information-mediator `api/`):

- `listClients`: `{"member": [restClientDetailsType]}`, each member (`objectType` MEMBER) and each of its
  subsystems (`objectType` APPLICATION, GovStack's name for an X-Road subsystem), optionally of one
  `instanceId`;
- `listMethods`: `{"member": [restServiceDetailsType]}`, the provider subsystem's services with their
  endpoints in `endpointList.member`; `serviceId` (a service code) narrows it to one service;
- `allowedMethods`: the same shape, only what the calling subsystem has a live right to (a right to the
  whole service lists all its endpoints, a right to one endpoint lists that endpoint);
- `getOpenAPI?serviceCode=`: the service's OpenAPI document as registered.

The spec's list key is `member` for services too (X-Road's own REST metaservices say `service` and use
snake_case fields); we follow the GovStack document, which conformance tests are built from.

`serviceType` is X-Road's `OPENAPI3`: every govhub service is described by an OpenAPI document.

Only listed things appear (`directory_repository`): suspended members, disabled subsystems and disabled
services are left out, and a metaservice naming one answers as if it did not exist.

An identifier whose instance the network does not know, or whose member class that instance does not have
(`membership.instances`: govhub's own instance's built-in classes, the others' registered ones), is a
malformed request (400 `Client.BadRequest`), as X-Road's global configuration makes it; a well-formed one
that names no listed subsystem is 404.

Errors are X-Road's (PR-REST §4.6): `{"type", "message", "detail"}` with an `X-Road-Error` header, as the
gateway answers, since the spec has no error schema and its clients are X-Road clients. `getOpenAPI` is the
exception: the spec makes its answer a string (`application/json`, schema `string`), so it answers the
document as a JSON string and its errors as one too (`"Client.BadRequest: ..."`), the type still in the
`X-Road-Error` header.

Every answer is `application/json; charset=utf-8`, spelled so (GovStack's scenarios compare the header)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from govhub.members.directory.repository import DirectoryRepository
from govhub.members.membership.instances import instance_classes
from govhub.members.services.models import AccessRight, Service, ServiceEndpoint
from govhub.members.services.rights import rights_view
from govhub.members.xroad_ids import (
    MAX_SERVICE_CODE,
    InvalidIdentifier,
    MemberId,
    SubsystemId,
    parse_subsystem_id,
    part_problem,
)

#: The client headers a caller may name itself with: X-Road's, GovStack's spec's, and the one GovStack's
#: conformance scenarios send (see `../shared/specs/README.md`).
CLIENT_HEADERS = ("X-Road-Client", "X-GovStack-Client", "Information-Mediator-Client")

#: Starlette would say `application/json`; GovStack's scenarios expect the charset, spelled so.
JSON = "application/json; charset=utf-8"
BAD_REQUEST = "Client.BadRequest"
UNAUTHORIZED = "Client.Unauthorized"
INVALID_CLIENT = "Client.InvalidClientIdentifier"
UNKNOWN_MEMBER = "Server.ServerProxy.UnknownMember"
UNKNOWN_SERVICE = "Server.ServerProxy.UnknownService"
_STATUS = {
    BAD_REQUEST: 400,
    UNAUTHORIZED: 401,
    INVALID_CLIENT: 403,
    UNKNOWN_MEMBER: 404,
    UNKNOWN_SERVICE: 404,
}


class XRoadError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.type = error_type
        self.message = message

    def response(self, *, as_string: bool = False) -> Response:
        """The X-Road error body; with `as_string`, `"<type>: <message>"` as a JSON string (`getOpenAPI`)."""
        body: Any = {"type": self.type, "message": self.message, "detail": str(uuid.uuid4())}
        if as_string:
            body = f"{self.type}: {self.message}"
        headers = {"X-Road-Error": self.type}
        if self.type == UNAUTHORIZED:
            headers["WWW-Authenticate"] = 'Bearer realm="govhub"'
        return Response(json.dumps(body), status_code=_STATUS[self.type], media_type=JSON, headers=headers)


def client_of(headers: dict[str, str] | Any, *, required: bool) -> SubsystemId | None:
    """The subsystem the request names itself as, in whichever client header it sent."""
    given = [(name, headers[name]) for name in CLIENT_HEADERS if headers.get(name) is not None]
    if not given:
        if required:
            raise XRoadError(
                BAD_REQUEST, "Name the client subsystem in X-Road-Client (or X-GovStack-Client)."
            )
        return None
    values = {value.strip() for _, value in given}
    if len(values) > 1:
        raise XRoadError(BAD_REQUEST, "The client headers name different subsystems.")
    try:
        return parse_subsystem_id(values.pop())
    except InvalidIdentifier as error:
        raise XRoadError(BAD_REQUEST, f"{given[0][0]}: {error}") from None


def provider_of(instance: str, member_class: str, member_code: str, subsystem_code: str) -> SubsystemId:
    try:
        return SubsystemId(MemberId(instance, member_class, member_code), subsystem_code)
    except InvalidIdentifier as error:
        raise XRoadError(BAD_REQUEST, str(error)) from None


def _client_details(object_type: str, name: str, member: MemberId, subsystem: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {
        "objectType": object_type,
        "instanceId": member.instance,
        "memberClass": member.member_class,
        "memberCode": member.member_code,
    }
    if subsystem is not None:
        details["applicationCode"] = subsystem
    return {"name": name, "id": details}


def _service_details(
    provider: SubsystemId, service: Service, endpoints: list[ServiceEndpoint]
) -> dict[str, Any]:
    member = provider.member
    return {
        "objectType": "SERVICE",
        "serviceType": "OPENAPI3",
        "instanceId": member.instance,
        "memberClass": member.member_class,
        "memberCode": member.member_code,
        "applicationCode": provider.subsystem_code,
        "serviceCode": service.service_code,
        "endpointList": {"member": [{"method": e.method, "path": e.path} for e in endpoints]},
    }


def _granted(endpoints: list[ServiceEndpoint], rights: list[AccessRight]) -> list[ServiceEndpoint]:
    """The endpoints the rights cover, by the gateway's own rule (`services.rights`)."""
    covered = rights_view((r.endpoint_id, r.endpoint_label) for r in rights)
    return [e for e in endpoints if covered.cover(e)]


@dataclass
class Directory:
    session: AsyncSession
    #: govhub's own instance (`GOVHUB_MEMBERS_INSTANCE`), whose member classes are built in.
    own_instance: str

    @property
    def repository(self) -> DirectoryRepository:
        return DirectoryRepository(self.session)

    async def list_clients(self, instance: str | None) -> dict[str, Any]:
        subsystems: dict[int, list[str]] = {}
        for subsystem, member in await self.repository.subsystems(instance):
            subsystems.setdefault(member.id, []).append(subsystem.subsystem_code)
        listed: list[dict[str, Any]] = []
        for member in await self.repository.members(instance):
            listed.append(_client_details("MEMBER", member.name, member.member_id, None))
            listed.extend(
                _client_details("APPLICATION", member.name, member.member_id, code)
                for code in subsystems.get(member.id, [])
            )
        return {"member": listed}

    async def known_to_the_network(self, subsystem: SubsystemId) -> None:
        """`Client.BadRequest` unless the network has the identifier's instance and member class."""
        member = subsystem.member
        classes = await instance_classes(self.session, member.instance, self.own_instance)
        if not classes:
            raise XRoadError(BAD_REQUEST, f"The network has no instance {member.instance!r}.")
        if member.member_class not in classes:
            raise XRoadError(
                BAD_REQUEST,
                f"Instance {member.instance} has no member class {member.member_class!r}; its classes are "
                f"{', '.join(classes)}.",
            )

    async def _provider(self, provider: SubsystemId) -> None:
        await self.known_to_the_network(provider)
        if await self.repository.subsystem(provider) is None:
            raise XRoadError(UNKNOWN_MEMBER, f"There is no subsystem {provider} in the directory.")

    async def list_methods(self, provider: SubsystemId, service_code: str | None) -> dict[str, Any]:
        await self._provider(provider)
        rows = await self.repository.services(provider, service_code)
        endpoints = await self.repository.endpoints_of(service.id for service, _, _ in rows)
        return {"member": [_service_details(provider, s, endpoints[s.id]) for s, _, _ in rows]}

    async def allowed_methods(
        self, provider: SubsystemId, client: SubsystemId | None, service_code: str | None
    ) -> dict[str, Any]:
        """With no client named, what anyone may call without a right: nothing, in govhub."""
        await self._provider(provider)
        if client is None:
            return {"member": []}
        found = await self.repository.subsystem(client)
        if found is None:
            raise XRoadError(INVALID_CLIENT, f"There is no active subsystem {client}.")
        rows = await self.repository.services(provider, service_code)
        ids = [service.id for service, _, _ in rows]
        endpoints = await self.repository.endpoints_of(ids)
        rights: dict[int, list[AccessRight]] = {}
        for right in await self.repository.live_rights(found[0].id, ids):
            rights.setdefault(right.service_id, []).append(right)
        listed = []
        for service, _, _ in rows:
            granted = _granted(endpoints[service.id], rights.get(service.id, []))
            if granted:
                listed.append(_service_details(provider, service, granted))
        return {"member": listed}

    async def openapi(self, provider: SubsystemId, service_code: str | None) -> str:
        """The service's OpenAPI document as JSON text (the spec's answer is a string)."""
        if not service_code:
            raise XRoadError(BAD_REQUEST, "Name the service: getOpenAPI?serviceCode=<code>.")
        problem = part_problem(service_code, "service code", MAX_SERVICE_CODE)
        if problem is not None:
            raise XRoadError(BAD_REQUEST, f"serviceCode: {problem}.")
        await self._provider(provider)
        rows = await self.repository.services(provider, service_code)
        if not rows:
            raise XRoadError(UNKNOWN_SERVICE, f"There is no service {provider}/{service_code}.")
        return json.dumps(rows[0][0].openapi)
