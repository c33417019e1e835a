"""Reference tables read once from the CSV files in data/ (see data/README.md for sources)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class District:
    code: str
    name_de: str
    name_fr: str
    language: str  # de | fr | bilingual

    def name(self, locale: str) -> str:
        return self.name_fr if locale == "fr" else self.name_de


@dataclass(frozen=True)
class Municipality:
    bfs_number: int
    name: str
    district: str  # district code
    language: str


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _load() -> tuple[dict[str, District], dict[int, Municipality]]:
    districts = {
        r["code"]: District(r["code"], r["name"], r["name_fr"], r["main_language"])
        for r in _rows("districts.csv")
    }
    code_by_name = {d.name_de: d.code for d in districts.values()}
    municipalities = {
        int(r["bfs_number"]): Municipality(
            int(r["bfs_number"]), r["name"], code_by_name[r["district"]], r["language"]
        )
        for r in _rows("municipalities.csv")
    }
    return districts, municipalities


DISTRICTS, MUNICIPALITIES = _load()


# Localities that lie only marginally in the canton (e.g. 2345 Les Breuleux, JU) are left out.
MIN_ADDRESS_SHARE = 1.0


def _postal_codes() -> dict[str, list[int]]:
    """Postal code → municipalities, the one holding most of the addresses first."""
    codes: dict[str, list[int]] = {}
    rows = _rows("postal_codes_detail.csv")
    rows.sort(key=lambda r: (r["postal_code"], -float(r["address_share_pct"])))
    for row in rows:
        if float(row["address_share_pct"]) < MIN_ADDRESS_SHARE:
            continue
        numbers = codes.setdefault(row["postal_code"], [])
        if int(row["bfs_number"]) not in numbers:
            numbers.append(int(row["bfs_number"]))
    return codes


POSTAL_CODES = _postal_codes()
_BY_NAME = {m.name.casefold(): m.bfs_number for m in MUNICIPALITIES.values()}


def find_municipality(value: str) -> Municipality | None:
    """A municipality from what a person types: its name, a postal code or a BFS number."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        if len(value) == 4 and value in POSTAL_CODES:
            return MUNICIPALITIES[POSTAL_CODES[value][0]]
        return MUNICIPALITIES.get(int(value))
    number = _BY_NAME.get(value.casefold())
    if number is None:  # "3550 Langnau im Emmental" as offered by the suggestions
        head, _, rest = value.partition(" ")
        if head.isdigit():
            number = _BY_NAME.get(rest.strip().casefold())
    return MUNICIPALITIES.get(number) if number else None


# What a place field suggests as one types: every name, and every postal code with its main
# municipality ("3550 Langnau im Emmental"), which find_municipality() reads back.
PLACE_SUGGESTIONS = sorted(m.name for m in MUNICIPALITIES.values()) + [
    f"{code} {MUNICIPALITIES[numbers[0]].name}" for code, numbers in sorted(POSTAL_CODES.items())
]
