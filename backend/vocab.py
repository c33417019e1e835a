"""The shared vocabulary of screening, directory and reporting (see PRODUCT.md): need domains,
life phases, severities, offer types and access modes. Codes are stable; labels are msgids."""

from __future__ import annotations

from backend.i18n import N_

NEED_DOMAINS: dict[str, str] = {
    "housing": N_("Housing"),
    "finances": N_("Finances"),
    "food": N_("Food"),
    "loneliness": N_("Loneliness and social isolation"),
    "caring_relatives": N_("Caring relatives under strain"),
    "everyday_activities": N_("Everyday activities and household help"),
    "mobility": N_("Mobility and transport"),
    "administration": N_("Administration and paperwork"),
    "safety": N_("Safety and violence"),
    "language": N_("Language and understanding"),
    "digital": N_("Digital access"),
    "work": N_("Work and occupation"),
}

# (code, label, youngest age, oldest age or None)
LIFE_PHASES: dict[str, tuple[str, int, int | None]] = {
    "early_childhood": (N_("Early childhood (0–6)"), 0, 6),
    "children_youth": (N_("Children and youth (7–17)"), 7, 17),
    "young_adults": (N_("Young adults (18–25)"), 18, 25),
    "adults": (N_("Adults (26–64)"), 26, 64),
    "older": (N_("Older people (65–79)"), 65, 79),
    "very_old": (N_("Very old people (80+)"), 80, None),
}

SEVERITIES: dict[str, str] = {
    "urgent": N_("Urgent"),
    "needed": N_("Needed"),
    "wish": N_("Wish"),
}

SERVICE_TYPES: dict[str, str] = {
    "advice": N_("Advice"),
    "practical_help": N_("Practical help"),
    "financial_aid": N_("Financial aid"),
    "visiting": N_("Visiting and befriending"),
    "group_activity": N_("Group activity"),
    "carer_relief": N_("Relief for caring relatives"),
    "information": N_("Information"),
}

# Languages an offer can be given in, or a client prefers; names in their own language.
SPOKEN_LANGUAGES: dict[str, str] = {"de": "Deutsch", "fr": "Français", "it": "Italiano", "en": "English"}

ACCESS_MODES: dict[str, str] = {
    "home_visit": N_("Home visit"),
    "phone": N_("By phone"),
    "on_site": N_("On site"),
    "online": N_("Online"),
}


def life_phase_for_age(age: int) -> str:
    for code, (_, youngest, oldest) in LIFE_PHASES.items():
        if age >= youngest and (oldest is None or age <= oldest):
            return code
    raise ValueError(f"no life phase for age {age}")

# When a person who asked for a callback can be reached (self-check, read in the inbox).
CALLBACK_DAYS: dict[str, str] = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
}
CALLBACK_TIMES: dict[str, str] = {
    "any": N_("Any time"),
    "morning": N_("In the morning"),
    "afternoon": N_("In the afternoon"),
}
