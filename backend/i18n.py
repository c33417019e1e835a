"""Babel: the two languages, locale negotiation, gettext for Python and Jinja, formatting.

German and French are both first class; German is the fallback because most of the canton
speaks it. Messages are marked with `N_` where they are defined and translated where they are
shown, in the language of the person looking.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("de", "fr")
DEFAULT_LANGUAGE = "de"
LANGUAGE_NAMES = {"de": "Deutsch", "fr": "Français"}
# Swiss conventions: 1'234.50 and 29.11.2026 in German, 1 234,50 and 29.11.2026 in French.
FORMAT_LOCALES = {"de": "de_CH", "fr": "fr_CH"}
TIMEZONE = "Europe/Zurich"


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated later, where it is shown."""
    return message


@cache
def translations(language: str) -> NullTranslations:
    loaded = Translations.load(str(LOCALES_DIR), [language], domain="messages")
    return loaded


def translate(language: str, message: str, **params: Any) -> str:
    text = translations(language).ugettext(message)
    return text % params if params else text


def ntranslate(language: str, singular: str, plural: str, num: int) -> str:
    """A message with a count (`%(num)s`), in the language's plural form (French has three)."""
    return translations(language).ungettext(singular, plural, num) % {"num": num}


def parse_accept_language(header: str | None) -> str | None:
    """The first of our languages the browser asks for, honouring q-values."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = tag.strip().lower().split("-")[0]
        if language in LANGUAGES and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def negotiate(saved: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The user's saved preference, then the switcher's cookie, then the browser, then German."""
    for candidate in (saved, cookie):
        if candidate in LANGUAGES:
            return candidate
    return parse_accept_language(accept_language) or DEFAULT_LANGUAGE


def format_date(value: date | datetime, language: str, format: str = "medium") -> str:
    locale = Locale.parse(FORMAT_LOCALES[language])
    if isinstance(value, datetime):
        return dates.format_datetime(value, format=format, tzinfo=ZoneInfo(TIMEZONE), locale=locale)
    return dates.format_date(value, format=format, locale=locale)


def format_day(value: date | datetime, language: str) -> str:
    """The calendar day in Bern (a UTC timestamp just after midnight is already tomorrow there)."""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(TIMEZONE)).date()
    return dates.format_date(value, format="medium", locale=Locale.parse(FORMAT_LOCALES[language]))


def format_number(value: int | float | Decimal, language: str) -> str:
    return numbers.format_decimal(value, locale=FORMAT_LOCALES[language])


def format_money(value: int | float | Decimal, language: str, currency: str = "CHF") -> str:
    return numbers.format_currency(value, currency, locale=FORMAT_LOCALES[language])


def shown_language(item: Any, field: str, locale: str) -> str:
    """The language in which `item`'s text `field` is shown to a page in `locale`: the locale when
    the item has the text in it, else the language it falls back to. Works for every offer shape
    (a `texts` mapping field → {de, fr}, or `name_de`/`name_fr` attributes)."""

    def has(language: str) -> bool:
        texts = getattr(item, "texts", None)
        if isinstance(texts, dict):
            return bool((texts.get(field) or {}).get(language))
        return bool(getattr(item, f"{field}_{language}", None))

    if has(locale):
        return locale
    return next((language for language in LANGUAGES if has(language)), locale)
