"""Consent as the nurse records it, and what it lets leave the organisation. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from backend.i18n import N_

GIVEN_BY = {"client": N_("The client"), "representative": N_("A legal representative")}
METHODS = {"verbal": N_("Verbally"), "written": N_("In writing")}
# What the client may agree to share beyond the referral's need, municipality and language.
SCOPE_ITEMS = {
    "contact": N_("Name and phone number, so that the organisation can get in touch"),
    "birth_year": N_("Year of birth"),
    "needs": N_("The other needs found in the screening"),
    "strengths": N_("Strengths and resources (who helps already)"),
}
DEFAULT_SCOPE = ("contact", "birth_year")
NOTE_LIMIT = 1000
OLDEST_DAYS = 30  # consent is recorded at the visit; a month covers late offline sync


@dataclass
class ConsentForm:
    confirmed: bool = False
    given_by: str = "client"
    method: str = "verbal"
    given_on: str = ""
    scope: list[str] = field(default_factory=lambda: list(DEFAULT_SCOPE))
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def validate(self, today: date) -> dict[str, Any]:
        """The clean values; fills `errors` (field → msgid)."""
        if not self.confirmed:
            self.errors["confirmed"] = N_(
                "Without consent no referral can be sent. Ask the client (or their representative) first."
            )
        if self.given_by not in GIVEN_BY:
            self.errors["given_by"] = N_("Say who gave consent.")
        if self.method not in METHODS:
            self.errors["method"] = N_("Say how consent was given.")
        given_on = today
        if self.given_on.strip():
            try:
                given_on = date.fromisoformat(self.given_on.strip())
            except ValueError:
                self.errors["given_on"] = N_("Enter the date as YYYY-MM-DD.")
            else:
                if given_on > today:
                    self.errors["given_on"] = N_("The date of consent cannot be in the future.")
                elif given_on < today - timedelta(days=OLDEST_DAYS):
                    self.errors["given_on"] = N_("Consent older than 30 days must be asked for again.")
        unknown = [item for item in self.scope if item not in SCOPE_ITEMS]
        if unknown:
            self.errors["scope"] = N_("Unknown data item in the consent scope.")
        note = self.note.strip()
        if len(note) > NOTE_LIMIT:
            self.errors["note"] = N_("At most 1000 characters.")
        return {
            "given_by": self.given_by,
            "method": self.method,
            "given_on": given_on,
            "scope": [item for item in SCOPE_ITEMS if item in self.scope],
            "note": note or None,
        }


def shared_data(
    scope: list[str],
    need_domain: str,
    needs: dict[str, str],
    client: dict[str, Any],
    strengths: str | None,
    note: str | None,
) -> dict[str, Any]:
    """What one receiving organisation may see: always the need it is asked to meet, the
    municipality and the language; the rest only as far as the consent reaches."""
    data: dict[str, Any] = {
        "need": {"domain": need_domain, "severity": needs.get(need_domain)},
        "municipality": client["municipality"],
        "language": client["language"],
    }
    if "contact" in scope:
        data["display_name"] = client["display_name"]
        data["phone"] = client.get("phone")
    if "birth_year" in scope:
        data["birth_year"] = client["birth_year"]
    if "needs" in scope:
        data["needs"] = dict(needs)
    if "strengths" in scope and strengths:
        data["strengths"] = strengths
    if note:
        data["note"] = note
    return data
