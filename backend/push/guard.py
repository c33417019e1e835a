"""A push subscription is a URL the server will call: only https push services on global
addresses in production; loopback http in development, so tests can run a local push-service
stub. The name is resolved once: `vet` answers the address the sender must connect to, so a
second DNS answer (rebinding) never decides where a push goes."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from backend.errors import InvalidInput
from backend.i18n import N_

BAD_ENDPOINT = N_("This push subscription cannot be used: its address is not a public push service.")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Carrier-grade NAT (cloud metadata services live here, e.g. 100.100.100.200): not global.
SHARED = ipaddress.ip_network("100.64.0.0/10")
# NAT64 embeds an IPv4 address in its last 32 bits, as 6to4 (2002::/16) does in bits 16-48.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _addresses(host: str) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    # A scoped IPv6 answer ("fe80::1%eth0") has no place in a push endpoint: unparsable → refused.
    return [ipaddress.ip_address(str(info[4][0])) for info in infos if "%" not in str(info[4][0])]


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.ipv4_mapped or address.sixtofour


def is_public(address: Address) -> bool:
    """Only global unicast addresses, also when one hides an IPv4 address that is not."""
    inner = _embedded_ipv4(address)
    if inner is not None and not is_public(inner):
        return False
    return address.is_global and not address.is_multicast and address not in SHARED


def vet(endpoint: str, production: bool) -> Address:
    """The address to connect to for this endpoint, or InvalidInput. Every address the name
    resolves to must be allowed; the first one (the resolver's preferred order) is used."""
    parts = urlsplit(endpoint)
    try:
        host = parts.hostname or ""
        parts.port  # noqa: B018 - a port that is not a number raises ValueError here
    except ValueError:
        host = ""
    if len(endpoint) > 1000 or not host or parts.username or parts.password:
        raise InvalidInput(BAD_ENDPOINT, field="endpoint")
    addresses = _addresses(host)
    if not addresses:
        raise InvalidInput(BAD_ENDPOINT, field="endpoint")
    if parts.scheme == "https" and all(is_public(a) for a in addresses):
        return addresses[0]
    if not production and parts.scheme in ("http", "https") and all(a.is_loopback for a in addresses):
        return addresses[0]
    raise InvalidInput(BAD_ENDPOINT, field="endpoint")


def check_endpoint(endpoint: str, production: bool) -> str:
    vet(endpoint, production)
    return endpoint
