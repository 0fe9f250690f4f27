"""Bodies of the services and access rights API (`/members/services/...`), camelCase on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from govhub.members.schemas import _Camel
from govhub.members.services.service import RightDetails, ServiceDetails, Updated

_OPENAPI = (
    "The service's OpenAPI 3.0 or 3.1 document: the document itself (a JSON object), or its JSON or YAML "
    "text. At most 1 MiB and 500 operations; every $ref points inside it."
)


class ServiceCreate(_Camel):
    subsystem: str = Field(
        max_length=200, description="The providing subsystem, INSTANCE/CLASS/MEMBER/SUBSYSTEM."
    )
    service_code: str = Field(max_length=200, description="The service code, e.g. eligibility.")
    base_url: str = Field(max_length=2000, description="Where the provider answers: an http or https URL.")
    openapi: dict[str, Any] | str = Field(description=_OPENAPI)
    title: str | None = Field(None, max_length=1000, description="The document's info.title when left out.")
    description: str | None = Field(None, max_length=10_000)


class ServiceUpdate(_Camel):
    base_url: str | None = Field(None, max_length=2000)
    openapi: dict[str, Any] | str | None = Field(
        None,
        description=_OPENAPI + " Its endpoints replace the service's; rights to endpoints that went "
        "are revoked and listed in the answer.",
    )
    title: str | None = Field(None, max_length=1000)
    description: str | None = Field(None, max_length=10_000)


class RightBody(_Camel):
    client: str = Field(max_length=200, description="The client subsystem, INSTANCE/CLASS/MEMBER/SUBSYSTEM.")
    endpoint: str | None = Field(
        None,
        max_length=600,
        description="One endpoint, as METHOD and path template from the document (`GET /permits/{id}`); "
        "the whole service when left out.",
    )


class EndpointView(_Camel):
    method: str
    path: str
    operation_id: str | None
    summary: str | None


class RightView(_Camel):
    id: int
    client: str
    #: None: the whole service.
    endpoint: str | None = Field(description="METHOD /path, or null for the whole service.")
    granted_by: str
    granted_at: datetime
    revoked_by: str | None
    revoked_at: datetime | None
    revoked_reason: str | None

    @classmethod
    def of(cls, details: RightDetails) -> RightView:
        right = details.right
        return cls(
            id=right.id,
            client=str(details.client),
            endpoint=right.endpoint_label,
            granted_by=right.granted_by,
            granted_at=right.granted_at,
            revoked_by=right.revoked_by,
            revoked_at=right.revoked_at,
            revoked_reason=right.revoked_reason,
        )


class ServiceView(_Camel):
    id: str = Field(description="INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE")
    subsystem: str
    service_code: str
    title: str
    description: str
    base_url: str
    openapi_version: str
    document_version: str
    disabled: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    endpoints: list[EndpointView]
    rights: list[RightView] | None = Field(None, description="Access rights, when one service is read.")

    @classmethod
    def of(cls, details: ServiceDetails, *, with_rights: bool = False) -> ServiceView:
        service = details.service
        return cls(
            id=str(details.service_id),
            subsystem=str(details.service_id.subsystem),
            service_code=service.service_code,
            title=service.title,
            description=service.description,
            base_url=service.base_url,
            openapi_version=service.openapi_version,
            document_version=service.document_version,
            disabled=service.disabled,
            created_by=service.created_by,
            created_at=service.created_at,
            updated_at=service.updated_at,
            endpoints=[
                EndpointView(method=e.method, path=e.path, operation_id=e.operation_id, summary=e.summary)
                for e in details.endpoints
            ],
            rights=[RightView.of(r) for r in details.rights] if with_rights else None,
        )


class ServiceUpdated(_Camel):
    service: ServiceView
    revoked_rights: list[RightView] = Field(description="Rights revoked because their endpoint went.")

    @classmethod
    def of(cls, updated: Updated) -> ServiceUpdated:
        return cls(
            service=ServiceView.of(updated.details, with_rights=True),
            revoked_rights=[RightView.of(r) for r in updated.revoked],
        )
