"""The outbound-address guard: one check for every URL a member gives the platform to call (a service's
base URL in the exchange gateway now; webhooks, callbacks and conformance checks later).

A member who registers `http://169.254.169.254/` or a name that resolves to a private address would
otherwise have the platform fetch its own cloud credentials or internal services for them (SSRF). The
guard allows public addresses only (`addresses.refusal_reason`), unless the address lies in a network an
operator allowed (`GOVHUB_GATEWAY_ALLOWED_NETWORKS`), and never the cloud metadata host names.

- When a URL is given (registration, a change): `OutboundGuard.check_url` resolves the host and refuses it
  when any of its addresses is refused, or when it cannot be resolved (nothing could be checked, and a name
  that does not resolve today is no service; refusing is the safe default).
- When connecting: `GuardedResolver` (aiohttp) resolves through `OutboundGuard.connectable` and hands the
  client only the addresses that passed, so the connection goes to a checked address: DNS rebinding between
  the registration check (or a first call) and a later call gains nothing. IP literals, which aiohttp does
  not resolve, are checked with `check_literal` before the request.
- Redirects are never followed by a caller of this guard: a 3xx goes back to whoever asked.

Resolvers are behind `resolvers.Resolver` (the system's, or a static map for tests and offline demos).
"""

from govhub.kit.outbound.addresses import IPAddress, IPNetwork, refusal_reason
from govhub.kit.outbound.guard import AddressRefused, OutboundGuard, OutboundSettings, Unresolvable
from govhub.kit.outbound.resolvers import NotResolved, Resolver, StaticResolver, SystemResolver

__all__ = [
    "AddressRefused",
    "IPAddress",
    "IPNetwork",
    "NotResolved",
    "OutboundGuard",
    "OutboundSettings",
    "Resolver",
    "StaticResolver",
    "SystemResolver",
    "Unresolvable",
    "refusal_reason",
]
