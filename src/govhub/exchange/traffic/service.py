"""The traffic views' rules: which members' exchanges a person may read, a page of them newest first
(keyset on the ledger index, filtered by direction and outcome), and a summary per service and direction
over a recent window.

Who reads what (`readable_members`): a platform administrator every exchange, or one member's; a member
administrator the exchanges of the members they administer, as the client or as the provider, never
another member's (asking for one answers as if it did not exist). Pages check the person's sign-in first;
this module decides the scope.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from govhub.exchange.message_log.models import ExchangeRecord
from govhub.exchange.message_log.service import MAX_PAGE_SIZE, OUTCOMES
from govhub.exchange.traffic.repository import (
    AS_CLIENT,
    AS_PROVIDER,
    DIRECTIONS,
    TrafficRepository,
    TrafficScope,
)
from govhub.kit.errors import BadRequest, FieldError
from govhub.members import MemberNotFound, MembershipService, NotMemberAdmin, Viewer, parse_member_id

DEFAULT_TRAFFIC_PAGE = 50
#: The summary's windows and their lengths.
WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
DEFAULT_WINDOW = "24h"
#: Percentiles come from at most this many of the window's latest exchanges per direction: a bounded read
#: however busy the member is. The counts are exact.
DURATION_SAMPLE = 5000


class InvalidTrafficFilter(BadRequest):
    # Kept beside the only code that raises it rather than in `errors.py`, which the gateway's work owns.
    slug = "invalid-traffic-filter"
    title = "Invalid traffic filter"


@dataclass(frozen=True)
class TrafficFilter:
    """What to list: `member` one member's exchanges (None: every member the reader may see), `direction`
    `client` or `provider` (None: both), `outcome` one of `OUTCOMES` (None: any), below `before`."""

    member: str | None = None
    direction: str | None = None
    outcome: str | None = None
    before: int | None = None
    limit: int = DEFAULT_TRAFFIC_PAGE
    window: str = DEFAULT_WINDOW


def _choice(value: str | None, allowed: Sequence[str], name: str, problems: list[FieldError]) -> str | None:
    if not value:
        return None
    if value not in allowed:
        problems.append(FieldError("query", name, f"{name} is one of {', '.join(allowed)}"))
        return None
    return value


def _whole(value: str | None, name: str, low: int, high: int, problems: list[FieldError]) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        problems.append(FieldError("query", name, f"{name} is a whole number from {low} to {high}"))
        return None
    return int(value)


def traffic_filter(
    *,
    member: str | None = None,
    direction: str | None = None,
    outcome: str | None = None,
    before: str | None = None,
    limit: str | None = None,
    window: str | None = None,
) -> TrafficFilter:
    """The filter from query parameters as sent (empty means "any"), or `InvalidTrafficFilter` naming every
    wrong one. The member id is checked against the reader in `readable_members`."""
    problems: list[FieldError] = []
    chosen = TrafficFilter(
        member=member or None,
        direction=_choice(direction, DIRECTIONS, "direction", problems),
        outcome=_choice(outcome, OUTCOMES, "outcome", problems),
        before=_whole(before, "before", 0, 2**62, problems),
        limit=_whole(limit, "limit", 1, MAX_PAGE_SIZE, problems) or DEFAULT_TRAFFIC_PAGE,
        window=_choice(window, tuple(WINDOWS), "window", problems) or DEFAULT_WINDOW,
    )
    if problems:
        detail = "; ".join(problem.detail for problem in problems)
        raise InvalidTrafficFilter(detail[:1].upper() + detail[1:] + ".", field_errors=problems)
    return chosen


async def administered_members(session: AsyncSession, viewer: Viewer) -> list[str]:
    """The ids of the members a member administrator runs (for a platform administrator: every member)."""
    return [str(details.member.member_id) for details in await MembershipService(session).members(viewer)]


async def readable_members(
    session: AsyncSession, viewer: Viewer, member: str | None
) -> tuple[str, ...] | None:
    """The members whose exchanges `viewer` reads: None (every exchange) for a platform administrator who
    names no member. Raises `InvalidIdentifier` for a malformed member id, `NotMemberAdmin` for a person
    who administers no member, and `MemberNotFound` for a member that is not theirs."""
    named = str(parse_member_id(member)) if member is not None else None
    if viewer.platform_admin:
        # The log outlives members: a platform administrator may read a removed member's exchanges.
        return None if named is None else (named,)
    if not viewer.organisation_ids:
        raise NotMemberAdmin(
            "This page is for the administrators of a member: the directors of a member's organisation."
        )
    own = await administered_members(session, viewer)
    if named is None:
        return tuple(own)
    if named not in own:
        raise MemberNotFound(f"There is no member {named}.")
    return (named,)


@dataclass(frozen=True)
class TrafficEntry:
    """One exchange and which side of it the reader's members were on: `client`, `provider` or both (a
    member calling its own service); empty when reading every exchange."""

    record: ExchangeRecord
    sides: tuple[str, ...]


@dataclass(frozen=True)
class TrafficPage:
    entries: list[TrafficEntry]
    #: The `before` of the next (older) page, None on the last.
    next_before: int | None


@dataclass(frozen=True)
class ServiceTraffic:
    """One service's exchanges in the window, from one side (`client`, `provider`, or "" for every
    exchange): counts by outcome and duration percentiles (nearest rank) from the bounded sample."""

    service_id: str
    direction: str
    total: int
    ok: int
    refused: int
    failed: int
    p50_ms: int | None
    p95_ms: int | None


@dataclass(frozen=True)
class TrafficSummary:
    window: str
    since: datetime
    services: list[ServiceTraffic]
    #: True when a direction had more exchanges than the sample: its percentiles are of the latest ones.
    sampled: bool


def percentile(values: Sequence[int], share: float) -> int | None:
    """The nearest-rank percentile (`share` from 0 to 1) of `values`, None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _sides(record: ExchangeRecord, members: tuple[str, ...] | None) -> tuple[str, ...]:
    if members is None:
        return ()
    prefixes = tuple(member + "/" for member in members)
    sides = []
    if record.client_id.startswith(prefixes):
        sides.append(AS_CLIENT)
    if record.service_id.startswith(prefixes):
        sides.append(AS_PROVIDER)
    return tuple(sides)


class TrafficService:
    def __init__(self, session: AsyncSession) -> None:
        self.repository = TrafficRepository(session)

    async def page(self, members: tuple[str, ...] | None, chosen: TrafficFilter) -> TrafficPage:
        scope = TrafficScope(members, chosen.direction if members is not None else None)
        # One more than asked for says whether there is an older page, without a count.
        records = await self.repository.records(
            scope, outcome=chosen.outcome, before_index=chosen.before, limit=chosen.limit + 1
        )
        following = records[chosen.limit - 1].ledger_index if len(records) > chosen.limit else None
        return TrafficPage(
            [TrafficEntry(record, _sides(record, members)) for record in records[: chosen.limit]],
            following,
        )

    async def summary(self, members: tuple[str, ...] | None, window: str, now: datetime) -> TrafficSummary:
        since = now - WINDOWS[window]
        directions: Sequence[str | None] = DIRECTIONS if members is not None else (None,)
        services: list[ServiceTraffic] = []
        sampled = False
        for direction in directions:
            scope = TrafficScope(members, direction)
            counts: dict[str, dict[str, int]] = defaultdict(dict)
            for service_id, outcome, count in await self.repository.outcome_counts(scope, since):
                counts[service_id][outcome] = count
            durations: dict[str, list[int]] = defaultdict(list)
            sample = await self.repository.recent_durations(scope, since, DURATION_SAMPLE)
            sampled = sampled or sum(sum(c.values()) for c in counts.values()) > len(sample)
            for service_id, duration in sample:
                durations[service_id].append(duration)
            services += [
                ServiceTraffic(
                    service_id=service_id,
                    direction=direction or "",
                    total=sum(by_outcome.values()),
                    ok=by_outcome.get("ok", 0),
                    refused=by_outcome.get("refused", 0),
                    failed=by_outcome.get("failed", 0),
                    p50_ms=percentile(durations[service_id], 0.5),
                    p95_ms=percentile(durations[service_id], 0.95),
                )
                for service_id, by_outcome in sorted(counts.items())
            ]
        return TrafficSummary(window, since, services, sampled)
