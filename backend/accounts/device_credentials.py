"""Sync credentials of devices (issue 17, item 4). No HTTP in here.

Closing the browser ends the UI session, and the outbox then had nobody to send as. At login
a nurse's device asks for a credential of its own: random, stored only as a hash, valid for
`SYNC_CREDENTIAL_HOURS`, and good for nothing but POST /api/v1/sync and the directory snapshot
(auth.py): it cannot read a page, a client or an API answer. The device keeps it sealed with
the outbox's key. It is revoked at logout (the credentials that login session issued), by an
administrator, and when the device asks for a new one in its place.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from backend.accounts.models import DeviceCredential, Organisation, User
from backend.accounts.roles import OrgType, Role
from backend.accounts.service import SESSION_TOUCH_INTERVAL, CurrentUser, _current
from backend.db.types import utcnow
from backend.errors import NotFound
from backend.i18n import N_

PREFIX = "psd_"
# What a device credential opens, and nothing else: (method, path).
SYNC_PATH = "/api/v1/sync"
SNAPSHOT_PATH = "/api/v1/directory/snapshot"
ROUTES = frozenset({("POST", SYNC_PATH), ("GET", SNAPSHOT_PATH), ("HEAD", SNAPSHOT_PATH)})
# Only roles that send offline records, of an organisation that makes home visits.
SYNCING_ROLES = frozenset({Role.NURSE})
SYNCING_ORGANISATIONS = frozenset({OrgType.HOME_CARE})
NO_SUCH_DEVICE = N_("No such device credential.")


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def may_hold(user: CurrentUser, organisation_type: str | None) -> bool:
    return user.role in SYNCING_ROLES and organisation_type in SYNCING_ORGANISATIONS


_BROWSERS = (
    ("Edg/", "Edge"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPad", "iPad"),
    ("iPhone", "iPhone"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str | None) -> str:
    """ "Chrome on Android": the kind of device, from its user agent, and nothing more (no
    version, no model name, nothing that tells one tablet from another of its kind)."""
    agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    if "Headless" in agent and browser:
        browser = f"{browser} (headless)"
    if browser and system:
        return f"{browser} / {system}"
    return browser or system or "?"


@dataclass(frozen=True)
class Issued:
    row: DeviceCredential
    token: str  # shown once, to the device; never stored, logged or put in a URL


def issue(
    session: Session,
    user: CurrentUser,
    *,
    label: str,
    hours: int,
    login_session: str | None,
    replaces: str | None = None,
    now: datetime | None = None,
) -> Issued:
    """A new credential for `user` on this device; the one it replaces (the same user's) is
    revoked. The caller has checked `may_hold`."""
    now = now or utcnow()
    if replaces and replaces.startswith(PREFIX):
        old = _by_token(session, replaces)
        if old is not None and old.user_id == user.id and old.revoked_at is None:
            old.revoked_at, old.revoked_reason = now, "replaced"
    token = PREFIX + secrets.token_urlsafe(32)
    row = DeviceCredential(
        user_id=user.id,
        organisation_id=user.organisation_id or 0,
        label=label[:80],
        token_hash=_sha256(token),
        session_hash=login_session,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    return Issued(row, token)


def _by_token(session: Session, token: str) -> DeviceCredential | None:
    return session.exec(select(DeviceCredential).where(DeviceCredential.token_hash == _sha256(token))).first()


def user_for_credential(session: Session, token: str) -> tuple[CurrentUser | None, bool]:
    """The nurse a live credential acts for, and whether its last use should be noted. Refused:
    unknown, revoked or expired credentials, and ones whose user left, was deactivated, changed
    role or organisation since."""
    if not token.startswith(PREFIX):
        return None, False
    row = session.exec(
        select(DeviceCredential, User, Organisation.name)
        .join(User, col(User.id) == DeviceCredential.user_id)
        .join(Organisation, col(Organisation.id) == DeviceCredential.organisation_id)
        .where(DeviceCredential.token_hash == _sha256(token))
    ).first()
    if row is None:
        return None, False
    credential, user, organisation_name = row
    now = utcnow()
    if credential.revoked_at is not None or credential.expires_at <= now:
        return None, False
    if (
        not user.is_active
        or user.role not in SYNCING_ROLES
        or user.organisation_id != credential.organisation_id
    ):
        return None, False
    current = replace(_current(user, organisation_name), via_device=True)
    last = credential.last_used_at
    return current, last is None or now - last > SESSION_TOUCH_INTERVAL


def touch(session: Session, token: str) -> None:
    row = _by_token(session, token)
    if row is not None:
        row.last_used_at = utcnow()


def revoke_for_login(session: Session, login_session: str, by: int | None) -> list[int]:
    """At logout: the credentials this login issued (that device's)."""
    rows = session.exec(
        select(DeviceCredential).where(
            DeviceCredential.session_hash == login_session, col(DeviceCredential.revoked_at).is_(None)
        )
    ).all()
    now = utcnow()
    for row in rows:
        row.revoked_at, row.revoked_by, row.revoked_reason = now, by, "logout"
    return [row.id or 0 for row in rows]


def revoke(session: Session, credential_id: int, by: int) -> bool:
    """By an administrator; False when it had already ended (a second click, a stale list)."""
    row = session.get(DeviceCredential, credential_id)
    if row is None:
        raise NotFound(NO_SUCH_DEVICE)
    if row.revoked_at is not None:
        return False
    row.revoked_at, row.revoked_by, row.revoked_reason = utcnow(), by, "admin"
    return True


@dataclass(frozen=True)
class Held:
    """One row of the administrator's list."""

    id: int
    username: str
    display_name: str
    organisation: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime


def live(session: Session, now: datetime | None = None) -> list[Held]:
    """Credentials that still open the sync, newest first."""
    now = now or utcnow()
    rows = session.exec(
        select(DeviceCredential, User.username, User.display_name, Organisation.name)
        .join(User, col(User.id) == DeviceCredential.user_id)
        .join(Organisation, col(Organisation.id) == DeviceCredential.organisation_id)
        .where(col(DeviceCredential.revoked_at).is_(None), col(DeviceCredential.expires_at) > now)
        .order_by(col(DeviceCredential.created_at).desc(), col(DeviceCredential.id).desc())
    ).all()
    return [
        Held(c.id or 0, username, name, org, c.label, c.created_at, c.last_used_at, c.expires_at)
        for c, username, name, org in rows
    ]


KEEP_ENDED = timedelta(days=30)  # ended credentials stay a while, for questions about a device


def purge_ended(session: Session, now: datetime | None = None) -> int:
    """Forgets credentials that expired or were revoked more than KEEP_ENDED ago (housekeeping)."""
    cutoff = (now or utcnow()) - KEEP_ENDED
    rows = session.exec(
        select(DeviceCredential).where(
            (col(DeviceCredential.expires_at) < cutoff) | (col(DeviceCredential.revoked_at) < cutoff)
        )
    ).all()
    for row in rows:
        session.delete(row)
    return len(rows)
