"""Members' services and access rights: the rules. Never commits.

A subsystem registers a service (a service code, a base URL and an OpenAPI 3.0/3.1 document, whose
operations become the service's endpoints); the member that owns it updates it (a new document replaces
the endpoints: rights to endpoints that went are revoked and reported), disables it, and grants other
subsystems rights to call all of it or single endpoints, and revokes them. Everything is read through the
caller's `Viewer` (`repository.readable_services`): another member's service is "not found".

Whether a subsystem may call an operation is `rights.may_call`, which the gateway asks on every call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.kit.clock import utcnow
from govhub.kit.constraints import violated_constraint
from govhub.kit.errors import FieldError
from govhub.kit.outbound import OutboundGuard
from govhub.members.errors import (
    AccessRightExists,
    AccessRightNotFound,
    InvalidAccessRight,
    ServiceExists,
    ServiceNotFound,
    SubsystemNotFound,
)
from govhub.members.models import Member, Subsystem
from govhub.members.repository import PLATFORM, Viewer
from govhub.members.services.input import document_of, invalid, reachable_base_url, subsystem_id_of, text_of
from govhub.members.services.models import METHODS, AccessRight, Service, ServiceEndpoint
from govhub.members.services.openapi_documents import (
    OpenApiDocument,
)
from govhub.members.services.repository import ServicesRepository
from govhub.members.xroad_ids import (
    MAX_SERVICE_CODE,
    METASERVICES,
    InvalidIdentifier,
    ServiceId,
    SubsystemId,
    parse_subsystem_id,
    part_problem,
)

ENDPOINT_WENT = "the endpoint is no longer in the service's OpenAPI document"


@dataclass(frozen=True)
class Actor:
    """Who acts: what they may see, and how the record names them (an email, `client <id>`, ...)."""

    viewer: Viewer
    label: str


#: The platform's operators at the command line.
COMMAND_LINE_ACTOR = Actor(PLATFORM, "command line")


@dataclass(frozen=True)
class RightDetails:
    right: AccessRight
    client: SubsystemId


@dataclass(frozen=True)
class ServiceDetails:
    service: Service
    service_id: ServiceId
    subsystem: Subsystem
    member: Member
    endpoints: list[ServiceEndpoint]
    #: Live rights, or every right when asked for the history.
    rights: list[RightDetails]


@dataclass(frozen=True)
class Updated:
    details: ServiceDetails
    #: The rights revoked because their endpoint left the document.
    revoked: list[RightDetails]


class ServicesService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repository = ServicesRepository(session)

    # --- reading ----------------------------------------------------------------------------------------

    async def _details(
        self, row: tuple[Service, Subsystem, Member], *, history: bool = False
    ) -> ServiceDetails:
        service, subsystem, member = row
        endpoints = (await self.repository.endpoints_of([service.id]))[service.id]
        rights = await self.repository.rights_of(service.id, include_revoked=history)
        return ServiceDetails(
            service,
            ServiceId(subsystem.subsystem_id(member.member_id), service.service_code),
            subsystem,
            member,
            endpoints,
            [RightDetails(right, s.subsystem_id(m.member_id)) for right, s, m in rights],
        )

    async def _row(
        self, viewer: Viewer, service_id: ServiceId, *, for_update: bool = False
    ) -> tuple[Service, Subsystem, Member]:
        row = await self.repository.service(viewer, service_id, for_update=for_update)
        if row is None:
            # The same answer for another member's service: it tells them nothing.
            raise ServiceNotFound(f"There is no service {service_id}.")
        return row

    async def service(
        self, viewer: Viewer, service_id: ServiceId, *, history: bool = False
    ) -> ServiceDetails:
        return await self._details(await self._row(viewer, service_id), history=history)

    async def services(self, viewer: Viewer, subsystem_id: SubsystemId | None = None) -> list[ServiceDetails]:
        rows = await self.repository.services(viewer, subsystem_id)
        endpoints = await self.repository.endpoints_of(service.id for service, _, _ in rows)
        return [
            ServiceDetails(
                service,
                ServiceId(subsystem.subsystem_id(member.member_id), service.service_code),
                subsystem,
                member,
                endpoints[service.id],
                [],
            )
            for service, subsystem, member in rows
        ]

    # --- registering and changing -----------------------------------------------------------------------

    async def register(
        self,
        by: Actor,
        *,
        subsystem: str,
        service_code: str,
        base_url: str,
        openapi: Any,  # an object, or JSON or YAML text (see `document_of`)
        outbound: OutboundGuard,
        title: str | None = None,
        description: str | None = None,
    ) -> ServiceDetails:
        """`outbound` checks the base URL's addresses (`services_input.reachable_base_url`)."""
        subsystem_id = subsystem_id_of(subsystem, "subsystem")
        owner = await self.repository.subsystem(by.viewer, subsystem_id)
        if owner is None:
            raise SubsystemNotFound(f"There is no subsystem {subsystem_id}.")
        code = service_code.strip()
        if (problem := part_problem(code, "service code", MAX_SERVICE_CODE)) is not None:
            raise invalid("serviceCode", problem[0].upper() + problem[1:] + ".")
        if code in METASERVICES:
            raise invalid(
                "serviceCode", f"{code} is the name of a directory metaservice; choose another code."
            )
        url = await reachable_base_url(base_url, outbound)
        document = document_of(openapi)
        service_id = ServiceId(subsystem_id, code)
        if await self.repository.service(PLATFORM, service_id) is not None:
            raise ServiceExists(f"{subsystem_id} already has a service {code}: update it instead.")
        now = utcnow()
        service = Service(
            subsystem_id=owner[0].id,
            service_code=code,
            title=text_of(title, document.title or code, "title", 200),
            description=text_of(description, document.description, "description", 5000),
            base_url=url,
            openapi=document.document,
            openapi_version=document.version,
            document_version=document.api_version,
            disabled=False,
            created_by=by.label,
            created_at=now,
            updated_at=now,
        )
        self.repository.add(service)
        try:
            await self.repository.flush()
        except IntegrityError as error:
            raise ServiceExists(
                f"{service_id} was registered meanwhile ({violated_constraint(error)})."
            ) from None
        for operation in document.operations:
            self.repository.add(
                ServiceEndpoint(
                    service_id=service.id,
                    method=operation.method,
                    path=operation.path,
                    operation_id=operation.operation_id,
                    summary=operation.summary,
                )
            )
        await self.repository.flush()
        return await self._details((service, owner[0], owner[1]))

    async def ensure(
        self,
        by: Actor,
        service_id: ServiceId,
        *,
        base_url: str,
        openapi: dict[str, Any],
        outbound: OutboundGuard,
        title: str | None = None,
        description: str | None = None,
    ) -> str:
        """The service registered at `base_url` with `openapi`, or brought up to date (the platform's own
        services and the demo's, made again at every start): "registered", "updated" or "there"."""
        existing = await self.repository.service(PLATFORM, service_id)
        if existing is None:
            await self.register(
                by,
                subsystem=str(service_id.subsystem),
                service_code=service_id.service_code,
                base_url=base_url,
                openapi=openapi,
                outbound=outbound,
                title=title,
                description=description,
            )
            return "registered"
        if existing[0].base_url != base_url or existing[0].openapi != openapi:
            await self.update(by, service_id, base_url=base_url, openapi=openapi, outbound=outbound)
            return "updated"
        return "there"

    async def update(
        self,
        by: Actor,
        service_id: ServiceId,
        *,
        base_url: str | None = None,
        openapi: Any = None,
        title: str | None = None,
        description: str | None = None,
        outbound: OutboundGuard,
    ) -> Updated:
        """`outbound` checks a new base URL's addresses (before the service's row is locked: resolving a
        name may take a while)."""
        url = await reachable_base_url(base_url, outbound) if base_url is not None else None
        row = await self._row(by.viewer, service_id, for_update=True)
        service = row[0]
        # Everything is checked before anything is changed.
        document = document_of(openapi) if openapi is not None else None
        new_title = text_of(title, service.title, "title", 200) if title is not None else None
        new_description = text_of(description, "", "description", 5000) if description is not None else None
        revoked: list[RightDetails] = []
        now = utcnow()
        if document is not None:
            revoked = await self._replace_endpoints(service, document, by, now)
            service.openapi = document.document
            service.openapi_version = document.version
            service.document_version = document.api_version
        if url is not None:
            service.base_url = url
        if new_title is not None:
            service.title = new_title
        if new_description is not None:
            service.description = new_description
        service.updated_at = now
        await self.repository.flush()
        return Updated(await self._details(row), revoked)

    async def _replace_endpoints(
        self, service: Service, document: OpenApiDocument, by: Actor, now: datetime
    ) -> list[RightDetails]:
        current = {
            (e.method, e.path): e for e in (await self.repository.endpoints_of([service.id]))[service.id]
        }
        wanted = {(o.method, o.path): o for o in document.operations}
        gone = [endpoint for key, endpoint in current.items() if key not in wanted]
        revoked: list[RightDetails] = []
        clients = {
            right.id: subsystem.subsystem_id(member.member_id)
            for right, subsystem, member in await self.repository.rights_of(service.id, include_revoked=True)
        }
        for right in await self.repository.rights_to_endpoints(e.id for e in gone):
            if right.revoked_at is None:
                right.revoked_at = now
                right.revoked_by = by.label
                right.revoked_reason = ENDPOINT_WENT
                right.live_key = None
                revoked.append(RightDetails(right, clients[right.id]))
            # The label keeps what it was for; the endpoint row can go.
            right.endpoint_id = None
        await self.repository.flush()
        await self.repository.delete_endpoints(gone)
        for key, operation in wanted.items():
            endpoint = current.get(key)
            if endpoint is None:
                self.repository.add(
                    ServiceEndpoint(
                        service_id=service.id,
                        method=operation.method,
                        path=operation.path,
                        operation_id=operation.operation_id,
                        summary=operation.summary,
                    )
                )
            else:
                endpoint.operation_id = operation.operation_id
                endpoint.summary = operation.summary
        await self.repository.flush()
        return revoked

    async def set_disabled(self, by: Actor, service_id: ServiceId, disabled: bool) -> ServiceDetails:
        row = await self._row(by.viewer, service_id, for_update=True)
        row[0].disabled = disabled
        row[0].updated_at = utcnow()
        await self.repository.flush()
        return await self._details(row)

    # --- access rights ----------------------------------------------------------------------------------

    async def _client_and_endpoint(
        self, service: Service, client: str, endpoint: str | None
    ) -> tuple[SubsystemId, Subsystem, ServiceEndpoint | None]:
        try:
            client_id = parse_subsystem_id(client.strip())
        except InvalidIdentifier as error:
            raise InvalidAccessRight(
                str(error), field_errors=[FieldError("body", "/client", str(error))]
            ) from None
        found = await self.repository.subsystem(PLATFORM, client_id)
        if found is None:
            detail = f"There is no subsystem {client_id} to grant the right to."
            raise InvalidAccessRight(detail, field_errors=[FieldError("body", "/client", detail)])
        if not endpoint or not endpoint.strip():
            return client_id, found[0], None
        method, _, path = endpoint.strip().partition(" ")
        endpoints = (await self.repository.endpoints_of([service.id]))[service.id]
        for candidate in endpoints:
            if candidate.method == method.upper() and candidate.path == path.strip():
                return client_id, found[0], candidate
        listed = ", ".join(e.label for e in endpoints)
        detail = (
            f"The service has no endpoint {endpoint.strip()[:120]!r}: name one as METHOD /path from its "
            f"document ({listed})."
            if method.upper() in METHODS
            else f"An endpoint is a method ({', '.join(METHODS)}) and a path, such as 'GET /permits/{{id}}'."
        )
        raise InvalidAccessRight(detail, field_errors=[FieldError("body", "/endpoint", detail)])

    async def grant(
        self, by: Actor, service_id: ServiceId, client: str, endpoint: str | None
    ) -> RightDetails:
        service = (await self._row(by.viewer, service_id, for_update=True))[0]
        client_id, subsystem, found = await self._client_and_endpoint(service, client, endpoint)
        key = f"{service.id}:{subsystem.id}:{found.id if found else '*'}"
        right = AccessRight(
            service_id=service.id,
            client_subsystem_id=subsystem.id,
            endpoint_id=found.id if found else None,
            endpoint_label=found.label if found else None,
            live_key=key,
            granted_by=by.label,
            granted_at=utcnow(),
        )
        what = found.label if found else "the whole service"
        for live, _, _ in await self.repository.rights_of(service.id):
            if live.live_key == key:
                raise AccessRightExists(f"{client_id} already has the right to {what} of {service_id}.")
        self.repository.add(right)
        try:
            await self.repository.flush()
        except IntegrityError as error:
            raise AccessRightExists(
                f"{client_id} was granted {what} of {service_id} meanwhile ({violated_constraint(error)})."
            ) from None
        return RightDetails(right, client_id)

    async def revoke(
        self, by: Actor, service_id: ServiceId, client: str, endpoint: str | None
    ) -> RightDetails:
        service = (await self._row(by.viewer, service_id, for_update=True))[0]
        client_id, subsystem, found = await self._client_and_endpoint(service, client, endpoint)
        key = f"{service.id}:{subsystem.id}:{found.id if found else '*'}"
        for right, _, _ in await self.repository.rights_of(service.id):
            if right.live_key == key:
                right.revoked_at = utcnow()
                right.revoked_by = by.label
                right.revoked_reason = "revoked by the service's owner"
                right.live_key = None
                await self.repository.flush()
                return RightDetails(right, client_id)
        what = found.label if found else "the whole service"
        raise AccessRightNotFound(f"{client_id} has no live right to {what} of {service_id}.")
