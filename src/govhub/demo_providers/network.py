"""The demo exchange for `govhub demo load` (issue 6 §9): an NHS trust (class NHS) offering blue badge
eligibility from its provider app, the demo council (class GOV) whose parking-permit subsystem calls it,
and the trust's right for that subsystem to call `GET /eligibility`. Idempotent: what is there is kept
(the service's base URL and document, and the subsystem's key, are brought up to date).

It also writes the trust's demo records, keyed by the demo people's ids for the trust (the X-Road-UserId
the gateway will send: pairwise per provider member, `Subjects.exchange_user_id`): the demo citizen holds a
blue badge, the newcomer is not eligible."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from joserfc import jwk
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.demo_providers.blue_badge.app import openapi_document
from govhub.demo_providers.blue_badge.records import Record, write_records
from govhub.demo_providers.blue_badge.settings import (
    ELIGIBILITY_ENDPOINT,
    SERVICE_CODE,
    SUBSYSTEM_CODE,
    TRUST_CODE,
    TRUST_NAME,
    BlueBadgeSettings,
)
from govhub.demo_service.keys import load_subsystem_key, public_jwks
from govhub.demo_service.settings import COUNCIL_CODE, DemoServiceSettings
from govhub.demo_service.settings import SUBSYSTEM_CODE as COUNCIL_SUBSYSTEM
from govhub.identity import account_by_email
from govhub.identity.oidc import Subjects, client_by_id
from govhub.kit.outbound import OutboundGuard
from govhub.members import (
    COMMAND_LINE_ACTOR,
    AccessRightExists,
    ApplicationsService,
    Decider,
    InvalidService,
    MemberId,
    NewApplication,
    ServiceId,
    ServicesService,
    member_exists,
)

DEMO_DECIDER = Decider("demo data")
#: The demo people's records at the trust (by email here; by their id for the trust in the file).
DEMO_RECORDS = {
    "citizen@example.org": Record(
        eligible=True, reason="pip-mobility", badge_holder=True, valid_until="2028-03-31"
    ),
    "newcomer@example.org": Record(eligible=False, reason="none", badge_holder=False),
}


@dataclass(frozen=True)
class DemoMember:
    name: str
    member_class: str
    code: str
    subsystem: str
    contact_email: str


TRUST = DemoMember(TRUST_NAME, "NHS", TRUST_CODE, SUBSYSTEM_CODE, "badges@demo-hospitals.example")


def council(demo: DemoServiceSettings) -> DemoMember:
    return DemoMember(
        demo.council_name, "GOV", COUNCIL_CODE, COUNCIL_SUBSYSTEM, "parking@demo-borough.example"
    )


async def _member(
    session: AsyncSession, instance: str, who: DemoMember, jwks: dict[str, Any], *, keep_key: bool
) -> tuple[MemberId, str]:
    """The member, applied for and approved if missing; with `keep_key`, the subsystem's registered key
    brought up to date with `jwks` (a subsystem that only answers has a throwaway key: left as it is)."""
    member_id = MemberId(instance, who.member_class, who.code)
    subsystem_id = member_id.subsystem(who.subsystem)
    if not await member_exists(session, member_id):
        applications = ApplicationsService(session, instance)
        application = await applications.submit(
            NewApplication(
                organisation_name=who.name,
                registration_number=who.code,
                member_class=who.member_class,
                contact_name=f"{who.name} digital team",
                contact_email=who.contact_email,
                subsystem_code=who.subsystem,
                jwks=jwks,
            )
        )
        await applications.approve(application.public_id, DEMO_DECIDER, "demo data")
        return member_id, "added"
    if not keep_key:
        return member_id, "there"
    client = await client_by_id(session, subsystem_id.client_id)
    wanted = {key["kid"] for key in jwks["keys"]}
    if client is not None and not wanted <= {key.get("kid") for key in (client.jwks or {}).get("keys", [])}:
        # The key file was made again (var/ cleared, the database kept): register its public half.
        client.jwks = jwks
        await session.flush()
        return member_id, "there, key replaced"
    return member_id, "there"


async def _service(
    session: AsyncSession, service_id: ServiceId, base_url: str, outbound: OutboundGuard
) -> str:
    try:
        return await ServicesService(session).ensure(
            COMMAND_LINE_ACTOR, service_id, base_url=base_url, openapi=openapi_document(), outbound=outbound
        )
    except InvalidService as error:
        # The demo provider runs on loopback: the outbound-address guard refuses it unless allowed.
        raise InvalidService(
            f"{error.detail} For the demo provider on this machine, allow loopback: "
            """GOVHUB_GATEWAY_ALLOWED_NETWORKS='["127.0.0.0/8","::1/128"]' (make run sets it).""",
            field_errors=error.field_errors,
        ) from None


async def load(
    session: AsyncSession,
    settings: Settings,
    demo: DemoServiceSettings | None = None,
    provider: BlueBadgeSettings | None = None,
) -> str:
    demo = demo or DemoServiceSettings()
    provider = provider or BlueBadgeSettings()
    instance = settings.members_instance
    throwaway = jwk.ECKey.generate_key("P-256", private=True, auto_kid=True)
    trust_id, trust = await _member(
        session,
        instance,
        TRUST,
        {"keys": [{**throwaway.as_dict(private=False), "use": "sig"}]},
        keep_key=False,
    )
    council_id, council_state = await _member(
        session, instance, council(demo), public_jwks(load_subsystem_key(demo)), keep_key=True
    )
    service_id = ServiceId(trust_id.subsystem(SUBSYSTEM_CODE), SERVICE_CODE)
    service = await _service(session, service_id, provider.public_url, OutboundGuard.from_settings(settings))
    client = council_id.subsystem(COUNCIL_SUBSYSTEM)
    try:
        await ServicesService(session).grant(
            COMMAND_LINE_ACTOR, service_id, str(client), ELIGIBILITY_ENDPOINT
        )
        right = "granted"
    except AccessRightExists:
        right = "there"
    subjects = Subjects(settings)
    records = {}
    for email, record in DEMO_RECORDS.items():
        account = await account_by_email(session, email)
        if account is not None:
            user_id = subjects.exchange_user_id(
                provider_member=str(trust_id), account_public_id=account.public_id
            )
            records[user_id] = record
    write_records(provider.records_file, records)
    return (
        f"NHS trust {trust_id} ({trust}), council {council_id} ({council_state}); service {service_id} at "
        f"{provider.public_url} ({service}); {client} may call {ELIGIBILITY_ENDPOINT} ({right}); "
        f"{len(records)} demo records in {provider.records_file}"
    )
