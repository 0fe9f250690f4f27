"""The tables of members' services: a subsystem's `Service` (a service code, a base URL and the OpenAPI
document that describes it), the `ServiceEndpoint`s read from that document, and the `AccessRight`s the
owning member grants other subsystems, to the whole service or to one endpoint.

Access rights keep their history: revoking one sets `revoked_at`, it is never deleted. While a right is
live (`revoked_at` is NULL) the same right cannot be granted twice: `live_key` holds a copy of the grant's
identity only while it is live and is unique (NULL when revoked, and NULLs never collide), which works the
same on SQLite and PostgreSQL without partial indexes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govhub.db import Base
from govhub.kit.types import UtcDateTime

#: The HTTP methods an OpenAPI path item may describe (OpenAPI 3.1 §4.8.9), in capitals as on the wire.
METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE")


class Service(Base):
    __tablename__ = "members_services"
    __table_args__ = (UniqueConstraint("subsystem_id", "service_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subsystem_id: Mapped[int] = mapped_column(ForeignKey("members_subsystems.id", ondelete="CASCADE"))
    service_code: Mapped[str] = mapped_column(String(40))
    #: From the document's `info.title` unless given.
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    #: Where the provider answers (http or https); the gateway appends the endpoint's concrete path.
    base_url: Mapped[str] = mapped_column(String(500))
    #: The OpenAPI document as registered (parsed JSON), and its `openapi` version string (3.0.x, 3.1.x).
    openapi: Mapped[dict[str, Any]] = mapped_column(JSON)
    openapi_version: Mapped[str] = mapped_column(String(20))
    #: The document's own `info.version`, shown to administrators.
    document_version: Mapped[str] = mapped_column(String(100))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ServiceEndpoint(Base):
    """One operation of the service's document: a method and a path template (`/permits/{id}`)."""

    __tablename__ = "members_service_endpoints"
    __table_args__ = (UniqueConstraint("service_id", "method", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("members_services.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(7))
    path: Mapped[str] = mapped_column(String(500))
    operation_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    summary: Mapped[str | None] = mapped_column(String(500), nullable=True)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


class AccessRight(Base):
    """A client subsystem's right to call a service: all of it (`endpoint_id` NULL) or one endpoint."""

    __tablename__ = "members_access_rights"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("members_services.id", ondelete="CASCADE"), index=True)
    client_subsystem_id: Mapped[int] = mapped_column(
        ForeignKey("members_subsystems.id", ondelete="CASCADE"), index=True
    )
    #: SET NULL would widen a right to the whole service, so the endpoint is never deleted while a right
    #: refers to it: an update of the document revokes rights to endpoints that went and keeps the rows.
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("members_service_endpoints.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    #: The endpoint as granted (`GET /permits/{id}`), kept for the history when the endpoint goes.
    endpoint_label: Mapped[str | None] = mapped_column(String(510), nullable=True)
    #: `service:client:endpoint-or-*` while live, NULL once revoked (see the module's docstring).
    live_key: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)
    granted_by: Mapped[str] = mapped_column(String(300))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(300), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    #: Why it was revoked: by hand, or the endpoint went from the document.
    revoked_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def live(self) -> bool:
        return self.revoked_at is None
