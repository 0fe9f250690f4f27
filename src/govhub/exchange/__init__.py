"""The gateway between members: routing, authorization, consent check, message log.

The block's parts: the gateway (`gateway/`, `/r1/...`), the message log it writes (`message_log/`, each
exchange committed to the "exchange" ledger), the data tracker that shows a person who used their data
(`tracker/`) and the traffic figures for a member's administrators (`traffic/`). It has no `home_path`
yet, and the home page lists the block as on its way.

This module is the block's public face: other blocks import only the names in `__all__`, from here. It
stays import-light (registries imports it and the tracker imports registries): each name is imported on
first use, and the imports under TYPE_CHECKING give type checkers the real names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govhub.exchange.gateway import xroad_errors
    from govhub.exchange.gateway.gateway_assertion import HEADER as ASSERTION_HEADER
    from govhub.exchange.gateway.gateway_assertion import OwnKeys
    from govhub.exchange.gateway.provider_guard import (
        AssertionRefused,
        GatewayOnly,
        KeysUnavailable,
        PlatformKeys,
        SeenMessages,
        verify_request_assertion,
    )
    from govhub.exchange.metrics import ExchangeMetrics
    from govhub.exchange.traffic.repository import AS_CLIENT, AS_PROVIDER
    from govhub.exchange.traffic.service import (
        DEFAULT_TRAFFIC_PAGE,
        TrafficEntry,
        TrafficFilter,
        TrafficService,
        administered_members,
        readable_members,
        traffic_filter,
    )

__all__ = [
    "ASSERTION_HEADER",
    "AS_CLIENT",
    "AS_PROVIDER",
    "DEFAULT_TRAFFIC_PAGE",
    "AssertionRefused",
    "ExchangeMetrics",
    "GatewayOnly",
    "KeysUnavailable",
    "OwnKeys",
    "PlatformKeys",
    "SeenMessages",
    "TrafficEntry",
    "TrafficFilter",
    "TrafficService",
    "administered_members",
    "readable_members",
    "traffic_filter",
    "verify_request_assertion",
    "xroad_errors",
]

#: Where each name lives, as (module, name there); a module itself when the name is None.
_WHERE: dict[str, tuple[str, str | None]] = {
    # For a provider behind the gateway (a demo provider, the registries' GovStack API): checking that a
    # request came through it, and answering in X-Road's error shape.
    "ASSERTION_HEADER": ("govhub.exchange.gateway.gateway_assertion", "HEADER"),
    "OwnKeys": ("govhub.exchange.gateway.gateway_assertion", "OwnKeys"),
    "AssertionRefused": ("govhub.exchange.gateway.provider_guard", "AssertionRefused"),
    "GatewayOnly": ("govhub.exchange.gateway.provider_guard", "GatewayOnly"),
    "KeysUnavailable": ("govhub.exchange.gateway.provider_guard", "KeysUnavailable"),
    "PlatformKeys": ("govhub.exchange.gateway.provider_guard", "PlatformKeys"),
    "SeenMessages": ("govhub.exchange.gateway.provider_guard", "SeenMessages"),
    "verify_request_assertion": ("govhub.exchange.gateway.provider_guard", "verify_request_assertion"),
    "xroad_errors": ("govhub.exchange.gateway.xroad_errors", None),
    # For the app factory: the gateway's figures on the node's one metrics registry.
    "ExchangeMetrics": ("govhub.exchange.metrics", "ExchangeMetrics"),
    # For the members' traffic pages: who may read which member's traffic, and the figures.
    "AS_CLIENT": ("govhub.exchange.traffic.repository", "AS_CLIENT"),
    "AS_PROVIDER": ("govhub.exchange.traffic.repository", "AS_PROVIDER"),
    "DEFAULT_TRAFFIC_PAGE": ("govhub.exchange.traffic.service", "DEFAULT_TRAFFIC_PAGE"),
    "TrafficEntry": ("govhub.exchange.traffic.service", "TrafficEntry"),
    "TrafficFilter": ("govhub.exchange.traffic.service", "TrafficFilter"),
    "TrafficService": ("govhub.exchange.traffic.service", "TrafficService"),
    "administered_members": ("govhub.exchange.traffic.service", "administered_members"),
    "readable_members": ("govhub.exchange.traffic.service", "readable_members"),
    "traffic_filter": ("govhub.exchange.traffic.service", "traffic_filter"),
}


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562), so importing the face imports nothing else."""
    try:
        module_name, attribute = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value
