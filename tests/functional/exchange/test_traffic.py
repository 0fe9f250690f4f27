"""The traffic reads: a member's exchanges as the client and as the provider, newest first, by keyset;
filtered by side and outcome; member ids matched exactly (LIKE wildcards escaped, case kept on SQLite too);
a summary per service and side over a window; and every read through the one chokepoint."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govhub.config import Settings
from govhub.exchange.message_log.models import ExchangeRecord
from govhub.exchange.traffic import repository as traffic_repository
from govhub.exchange.traffic.repository import (
    LIKE_ESCAPE,
    TrafficRepository,
    TrafficScope,
    like_prefix,
)
from govhub.exchange.traffic.service import (
    InvalidTrafficFilter,
    TrafficFilter,
    TrafficService,
    percentile,
    readable_members,
    traffic_filter,
)
from govhub.kit.clock import utcnow
from govhub.ledger.service import LedgerService
from govhub.members.errors import MemberNotFound, NotMemberAdmin
from govhub.members.membership.service import member_admin_viewer
from govhub.members.repository import PLATFORM
from govhub.members.xroad_ids import InvalidIdentifier
from tests.functional.exchange.support import exchange
from tests.functional.members.services_support import network
from tests.support.exchange import record_exchange

OURS = "GOVHUB-DEV/COM/B_1"
#: Would match OURS if `_` were left a LIKE wildcard.
WILDCARD_TWIN = "GOVHUB-DEV/COM/BX1"
#: Would match OURS under SQLite's case-insensitive LIKE.
CASE_TWIN = "GOVHUB-DEV/COM/b_1"
#: Starts with OURS but is another member: the trailing `/` of the prefix keeps it out.
LONGER_TWIN = "GOVHUB-DEV/COM/B_10"
OTHER = "GOVHUB-DEV/GOV/A1"


async def _record(
    session: AsyncSession, settings: Settings, client: str, provider: str, **values: Any
) -> ExchangeRecord:
    ledgers = LedgerService.for_session(session, settings)
    return await record_exchange(
        session, ledgers, exchange(client_id=f"{client}/app", service_id=f"{provider}/app/lookup", **values)
    )


async def _ids(session: AsyncSession, members: tuple[str, ...] | None, **chosen: Any) -> list[str]:
    page = await TrafficService(session).page(members, TrafficFilter(**chosen))
    return [entry.record.message_id for entry in page.entries]


async def test_a_members_exchanges_are_matched_exactly_on_both_sides(
    session: AsyncSession, settings: Settings
) -> None:
    as_provider = await _record(session, settings, OTHER, OURS)
    as_client = await _record(session, settings, OURS, OTHER, outcome="refused", status=403)
    own_service = await _record(session, settings, OURS, OURS, outcome="failed", status=504)
    for twin in (WILDCARD_TWIN, CASE_TWIN, LONGER_TWIN):
        await _record(session, settings, twin, OTHER)
        await _record(session, settings, OTHER, twin)

    page = await TrafficService(session).page((OURS,), TrafficFilter())

    assert [(e.record.message_id, e.sides) for e in page.entries] == [
        (own_service.message_id, ("client", "provider")),
        (as_client.message_id, ("client",)),
        (as_provider.message_id, ("provider",)),
    ]
    assert page.next_before is None
    assert await _ids(session, (OURS,), direction="client") == [own_service.message_id, as_client.message_id]
    assert await _ids(session, (OURS,), direction="provider") == [
        own_service.message_id,
        as_provider.message_id,
    ]
    assert await _ids(session, (OURS,), outcome="refused") == [as_client.message_id]
    assert await _ids(session, (OURS,), direction="provider", outcome="refused") == []
    # Every exchange, for the platform: the twins too, and no side to tell.
    everything = await TrafficService(session).page(None, TrafficFilter())
    assert len(everything.entries) == 9
    assert {entry.sides for entry in everything.entries} == {()}
    assert await _ids(session, ()) == []


def test_like_prefix_escapes_the_wildcards_and_the_escape() -> None:
    assert like_prefix("A_1%2\\3/") == "A\\_1\\%2\\\\3/%"


async def test_the_escaped_like_alone_tells_the_wildcard_twin_apart(
    session: AsyncSession, settings: Settings
) -> None:
    """The database reads the escape as meant (PostgreSQL and SQLite alike), without the exact comparison
    that `starts_with` adds."""
    ours = await _record(session, settings, OURS, OTHER)
    await _record(session, settings, WILDCARD_TWIN, OTHER)
    pattern = like_prefix(OURS + "/")

    found = await session.scalars(
        select(ExchangeRecord.message_id).where(ExchangeRecord.client_id.like(pattern, escape=LIKE_ESCAPE))
    )

    assert list(found) == [ours.message_id]


async def test_pages_follow_the_ledger_index_down_without_gaps_or_repeats(
    session: AsyncSession, settings: Settings
) -> None:
    made = [await _record(session, settings, OURS, OTHER) for _ in range(5)]
    newest_first = [record.message_id for record in reversed(made)]
    service = TrafficService(session)

    seen: list[str] = []
    before: int | None = None
    pages = 0
    while True:
        page = await service.page((OURS,), TrafficFilter(before=before, limit=2))
        seen += [entry.record.message_id for entry in page.entries]
        pages += 1
        if page.next_before is None:
            break
        assert page.next_before == page.entries[-1].record.ledger_index
        before = page.next_before

    assert seen == newest_first
    assert pages == 3
    # Exactly a page's worth left: no empty page after it.
    last_two = await service.page((OURS,), TrafficFilter(before=made[2].ledger_index, limit=2))
    assert [e.record.message_id for e in last_two.entries] == newest_first[3:]
    assert last_two.next_before is None


async def test_the_summary_counts_per_service_and_side_in_the_window(
    session: AsyncSession, settings: Settings
) -> None:
    now = utcnow()
    for duration in (10, 20, 30, 40, 100):
        await _record(
            session, settings, OTHER, OURS, duration_ms=duration, started_at=now - timedelta(minutes=5)
        )
    await _record(session, settings, OTHER, OURS, outcome="refused", status=403, duration_ms=1)
    await _record(session, settings, OURS, OTHER, outcome="failed", status=502, duration_ms=7)
    await _record(session, settings, OURS, OTHER, started_at=now - timedelta(days=2), duration_ms=500)
    await _record(session, settings, WILDCARD_TWIN, OURS.replace("B_1", "BX1"), duration_ms=9999)
    service = TrafficService(session)

    day = await service.summary((OURS,), "24h", now + timedelta(seconds=1))
    lines = {(line.service_id, line.direction): line for line in day.services}

    assert set(lines) == {(f"{OURS}/app/lookup", "provider"), (f"{OTHER}/app/lookup", "client")}
    provided = lines[(f"{OURS}/app/lookup", "provider")]
    assert (provided.total, provided.ok, provided.refused, provided.failed) == (6, 5, 1, 0)
    assert (provided.p50_ms, provided.p95_ms) == (20, 100)
    called = lines[(f"{OTHER}/app/lookup", "client")]
    assert (called.total, called.ok, called.failed, called.p50_ms) == (1, 0, 1, 7)
    assert day.sampled is False

    week = await service.summary((OURS,), "7d", now + timedelta(seconds=1))
    assert {(line.direction, line.total) for line in week.services} == {("provider", 6), ("client", 2)}
    everyone = await service.summary(None, "24h", now + timedelta(seconds=1))
    assert {line.direction for line in everyone.services} == {""}
    assert sum(line.total for line in everyone.services) == 8


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7], 0.95) == 7
    assert percentile([4, 1, 3, 2], 0.5) == 2
    assert percentile(list(range(1, 101)), 0.95) == 95


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"direction": "sideways"}, ["direction"]),
        ({"outcome": "maybe"}, ["outcome"]),
        ({"before": "-1"}, ["before"]),
        ({"before": "1e3"}, ["before"]),
        ({"limit": "0"}, ["limit"]),
        ({"limit": "101"}, ["limit"]),
        ({"window": "1y"}, ["window"]),
        ({"direction": "up", "before": "x"}, ["direction", "before"]),
    ],
)
def test_a_bad_filter_is_refused_naming_each_parameter(query: dict[str, str], names: list[str]) -> None:
    with pytest.raises(InvalidTrafficFilter) as refused:
        traffic_filter(**query)
    assert refused.value.status == 400
    assert [problem.name for problem in refused.value.field_errors] == names


def test_empty_parameters_mean_any() -> None:
    assert (
        traffic_filter(member="", direction="", outcome="", before="", limit="", window="") == TrafficFilter()
    )
    chosen = traffic_filter(direction="client", outcome="ok", before="12", limit="5", window="7d")
    assert chosen == TrafficFilter(None, "client", "ok", 12, 5, "7d")


async def test_readers_see_only_their_own_members(session: AsyncSession, settings: Settings) -> None:
    people = await network(session, settings)
    provider = await member_admin_viewer(session, people.provider_admin.account.id)
    client = await member_admin_viewer(session, people.client_admin.account.id)

    assert await readable_members(session, provider, None) == ("GOVHUB-DEV/GOV/E10000099",)
    assert await readable_members(session, client, "GOVHUB-DEV/COM/07654321") == ("GOVHUB-DEV/COM/07654321",)
    with pytest.raises(MemberNotFound):
        await readable_members(session, client, "GOVHUB-DEV/GOV/E10000099")
    with pytest.raises(MemberNotFound):
        await readable_members(session, client, "GOVHUB-DEV/COM/NOSUCH")
    with pytest.raises(InvalidIdentifier):
        await readable_members(session, client, "GOVHUB-DEV/COM/07654321/orders")
    nobody = await member_admin_viewer(session, -1)
    with pytest.raises(NotMemberAdmin):
        await readable_members(session, nobody, None)
    assert await readable_members(session, PLATFORM, None) is None
    assert await readable_members(session, PLATFORM, "GOVHUB-DEV/COM/GONE") == ("GOVHUB-DEV/COM/GONE",)


async def test_every_read_starts_from_the_chokepoint(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    scopes: list[TrafficScope] = []
    original = traffic_repository.readable_exchanges

    def counted(scope: TrafficScope) -> Any:
        scopes.append(scope)
        return original(scope)

    monkeypatch.setattr(traffic_repository, "readable_exchanges", counted)
    repository = TrafficRepository(session)
    scope = TrafficScope((OURS,), "client")

    await repository.records(scope, outcome=None, before_index=None, limit=1)
    await repository.outcome_counts(scope, utcnow())
    await repository.recent_durations(scope, utcnow(), 1)

    assert scopes == [scope, scope, scope]
    public = [name for name in vars(TrafficRepository) if not name.startswith("_")]
    assert sorted(public) == ["outcome_counts", "recent_durations", "records"]
