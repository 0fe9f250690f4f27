"""May this subsystem call this operation: the one rule, in one place.

The gateway asks it on every call, from its node's view of the network (`network_view`, answers kept per
generation of the directory); anything else that must answer the same question asks it with a fresh view
(`NetworkView(database).current(session)` reads everything again). The directory's `allowedMethods` lists
the endpoints a client's rights cover with the same `rights_view`. `tests/functional/members/
test_access_rule.py` checks on a matrix of callers, services and rights that the cached and the fresh
answers, and the directory's list, agree.

A subsystem may call `method path` of a service when: it is a subsystem (not a person's or an admin
client's token) and it and its member are active; the service exists and is enabled; its provider's
subsystem and member are active; the path is one of the service's documented endpoints; and a live right
covers that endpoint (a right to the whole service, or to that endpoint; a right whose endpoint went from
the document keeps its label and covers nothing)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from govhub.members.services.openapi_documents import match_endpoint

if TYPE_CHECKING:
    # The network view loads what this rule reads (and builds `RightsView`s with `rights_view`).
    from govhub.members.services.network_view import CallerView, CurrentNetwork, EndpointView, ServiceView
    from govhub.members.xroad_ids import ServiceId


class Verdict(StrEnum):
    ALLOWED = "allowed"
    #: The token is no subsystem's (a person's, or an admin client's).
    NOT_A_SUBSYSTEM = "not-a-subsystem"
    #: The calling subsystem or its member is suspended.
    CALLER_INACTIVE = "caller-inactive"
    #: No such service, or it is disabled.
    UNKNOWN_SERVICE = "unknown-service"
    #: The provider's subsystem or member is suspended.
    PROVIDER_INACTIVE = "provider-inactive"
    #: The path is no documented endpoint, or no live right covers it.
    NOT_COVERED = "not-covered"


@dataclass(frozen=True)
class AccessDecision:
    verdict: Verdict
    #: The service, when it exists and is enabled.
    service: ServiceView | None = None
    #: The documented endpoint the call is for, when the path matches one.
    endpoint: EndpointView | None = None

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOWED


class _Endpoint(Protocol):
    @property
    def id(self) -> int: ...


@dataclass(frozen=True)
class RightsView:
    """A client's live rights to one service."""

    whole_service: bool
    endpoint_ids: frozenset[int]

    def cover(self, endpoint: _Endpoint) -> bool:
        return self.whole_service or endpoint.id in self.endpoint_ids


def rights_view(live: Iterable[tuple[int | None, str | None]]) -> RightsView:
    """What a client's live rights to one service cover, from (endpoint id, endpoint label) pairs: (None,
    None) is a right to the whole service; a right whose endpoint went has a label and no id, and covers
    nothing."""
    pairs = list(live)
    return RightsView(
        whole_service=any(endpoint_id is None and label is None for endpoint_id, label in pairs),
        endpoint_ids=frozenset(endpoint_id for endpoint_id, _ in pairs if endpoint_id is not None),
    )


async def may_call(
    network: CurrentNetwork, caller: CallerView, service_id: ServiceId, method: str, concrete_path: str
) -> AccessDecision:
    """Whether `caller` may call `method concrete_path` (a path only, no query) of the service, and if not,
    the first reason why (the gateway answers each with its own X-Road error)."""
    if caller.subsystem_id is None:
        return AccessDecision(Verdict.NOT_A_SUBSYSTEM)
    if not caller.active:
        return AccessDecision(Verdict.CALLER_INACTIVE)
    service = await network.service(service_id)
    if service is None or service.disabled:
        return AccessDecision(Verdict.UNKNOWN_SERVICE)
    if not service.provider_active:
        return AccessDecision(Verdict.PROVIDER_INACTIVE, service)
    endpoint = match_endpoint(service.endpoints, method, concrete_path)
    if endpoint is None or not (await network.rights(service, caller)).cover(endpoint):
        return AccessDecision(Verdict.NOT_COVERED, service, endpoint)
    return AccessDecision(Verdict.ALLOWED, service, endpoint)
