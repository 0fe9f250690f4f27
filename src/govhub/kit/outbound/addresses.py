"""Which IP addresses the platform may connect to on a member's behalf: public ones only.

The rule is the standard library's `ipaddress` predicates (`is_global`, `is_private`, `is_loopback`,
`is_link_local`, `is_multicast`, `is_reserved`, `is_unspecified`, `is_site_local`) rather than a list of
ranges kept here: they are IANA's special-purpose address registries (RFC 6890 and its updates) as the
Python release knows them, kept up to date upstream, and every range a hand list would need (documentation,
benchmarking, shared address space, ORCHID, discard-only, ...) is already in them. A hand list is where the
next `100.64.0.0/10` gets forgotten.

Two additions the predicates cannot give:

- **Embeddings.** An IPv6 address can carry an IPv4 one that the connection really reaches: IPv4-mapped
  (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`, RFC 6052), 6to4 (`2002:AABB:CCDD::`, RFC 3056), Teredo
  (`2001:0::/32`, server and client, RFC 4380), and the deprecated IPv4-compatible (`::a.b.c.d`) and
  IPv4-translated (`::ffff:0:a.b.c.d`) forms. The embedded address is judged too, and refused when it is;
  a mapped or NAT64 address of a public IPv4 address is that address, so it passes. The deprecated forms
  are refused whatever they carry.
- **Ranges older Pythons count as global.** `_NOT_GLOBAL` lists the special-purpose ranges the IANA
  registries hold but Python 3.11's tables miss (fixed in later releases; harmless there): the IETF protocol
  assignments `192.0.0.0/24` (OCI's metadata service is `192.0.0.192`), the deprecated 6to4 relay anycast
  `192.88.99.0/24` (RFC 7526), the IPv6 documentation prefix `3fff::/20` (RFC 9637) and local-use NAT64
  `64:ff9b:1::/48` (RFC 8215). Multicast, which `is_global` calls global, is refused by `is_multicast`.

Cloud metadata addresses are all link-local, private or shared already; they are named (`METADATA`) only so
that the reason given says so.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import TypeAlias

IPAddress: TypeAlias = IPv4Address | IPv6Address
IPNetwork: TypeAlias = IPv4Network | IPv6Network

#: Cloud instance metadata services: AWS, GCP and Azure (169.254.169.254, and AWS's IPv6 fd00:ec2::254),
#: AWS ECS task metadata (169.254.170.2), Alibaba Cloud (100.100.100.200), Oracle Cloud (192.0.0.192).
METADATA = frozenset(
    ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200", "192.0.0.192")
)
#: Host names of metadata services: refused by name whatever they resolve to (and with whatever network
#: an operator allowed): GCP, AWS, Tencent Cloud.
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
    }
)

_SHARED = IPv4Network("100.64.0.0/10")  # RFC 6598: carrier-grade NAT, `is_private` is False for it
_NOT_GLOBAL: tuple[IPNetwork, ...] = (
    IPv4Network("192.0.0.0/24"),
    IPv4Network("192.88.99.0/24"),
    IPv6Network("3fff::/20"),
    IPv6Network("64:ff9b:1::/48"),
)
_NAT64 = IPv6Network("64:ff9b::/96")
_COMPATIBLE = IPv6Network("::/96")
_TRANSLATED = IPv6Network("::ffff:0:0:0/96")


def _embedded(address: IPv6Address) -> tuple[str, IPv4Address] | None:
    """The IPv4 address an IPv6 one carries, and the name of the form."""
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", address.ipv4_mapped
    low = IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64:
        return "NAT64", low
    if address.sixtofour is not None:
        return "6to4", address.sixtofour
    if address in _TRANSLATED:
        return "IPv4-translated", low
    if address in _COMPATIBLE and int(address) > 1:  # :: and ::1 are themselves
        return "IPv4-compatible", low
    return None


def _own_reason(address: IPAddress) -> str | None:  # noqa: PLR0911 (one answer per predicate)
    """Why `address` itself (not what it embeds) is not public, or None."""
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, IPv4Address) and address in _SHARED:
        return "in the shared address space (carrier-grade NAT)"
    if isinstance(address, IPv6Address) and address.is_site_local:
        return "a site-local address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private or special-purpose address"
    if not address.is_global or any(address in network for network in _NOT_GLOBAL):
        return "a special-purpose address, not globally routable"
    return None


def refusal_reason(address: IPAddress) -> str | None:
    """Why the platform must not connect to `address` (a phrase: "a loopback address"), or None when it is
    a public address."""
    if isinstance(address, IPv6Address):
        if address.scope_id:
            return "an address with a zone (scope) identifier"
        if address.teredo is not None:  # refused below in any case (2001::/32 is not global)
            for inner in address.teredo:
                inner_reason = _own_reason(inner)
                if inner_reason is not None:
                    return f"the Teredo form of {inner}, {inner_reason}"
        embedded = _embedded(address)
        if embedded is not None:
            form, inner = embedded
            inner_reason = _own_reason(inner)
            if inner_reason is not None:
                return f"the {form} form of {inner}, {inner_reason}"
            if form in {"IPv4-mapped", "NAT64"}:
                return None  # the same public IPv4 address, reached through IPv6
            if form in {"IPv4-compatible", "IPv4-translated"}:
                return f"an {form} address (a deprecated form)"
    return _own_reason(address)


def effective(address: IPAddress) -> IPAddress:
    """The address a connection to `address` really reaches: the IPv4 address of an IPv4-mapped or NAT64
    one, else itself (for matching an operator's allowed networks)."""
    if isinstance(address, IPv6Address):
        embedded = _embedded(address)
        if embedded is not None and embedded[0] in {"IPv4-mapped", "NAT64"}:
            return embedded[1]
    return address


def allowed_by(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    """Whether an operator allowed `address` (or the IPv4 address it stands for) with one of `networks`."""
    candidates = {address, effective(address)}
    return any(candidate in network for network in networks for candidate in candidates)
