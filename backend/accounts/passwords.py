"""Password hashing with argon2id."""

from __future__ import annotations

import os

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane; ~50 ms here): argon2-cffi's
# default (64 MiB, 3 passes, 4 lanes) took ~400 ms of both cores per login, and a shift's
# logins queued for 20 s. Hashes made with other parameters are renewed at the next login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified when the username is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("passerelle-timing-equaliser")

MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# argon2 is made to be costly in CPU and memory (64 MiB each): hashing as many passwords at
# once as there are cores keeps a wave of logins from starving every other request.
_hashing = anyio.CapacityLimiter(os.cpu_count() or 1)


async def check(password_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Whether the password fits, and a fresh hash when the stored one's parameters are out of
    date; in a worker thread, outside any database transaction."""

    def work() -> tuple[bool, str | None]:
        ok = verify_password(password_hash, password)
        fresh = hash_password(password) if ok and password_hash and needs_rehash(password_hash) else None
        return ok, fresh

    return await anyio.to_thread.run_sync(work, limiter=_hashing)
