"""Registering the demo service with govhub as a relying party (`govhub demo load` does it), through the
provider's own registration service, with the URIs and `jwks_uri` from the demo service's settings."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.demo_service.settings import DemoServiceSettings
from govhub.identity.oidc import (
    EXCHANGE_FOR_PERSON_SCOPE,
    ClientRegistration,
    client_by_id,
    register_client,
)

PURPOSE = (
    "To check that you live in the permit zone and to issue a resident parking permit in your name. "
    "Your name and date of birth are kept with your permit for as long as it is valid."
)


def registration(demo: DemoServiceSettings) -> ClientRegistration:
    return ClientRegistration(
        client_id=demo.client_id,
        name=demo.service_name,
        organisation=demo.council_name,
        purpose=PURPOSE,
        redirect_uris=[demo.redirect_uri],
        post_logout_redirect_uris=[demo.post_logout_redirect_uri],
        backchannel_logout_uri=demo.backchannel_logout_uri,
        jwks_uri=demo.jwks_uri,
        grant_types=["authorization_code"],
        allowed_scopes=["openid", "email", "identity", EXCHANGE_FOR_PERSON_SCOPE],
        allowed_levels=["Cl.Cm", "Cl.Cm.P2"],
        # The council's subsystem asks the NHS trust for the people signed in here: the gateway takes their
        # tokens from it, and from no other member.
        exchange_subsystem=demo.subsystem_id,
    )


async def register_demo_service(session: AsyncSession, demo: DemoServiceSettings | None = None) -> str:
    demo = demo or DemoServiceSettings()
    existing = await client_by_id(session, demo.client_id)
    if existing is not None:
        wanted = registration(demo)
        if (existing.exchange_subsystem, existing.allowed_scopes) == (
            wanted.exchange_subsystem,
            wanted.allowed_scopes,
        ):
            return f"client {demo.client_id!r} already registered"
        # Registered before the gateway bound people's tokens to their service's subsystem: link it now.
        existing.exchange_subsystem = wanted.exchange_subsystem
        existing.allowed_scopes = wanted.allowed_scopes
        await session.flush()
        return f"client {demo.client_id!r} linked to its exchange subsystem {demo.subsystem_id}"
    await register_client(session, registration(demo))
    return f"client {demo.client_id!r} registered for {demo.public_url} (keys from {demo.jwks_uri})"
