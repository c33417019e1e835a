"""Devices that logged in successfully before, remembered in a signed cookie.

Anyone can lock a username out by guessing its password; the owner, on her own tablet, must
still get in. A successful login leaves a cookie that names the device (a random nonce) and,
per username, an HMAC tag of nonce and username. A login from such a device counts its
failures in a bucket of its own (that username on that device), not in the username's
shared bucket, and is not braked by its address. Nothing is stored on the server; changing
SECRET_KEY forgets every device.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

DEVICE_COOKIE = "passerelle_device"
MAX_USERS = 5  # a shared tablet remembers its last few users
MAX_AGE = 180 * 24 * 3600


def _tag(secret_key: str, nonce: str, username: str) -> str:
    message = f"device|{nonce}|{username.lower()}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def _parts(cookie: str | None) -> tuple[str, list[str]]:
    nonce, *tags = (cookie or "").split("~")
    if len(nonce) != 22 or not nonce.replace("-", "").replace("_", "").isalnum():
        return "", []
    return nonce, tags[:MAX_USERS]


def known_device(cookie: str | None, secret_key: str, username: str) -> str | None:
    """The device's nonce when this username logged in on it before, else None."""
    nonce, tags = _parts(cookie)
    if not nonce:
        return None
    expected = _tag(secret_key, nonce, username)
    return nonce if any(hmac.compare_digest(tag, expected) for tag in tags) else None


def remember(cookie: str | None, secret_key: str, username: str) -> str:
    """The cookie's new value after a successful login of `username` on this device."""
    nonce, tags = _parts(cookie)
    nonce = nonce or secrets.token_urlsafe(16)
    tag = _tag(secret_key, nonce, username)
    tags = [tag, *(t for t in tags if t != tag)][:MAX_USERS]
    return "~".join([nonce, *tags])
