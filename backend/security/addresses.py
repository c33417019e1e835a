"""Who is asking, as far as rate limits care: the client's address, keyed so that one
person cannot dodge a limit by rotating what they control.

Forwarded headers (`X-Forwarded-For`) are honoured by the server (uvicorn) only from the
proxies named in `TRUSTED_PROXIES`; everyone else's claim is ignored, so `request.client`
is either the peer itself or what a trusted proxy vouched for.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from litestar.connection import ASGIConnection

IPV6_PREFIX = 64  # one home or mobile connection gets a whole /64: rotating inside it is free


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else "unknown"


def rate_key(address: str) -> str:
    """The part of an address a rate limit counts: IPv4 as it is, IPv6 by its /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)


def client_rate_key(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return rate_key(client_address(connection))


def parse_trusted_proxies(raw: str) -> tuple[str, ...]:
    """`TRUSTED_PROXIES`: addresses or networks, comma-separated; refuses anything else so a
    typo cannot silently trust the world."""
    entries = tuple(part.strip() for part in raw.split(",") if part.strip())
    for entry in entries:
        if entry == "*":
            raise ValueError("TRUSTED_PROXIES must name the proxies; '*' would trust every client")
        ipaddress.ip_network(entry, strict=False)  # raises ValueError with the bad entry
    return entries
