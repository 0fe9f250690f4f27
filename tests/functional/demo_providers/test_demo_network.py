"""`govhub demo load`'s demo exchange: the NHS trust with its blue badge service at the provider's URL, the
council whose subsystem is registered with the demo service's own key, the right to `GET /eligibility`, and
the trust's records keyed by the demo people's ids for the trust (pairwise, never their public ids).
Loading twice changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.demo_providers import network
from govhub.demo_providers.blue_badge.settings import BlueBadgeSettings
from govhub.demo_service.keys import load_subsystem_key
from govhub.demo_service.settings import DemoServiceSettings
from govhub.identity import demo as identity_demo
from govhub.identity.accounts.repository import IdentityRepository
from govhub.identity.oidc.clients.repository import ClientsRepository
from govhub.identity.oidc.subjects import Subjects
from govhub.members.repository import PLATFORM, MembersRepository
from govhub.members.services.repository import ServicesRepository
from govhub.members.services.service import ServicesService
from govhub.members.xroad_ids import parse_member_id, parse_service_id

SERVICE = "GOVHUB-DEV/NHS/RDEMO1/blue-badge/eligibility"
COUNCIL = "GOVHUB-DEV/GOV/E07000999/parking-permits"


def _settings(
    tmp_path: Path, provider_url: str = "http://127.0.0.1:8002"
) -> tuple[DemoServiceSettings, BlueBadgeSettings]:
    demo = DemoServiceSettings(_env_file=None, subsystem_key_file=str(tmp_path / "subsystem-key.json"))
    provider = BlueBadgeSettings(
        _env_file=None, public_url=provider_url, records_file=str(tmp_path / "records.json")
    )
    return demo, provider


def _json(path: str) -> Any:
    return json.loads(Path(path).read_text())


def _remove(path: str) -> None:
    Path(path).unlink()


async def _rights(session: AsyncSession) -> list[tuple[str | None, str]]:
    service = await ServicesRepository(session).service(PLATFORM, parse_service_id(SERVICE))
    assert service is not None
    return [
        (right.endpoint_label, str(subsystem.subsystem_id(member.member_id)))
        for right, subsystem, member in await ServicesRepository(session).rights_of(service[0].id)
    ]


async def test_the_demo_exchange_is_loaded_once(
    session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    await identity_demo.load(session, settings)
    demo, provider = _settings(tmp_path)
    first = await network.load(session, settings, demo, provider)
    assert "(added)" in first
    assert "(registered)" in first
    assert "(granted)" in first

    members = MembersRepository(session)
    trust = await members.member(PLATFORM, parse_member_id("GOVHUB-DEV/NHS/RDEMO1"))
    council = await members.member(PLATFORM, parse_member_id("GOVHUB-DEV/GOV/E07000999"))
    assert trust is not None
    assert trust.name == "Demo Hospitals NHS Foundation Trust"
    assert council is not None
    assert council.name == demo.council_name
    details = await ServicesService(session).repository.service(PLATFORM, parse_service_id(SERVICE))
    assert details is not None
    assert details[0].base_url == "http://127.0.0.1:8002"
    assert await _rights(session) == [("GET /eligibility", COUNCIL)]

    # The council's subsystem authenticates with the key the demo service keeps.
    client = await ClientsRepository(session).by_client_id(COUNCIL.replace("/", "."))
    assert client is not None
    assert client.jwks is not None
    assert [k["kid"] for k in client.jwks["keys"]] == [load_subsystem_key(demo).kid]

    citizen = await IdentityRepository(session).account_by_email("citizen@example.org")
    newcomer = await IdentityRepository(session).account_by_email("newcomer@example.org")
    assert citizen is not None
    assert newcomer is not None
    records = _json(provider.records_file)
    subjects = Subjects(settings)

    def trust_id(public_id: str) -> str:
        return subjects.exchange_user_id(provider_member="GOVHUB-DEV/NHS/RDEMO1", account_public_id=public_id)

    assert records[trust_id(citizen.public_id)]["badgeHolder"] is True
    assert records[trust_id(newcomer.public_id)]["eligible"] is False
    assert citizen.public_id not in json.dumps(records)

    second = await network.load(session, settings, demo, provider)
    assert "key replaced" not in second
    assert "(updated)" not in second
    assert "(added)" not in second
    assert "(registered)" not in second
    assert "(granted)" not in second
    assert await _rights(session) == [("GET /eligibility", COUNCIL)]


async def test_loading_again_follows_a_new_provider_url_and_a_new_key(
    session: AsyncSession, settings: Settings, tmp_path: Path
) -> None:
    demo, provider = _settings(tmp_path)
    await network.load(session, settings, demo, provider)
    # var/ cleared (a new key) and the provider moved: both are brought up to date, the right kept.
    _remove(demo.subsystem_key_file)
    demo, moved = _settings(tmp_path, "http://127.0.0.1:9002")
    again = await network.load(session, settings, demo, moved)
    assert "key replaced" in again
    assert "(updated)" in again
    client = await ClientsRepository(session).by_client_id(COUNCIL.replace("/", "."))
    assert client is not None
    assert client.jwks is not None
    assert client.jwks["keys"][0]["kid"] == load_subsystem_key(demo).kid
    details = await ServicesRepository(session).service(PLATFORM, parse_service_id(SERVICE))
    assert details is not None
    assert details[0].base_url == "http://127.0.0.1:9002"
    assert await _rights(session) == [("GET /eligibility", COUNCIL)]
    # Without the demo people (identity's demo not loaded) there are no records, and no error.
    assert _json(moved.records_file) == {}
