"""`govhub demo load` registers the demo service as a relying party, and links a registration made before
the gateway bound people's tokens to their service's subsystem (`exchange_subsystem`), so a demo database
from before keeps working."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.demo_service.registration import register_demo_service, registration
from govhub.demo_service.settings import DemoServiceSettings
from govhub.identity.oidc.clients.repository import ClientsRepository
from govhub.identity.oidc.clients.service import register_client


async def test_an_earlier_registration_is_linked_to_its_subsystem_once(session: AsyncSession) -> None:
    demo = DemoServiceSettings()
    wanted = registration(demo)
    earlier = replace(wanted, allowed_scopes=["openid", "email", "identity"], exchange_subsystem=None)
    await register_client(session, earlier)

    said = await register_demo_service(session, demo)

    assert said == f"client {demo.client_id!r} linked to its exchange subsystem {demo.subsystem_id}"
    client = await ClientsRepository(session).by_client_id(demo.client_id)
    assert client is not None
    assert (client.exchange_subsystem, client.allowed_scopes) == (demo.subsystem_id, wanted.allowed_scopes)
    assert await register_demo_service(session, demo) == f"client {demo.client_id!r} already registered"


async def test_a_new_database_gets_the_linked_registration(session: AsyncSession) -> None:
    demo = DemoServiceSettings()

    said = await register_demo_service(session, demo)

    assert said.startswith(f"client {demo.client_id!r} registered for ")
    client = await ClientsRepository(session).by_client_id(demo.client_id)
    assert client is not None
    assert client.exchange_subsystem == demo.subsystem_id
    assert "govhub:exchange-on-behalf" in client.allowed_scopes
