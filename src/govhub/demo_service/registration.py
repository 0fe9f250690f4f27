"""Registering the demo service with govhub as a relying party (`govhub demo load` does it), through the
provider's own registration service, with the URIs and `jwks_uri` from the demo service's settings."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.demo_service.settings import DemoServiceSettings
from govhub.identity.oidc.clients import ClientRegistration, register_client
from govhub.identity.oidc.repository import ClientsRepository

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
        allowed_scopes=["openid", "email", "identity"],
        allowed_levels=["Cl.Cm", "Cl.Cm.P2"],
    )


async def register_demo_service(session: AsyncSession, demo: DemoServiceSettings | None = None) -> str:
    demo = demo or DemoServiceSettings()
    if await ClientsRepository(session).by_client_id(demo.client_id) is not None:
        return f"client {demo.client_id!r} already registered"
    await register_client(session, registration(demo))
    return f"client {demo.client_id!r} registered for {demo.public_url} (keys from {demo.jwks_uri})"
