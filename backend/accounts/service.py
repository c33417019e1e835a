"""Accounts: users, organisations, login sessions and API tokens. No HTTP in here."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from backend.accounts.models import ApiToken, LoginSession, Organisation, User
from backend.accounts.passwords import MIN_LENGTH, hash_password
from backend.accounts.roles import ROLES_NEEDING_ORGANISATION, OrgType, Role
from backend.db.types import utcnow
from backend.errors import Conflict, InvalidInput, NotFound
from backend.geo.reference import DISTRICTS
from backend.i18n import LANGUAGES, N_
from backend.security import ratelimit

TOKEN_PREFIX = "psg_"  # noqa: S105 - a prefix, not a secret
# Touching last_seen_at on every request would make every read a write; once a minute is enough.
SESSION_TOUCH_INTERVAL = timedelta(seconds=60)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def session_id(key: str) -> str:
    """The login_session row's id for a session cookie's key (the key itself is never stored)."""
    return _sha256(key)


@dataclass(frozen=True)
class CurrentUser:
    """What a request knows about who is calling; detached from the database session."""

    id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int | None
    organisation_name: str | None
    language: str | None
    is_demo: bool
    via_token: bool = False
    via_device: bool = False  # a device's sync credential (device_credentials.py)


def current_user(session: Session, user: User, via_token: bool = False) -> CurrentUser:
    org = session.get(Organisation, user.organisation_id) if user.organisation_id else None
    return _current(user, org.name if org else None, via_token)


def _current(user: User, organisation_name: str | None, via_token: bool = False) -> CurrentUser:
    return CurrentUser(
        id=user.id or 0,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        organisation_id=user.organisation_id,
        organisation_name=organisation_name,
        language=user.language,
        is_demo=user.is_demo,
        via_token=via_token,
    )


# --- organisations and users ---------------------------------------------------------------


def create_organisation(
    session: Session,
    name: str,
    type: str,
    district: str | None = None,
    language: str = "de",
    is_demo: bool = False,
) -> Organisation:
    name = name.strip()
    if not name:
        raise InvalidInput(N_("The organisation needs a name."), field="name")
    if type not in OrgType.__members__.values():
        raise InvalidInput(N_("Unknown organisation type."), field="type")
    if district is not None and district not in DISTRICTS:
        raise InvalidInput(N_("Unknown district."), field="district")
    if language not in LANGUAGES:
        raise InvalidInput(N_("Unknown language."), field="language")
    if session.exec(select(Organisation).where(Organisation.name == name)).first():
        raise Conflict(N_("An organisation with this name exists already."))
    org = Organisation(name=name, type=type, district=district, language=language, is_demo=is_demo)
    session.add(org)
    session.flush()
    return org


def find_organisation(session: Session, name_or_id: str) -> Organisation:
    org = None
    if name_or_id.isdigit():
        org = session.get(Organisation, int(name_or_id))
    if org is None:
        org = session.exec(select(Organisation).where(Organisation.name == name_or_id)).first()
    if org is None:
        raise NotFound(N_("No such organisation."))
    return org


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    organisation: Organisation | None = None,
    language: str | None = None,
    is_demo: bool = False,
) -> User:
    username = username.strip().lower()
    if not username or len(username) > 80 or not username.replace("-", "").replace(".", "").isalnum():
        raise InvalidInput(N_("A username has letters, digits, dots and dashes only."), field="username")
    if role not in Role.__members__.values():
        raise InvalidInput(N_("Unknown role."), field="role")
    if Role(role) in ROLES_NEEDING_ORGANISATION and organisation is None:
        raise InvalidInput(N_("This role needs an organisation."), field="organisation")
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            N_("The password needs at least %(count)s characters."),
            field="password",
            count=MIN_LENGTH,
        )
    if language is not None and language not in LANGUAGES:
        raise InvalidInput(N_("Unknown language."), field="language")
    password_hash = hash_password(password)  # before the first statement: no lock held meanwhile
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict(N_("This username is taken."))
    user = User(
        username=username,
        display_name=(display_name or username).strip(),
        password_hash=password_hash,
        role=role,
        organisation_id=organisation.id if organisation else None,
        language=language,
        is_demo=is_demo,
    )
    session.add(user)
    session.flush()
    return user


def login_key(secret_key: str, username: str, device: str | None = None) -> str:
    """The rate-limit bucket of a username's logins: its own per known device (a device the user
    logged in on before is not locked out by strangers guessing elsewhere), else the username's."""
    if device:
        return ratelimit.key(secret_key, "login-device", f"{username.lower()}|{device}")
    return ratelimit.key(secret_key, "login-user", username.lower())


def unlock(session: Session, secret_key: str, username: str) -> None:
    """Forgets a username's failed logins (the admin's way to let its owner in at once)."""
    ratelimit.reset(session, login_key(secret_key, username))


def find_user(session: Session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    if user is None:
        raise NotFound(N_("No such user."))
    return user


def active_user(session: Session, username: str) -> User | None:
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    return user if user and user.is_active else None


def set_language(session: Session, user_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise InvalidInput(N_("Unknown language."), field="language")
    user = session.get(User, user_id)
    if user:
        user.language = language


# --- sessions -------------------------------------------------------------------------------


def start_session(session: Session, user: User) -> str:
    """Creates a login session and returns the secret cookie value (never stored as such)."""
    key = secrets.token_urlsafe(32)
    session.add(LoginSession(id=session_id(key), user_id=user.id or 0))
    return key


def start_session_for(session: Session, user_id: int, new_hash: str | None = None) -> str:
    """start_session after a password was checked outside the transaction (and, when its
    parameters were out of date, hashed afresh)."""
    if new_hash:
        user = session.get(User, user_id)
        if user:
            user.password_hash = new_hash
    key = secrets.token_urlsafe(32)
    session.add(LoginSession(id=session_id(key), user_id=user_id))
    return key


def resume_session(session: Session, key: str, idle: timedelta) -> tuple[CurrentUser | None, str | None]:
    """The caller of a live session, and what to note down afterwards in a short write of its
    own (`note_session`): "end" an idle session, "touch" its last-seen time, or nothing.
    One query that only reads: every request asks it, and none should queue for a write lock."""
    row = session.exec(
        select(LoginSession.last_seen_at, User, Organisation.name)
        .outerjoin(User, col(User.id) == LoginSession.user_id)
        .outerjoin(Organisation, col(Organisation.id) == User.organisation_id)
        .where(LoginSession.id == session_id(key))
    ).first()
    if row is None:
        return None, None
    last_seen, user, organisation_name = row
    now = utcnow()
    if now - last_seen > idle or user is None or not user.is_active:
        return None, "end"
    current = _current(user, organisation_name)
    return current, "touch" if now - last_seen > SESSION_TOUCH_INTERVAL else None


def note_session(session: Session, key: str, action: str) -> None:
    row = session.get(LoginSession, session_id(key))
    if row is None:
        return
    if action == "end":
        session.delete(row)
    elif action == "touch":
        row.last_seen_at = utcnow()


def end_session(session: Session, key: str) -> None:
    row = session.get(LoginSession, session_id(key))
    if row is not None:
        session.delete(row)


def purge_idle_sessions(session: Session, idle: timedelta, now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - idle
    rows = session.exec(select(LoginSession).where(col(LoginSession.last_seen_at) < cutoff)).all()
    for row in rows:
        session.delete(row)
    return len(rows)


# --- API tokens -----------------------------------------------------------------------------


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the row and the token itself, which is shown once and never stored."""
    name = name.strip() or "token"
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id or 0, name=name[:100], token_hash=_sha256(secret), prefix=secret[:12])
    session.add(token)
    session.flush()
    return token, secret


def user_for_token(session: Session, secret: str) -> tuple[User | None, bool]:
    """The token's user, and whether its last use should be noted (`touch_token`)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None, False
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == _sha256(secret))).first()
    if token is None or token.revoked_at is not None:
        return None, False
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None, False
    now = utcnow()
    return user, token.last_used_at is None or now - token.last_used_at > SESSION_TOUCH_INTERVAL


def touch_token(session: Session, secret: str) -> None:
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == _sha256(secret))).first()
    if token is not None:
        token.last_used_at = utcnow()


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(col(ApiToken.id))
    return list(session.exec(query).all())


def revoke_token(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(N_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token
