"""The registries as a service of the platform's own member in the exchange (issue 14 §1): member
`{instance}/GOV/platform`, subsystem `registries`, service `digitalregistries`, described by GovStack's
Digital Registries data API document and served at the platform's public URL. Members reach personal and
restricted registers through `/r1/{service id}/data/...` like any other service: the gateway checks their
access right, logs the exchange (and shows it to the person when a member acts for one), and vouches for
the caller with its signed assertion, which is how the registries know who calls (`registries.callers`).

`publish` puts member, subsystem and service in place, idempotently (`govhub demo load`, and
`govhub registry publish-service` for a deployment); `allow_reader` gives a member's subsystem the access
right to an endpoint and the register's grant, the two keys a read through the gateway needs."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from joserfc import jwk
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.kit.outbound import OutboundGuard
from govhub.members import (
    COMMAND_LINE_ACTOR,
    PLATFORM,
    AccessRightExists,
    ApplicationsService,
    Decider,
    MemberNotFound,
    MembershipService,
    NewApplication,
    ServicesService,
    SubsystemId,
    load_document,
)
from govhub.registries.callers import (
    PLATFORM_MEMBER_CLASS,
    PLATFORM_MEMBER_CODE,
    SUBSYSTEM_CODE,
    platform_member_id,
    registries_service_id,
)
from govhub.registries.service import RegistriesService

DOCUMENT = "openapi/digital-registries-data-1.3.0.yaml"
#: The access right of a member that reads one record at a time (GovStack's `read`).
READ_ENDPOINT = "POST /data/{registryName}/{versionNumber}/read"
PLATFORM_DECIDER = Decider("platform set-up")


@cache
def openapi_document() -> dict[str, Any]:
    """GovStack's Digital Registries data API 1.3.0, as the service's document in the exchange."""
    return load_document(files(__package__).joinpath(DOCUMENT).read_text(encoding="utf-8"))


async def _platform_member(session: AsyncSession, settings: Settings) -> str:
    member_id = platform_member_id(settings)
    try:
        await MembershipService(session).member(PLATFORM, member_id)
    except MemberNotFound:
        pass
    else:
        return f"member {member_id} there"
    # The subsystem only answers, through the gateway: its key is never used, so none is kept.
    key = jwk.ECKey.generate_key("P-256", private=True, auto_kid=True)
    applications = ApplicationsService(session, settings.members_instance)
    application = await applications.submit(
        NewApplication(
            organisation_name=f"{settings.brand_name} platform",
            registration_number=PLATFORM_MEMBER_CODE,
            member_code=PLATFORM_MEMBER_CODE,
            member_class=PLATFORM_MEMBER_CLASS,
            contact_name=f"{settings.brand_name} operators",
            contact_email=settings.mail_from.rsplit("<", 1)[-1].rstrip(">").strip(),
            subsystem_code=SUBSYSTEM_CODE,
            jwks={"keys": [{**key.as_dict(private=False), "use": "sig"}]},
        )
    )
    await applications.approve(application.public_id, PLATFORM_DECIDER, "the platform's own services")
    return f"member {member_id} added"


async def publish(session: AsyncSession, settings: Settings) -> str:
    """The platform's member, its `registries` subsystem and the `digitalregistries` service at the public
    URL, added or brought up to date. Says what it did."""
    member = await _platform_member(session, settings)
    service_id = registries_service_id(settings)
    services = ServicesService(session)
    document = openapi_document()
    base_url = settings.public_url.rstrip("/")
    # The gateway forwards to the public URL like any provider's address, so the same guard holds: where it
    # is not public (loopback on a laptop, an internal load balancer), the operator allows that address
    # alone in GOVHUB_GATEWAY_ALLOWED_NETWORKS (a /32 or /128), not the network around it.
    outbound = OutboundGuard.from_settings(settings)
    state = await services.ensure(
        COMMAND_LINE_ACTOR,
        service_id,
        base_url=base_url,
        openapi=document,
        outbound=outbound,
        title="Digital registries",
        description="The platform's authoritative registers (GovStack Digital Registries 1.3.0).",
    )
    return f"{member}; service {service_id} at {base_url} ({state})"


async def allow_reader(
    session: AsyncSession,
    settings: Settings,
    reader: SubsystemId,
    register: str,
    endpoint: str = READ_ENDPOINT,
) -> str:
    """`reader` may call `endpoint` of the registries through the gateway and use register `register`
    (as its owner would grant it). Idempotent."""
    try:
        await ServicesService(session).grant(
            COMMAND_LINE_ACTOR, registries_service_id(settings), str(reader), endpoint
        )
        right = "granted"
    except AccessRightExists:
        right = "there"
    registries = RegistriesService.for_session(session, settings)
    found = await registries.repository.register(register)
    if found is None:
        return f"{reader} may call {endpoint} ({right}); no register {register!r} to grant"
    if await registries.repository.has_grant(found.id, str(reader)):
        grant = "there"
    else:
        await registries.grant(register, str(reader))
        grant = "granted"
    return f"{reader} may call {endpoint} ({right}) and use register {register!r} ({grant})"
