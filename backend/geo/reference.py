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
