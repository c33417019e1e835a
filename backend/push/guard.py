"""A push subscription is a URL the server will call: only public https push services in
production (no private, loopback or link-local addresses); loopback http in development, so
tests can run a local push-service stub."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from backend.errors import InvalidInput
from backend.i18n import N_

BAD_ENDPOINT = N_("This push subscription cannot be used: its address is not a public push service.")


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return []
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_endpoint(endpoint: str, production: bool) -> str:
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    if len(endpoint) > 1000 or not host or parts.username or parts.password:
        raise InvalidInput(BAD_ENDPOINT, field="endpoint")
    addresses = _addresses(host)
    if not addresses:
        raise InvalidInput(BAD_ENDPOINT, field="endpoint")
    if parts.scheme == "https" and all(_public(a) for a in addresses):
        return endpoint
    if not production and parts.scheme in ("http", "https") and all(a.is_loopback for a in addresses):
        return endpoint
    raise InvalidInput(BAD_ENDPOINT, field="endpoint")
