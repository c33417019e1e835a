"""The demo organisations and users; every demo login uses the same password."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine
from sqlmodel import select

from backend.accounts import service
from backend.accounts.models import User
from backend.accounts.roles import OrgType, Role
from backend.clients.models import Client
from backend.db.engine import session_scope
from backend.db.types import utcnow
from backend.demo.followups import seed_follow_ups
from backend.errors import NotFound
from backend.followup.service import today
from backend.reports.demo import seed_reports

DEMO_PASSWORD = "passerelle-demo"  # noqa: S105 - published on purpose, demo only

ORGANISATIONS = [
    # name, type, district, language
    ("Spitex Demo Emmental", OrgType.HOME_CARE, "EM", "de"),
    ("Spitex Démo Jura bernois", OrgType.HOME_CARE, "JB", "fr"),
    # A hospital's discharge team that refers through FHIR (POST /fhir); typed as home care,
    # the nearest referring type we have.
    ("Spital Demo Emmental", OrgType.HOME_CARE, "EM", "de"),
    ("Pro Senectute Demo Bern", OrgType.SUPPORT, "BM", "de"),
    ("Association Démo Entraide Biel/Bienne", OrgType.SUPPORT, "BB", "fr"),
    ("Kanton Bern Demo", OrgType.ADMINISTRATION, None, "de"),
]

USERS = [
    # username, role, organisation, display name, language
    ("pflege", Role.NURSE, "Spitex Demo Emmental", "Petra Pflege", "de"),
    ("soins", Role.NURSE, "Spitex Démo Jura bernois", "Sophie Soins", "fr"),
    ("spital", Role.NURSE, "Spital Demo Emmental", "Simon Spital", "de"),
    ("koordination", Role.COORDINATOR, "Pro Senectute Demo Bern", "Karin Koordination", "de"),
    ("coordination", Role.COORDINATOR, "Association Démo Entraide Biel/Bienne", "Claire Coordination", "fr"),
    ("besuchsdienst", Role.COORDINATOR, "Pro Senectute Demo Bern", "Beat Besuchsdienst", "de"),
    ("benevoles", Role.COORDINATOR, "Association Démo Entraide Biel/Bienne", "Bernadette Bénévoles", "fr"),
    ("analyse", Role.ANALYST, "Kanton Bern Demo", "Andreas Analyse", "de"),
    ("admin", Role.ADMIN, None, "Demo Admin", None),
]


# Invented clients, so that a nurse can screen someone at once: organisation, name, born,
# municipality (BFS number), language. Fixed ids keep seeding idempotent.
CLIENTS = [
    ("Spitex Demo Emmental", "H. M.", 1941, 902, "de"),  # Langnau im Emmental
    ("Spitex Demo Emmental", "W. S.", 1936, 908, "de"),  # Trub
    ("Spitex Démo Jura bernois", "J. R.", 1938, 446, "fr"),  # Tramelan
    ("Spitex Démo Jura bernois", "M.-L. G.", 1946, 431, "fr"),  # Corgémont
]


def demo_logins(engine: Engine) -> list[tuple[str, str]]:
    """(username, description) of the demo accounts present in the database."""
    with session_scope(engine) as session:
        present = set(session.exec(select(User.username).where(User.is_demo == True)).all())  # noqa: E712
    return [
        (username, f"{role.value}, {org}" if org else role.value)
        for username, role, org, _, _ in USERS
        if username in present
    ]


def seed_demo(engine: Engine, only_if_empty: bool = False) -> bool:
    """Creates the demo organisations and users that are missing. With `only_if_empty`, a
    database that has any user already is left alone. Returns whether anything was seeded."""
    with session_scope(engine) as session:
        if only_if_empty and session.exec(select(User.id)).first() is not None:
            return False
        orgs = {}
        for name, org_type, district, language in ORGANISATIONS:
            try:
                orgs[name] = service.find_organisation(session, name)
            except NotFound:
                orgs[name] = service.create_organisation(
                    session, name, org_type, district, language, is_demo=True
                )
        for username, role, org_name, display_name, user_language in USERS:
            exists = session.exec(select(User).where(User.username == username)).first()
            if exists is None:
                service.create_user(
                    session,
                    username,
                    DEMO_PASSWORD,
                    role,
                    display_name,
                    orgs[org_name] if org_name else None,
                    user_language,
                    is_demo=True,
                )
        for org_name, display_name, born, municipality, language in CLIENTS:
            key = f"passerelle:demo-client:{org_name}:{display_name}"
            client_id = str(uuid.uuid5(uuid.NAMESPACE_URL, key))
            organisation_id = orgs[org_name].id
            assert organisation_id is not None  # found or created (and flushed) above
            if session.get(Client, client_id) is None:
                session.add(
                    Client(
                        id=client_id,
                        organisation_id=organisation_id,
                        display_name=display_name,
                        birth_year=born,
                        municipality=municipality,
                        language=language,
                    )
                )
        session.flush()
        seed_follow_ups(session, utcnow(), today())
    load_directory(engine)
    seed_reports(engine, utcnow())
    return True


# Which demo directory organisation each demo account organisation keeps and receives for.
DIRECTORY_LINKS = {
    "Pro Senectute Demo Bern": "Pro Senectute Kanton Bern",
    "Association Démo Entraide Biel/Bienne": "Pro Senectute Arc jurassien",
}


def load_directory(engine: Engine) -> None:
    from backend.directory.demo.load import load_demo_directory
    from backend.directory.models import DirectoryOrganization

    with session_scope(engine) as session:
        load_demo_directory(session)
        for account_name, directory_name in DIRECTORY_LINKS.items():
            account = service.find_organisation(session, account_name)
            for org in session.exec(
                select(DirectoryOrganization).where(DirectoryOrganization.name == directory_name)
            ).all():
                org.organisation_id = account.id
