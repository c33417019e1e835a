"""The VAPID key pair that identifies this server to push services."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid, b64urlencode


def init(path: Path) -> bool:
    """Creates the private key file (mode 600) unless it exists; True when a key was made."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    vapid = Vapid()
    vapid.generate_keys()
    path.touch(mode=0o600)
    vapid.save_key(str(path))
    return True


def load(path: Path) -> Vapid | None:
    return Vapid.from_file(str(path)) if path.exists() else None


def public_key(vapid: Vapid) -> str:
    """base64url of the uncompressed P-256 point: what `applicationServerKey` takes."""
    raw = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    key: str = b64urlencode(raw)  # py_vapid is untyped
    return key
