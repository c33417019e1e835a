"""Loads the demo directory (offers.json, written from public knowledge, unverified) and
generates large synthetic directories for benchmarks."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from sqlmodel import Session

from backend.directory import hsds, repository
from backend.directory.models import DirectoryOrganization
from backend.directory.records import ServiceRecord, validate
from backend.geo.reference import DISTRICTS, MUNICIPALITIES
from backend.vocab import ACCESS_MODES, LIFE_PHASES, NEED_DOMAINS, SERVICE_TYPES

OFFERS = Path(__file__).parent / "offers.json"
TEXT_KEYS = {
    "name": "name",
    "description": "description",
    "eligibility": "eligibility",
    "how_to_access": "how_to_access",
    "fees": "fees",
    "hours": "hours",
}


def _areas(area: dict[str, Any]) -> list[tuple[str, str]]:
    if area.get("canton"):
        return [("canton", "BE")]
    if area.get("districts"):
        return [("district", code) for code in area["districts"]]
    return [("municipality", str(number)) for number in area.get("municipalities", [])]


def record_from_offer(offer: dict[str, Any]) -> tuple[ServiceRecord, DirectoryOrganization]:
    org = offer["organization"]
    org_id = hsds.stable_id("demo-organization", org["name"])
    description = org.get("description") or {}
    organization = DirectoryOrganization(
        id=org_id,
        name=org["name"],
        description_de=description.get("de"),
        description_fr=description.get("fr"),
        email=org.get("email"),
        website=org.get("url"),
        is_demo=True,
    )
    location = offer.get("location") or {}
    record = ServiceRecord(
        id=hsds.stable_id("demo-service", offer["key"]),
        organization_id=org_id,
        texts={ours: dict(offer.get(key) or {"de": None, "fr": None}) for key, ours in TEXT_KEYS.items()},
        service_type=offer["type"],
        free_of_charge=bool(offer.get("free")),
        minimum_age=offer.get("min_age"),
        maximum_age=offer.get("max_age"),
        phone=offer.get("phone"),
        email=offer.get("email"),
        url=offer.get("url"),
        location_name=location.get("name"),
        street=location.get("street"),
        postal_code=location.get("postal_code"),
        city=location.get("city"),
        need_domains=list(offer["need_domains"]),
        life_phases=list(offer["life_phases"]),
        access_modes=list(offer.get("access_modes") or []),
        languages=list(offer["languages"]),
        areas=_areas(offer["area"]),
        is_demo=True,
    )
    return record, organization


def load_demo_directory(session: Session, path: Path = OFFERS) -> int:
    """Creates or updates the demo offers; returns how many changed."""
    offers = json.loads(path.read_text(encoding="utf-8"))
    changed = 0
    for offer in offers:
        record, organization = record_from_offer(offer)
        errors = validate(record)
        if errors:
            raise ValueError(f"demo offer {offer['key']}: {errors}")
        repository.upsert_organization(session, organization)
        changed += repository.save(session, record, None, "import")
    return changed


WORDS_DE = [
    "Beratung",
    "Begleitung",
    "Besuch",
    "Entlastung",
    "Unterstützung",
    "Hilfe",
    "Treffpunkt",
    "Kurs",
    "Fahrdienst",
    "Mahlzeiten",
    "Budget",
    "Wohnen",
    "Einsamkeit",
    "Angehörige",
    "Familie",
]
WORDS_FR = [
    "conseil",
    "accompagnement",
    "visite",
    "répit",
    "soutien",
    "aide",
    "rencontre",
    "cours",
    "transport",
    "repas",
    "budget",
    "logement",
    "solitude",
    "proches aidants",
    "famille",
]


def generate_directory(session: Session, count: int, seed: int = 7) -> int:
    """Synthetic offers for benchmarks: random but valid, spread over all places and codes."""
    rng = random.Random(seed)
    municipalities = list(MUNICIPALITIES)
    organizations = []
    for index in range(max(1, count // 20)):
        org = DirectoryOrganization(
            id=hsds.stable_id("bench-organization", str(index)),
            name=f"Organisation {index}",
            description_de="Benchmark",
            is_demo=True,
        )
        repository.upsert_organization(session, org)
        organizations.append(org.id)
    for index in range(count):
        words_de = " ".join(rng.sample(WORDS_DE, 6))
        words_fr = " ".join(rng.sample(WORDS_FR, 6))
        scope = rng.choice(["canton", "district", "district", "municipality", "municipality"])
        if scope == "canton":
            areas = [("canton", "BE")]
        elif scope == "district":
            areas = [("district", code) for code in rng.sample(list(DISTRICTS), rng.randint(1, 2))]
        else:
            areas = [("municipality", str(m)) for m in rng.sample(municipalities, rng.randint(1, 5))]
        record = ServiceRecord(
            id=hsds.stable_id("bench-service", str(index)),
            organization_id=rng.choice(organizations),
            texts={
                "name": {
                    "de": f"Angebot {index} {words_de.split()[0]}",
                    "fr": f"Offre {index} {words_fr.split()[0]}",
                },
                "description": {"de": f"{words_de}.", "fr": f"{words_fr}."},
            },
            service_type=rng.choice(list(SERVICE_TYPES)),
            free_of_charge=rng.random() < 0.6,
            need_domains=rng.sample(list(NEED_DOMAINS), rng.randint(1, 3)),
            life_phases=rng.sample(list(LIFE_PHASES), rng.randint(1, 3)),
            access_modes=rng.sample(list(ACCESS_MODES), rng.randint(1, 2)),
            languages=rng.choice([["de"], ["fr"], ["de", "fr"], ["de", "en"]]),
            areas=areas,
            capacity_status=rng.choice(["accepting"] * 8 + ["waitlist", "not_accepting"]),
            is_demo=True,
        )
        repository.save(session, record, None, "import")
        if index % 500 == 499:
            session.flush()
    repository.refresh_statistics(session)
    return count
