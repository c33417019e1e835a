"""Rendering pages: one place builds the template context and decides page or fragment."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig
from litestar_htmx import HTMXDetails, HTMXRequest
from markupsafe import Markup

from backend import i18n
from backend.accounts.auth import LANGUAGE_COOKIE
from backend.accounts.roles import ORG_TYPE_LABELS, ROLE_LABELS
from backend.geo.reference import DISTRICTS, PLACE_SUGGESTIONS
from backend.pwa.assets import TEMPLATES_DIR, Assets
from backend.vocab import ACCESS_MODES, LIFE_PHASES, NEED_DOMAINS, SERVICE_TYPES, SEVERITIES, SPOKEN_LANGUAGES

# The canton's ~800 place names as <option>s for the municipality fields, escaped once:
# escaping them on every directory page was a tenth of a web process's time under load.
PLACE_OPTIONS = Markup("").join(Markup('<option value="{}">').format(name) for name in PLACE_SUGGESTIONS)


def request_locale(request: Request[Any, Any, Any]) -> str:
    """The locale the middleware chose, or (for errors raised before it ran) a fresh guess."""
    locale: str | None = getattr(request.state, "locale", None)
    if locale:
        return locale
    return i18n.negotiate(None, request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))


def safe_next(target: str | None, default: str = "/") -> str:
    """A same-site path to go back to; anything else (other hosts, //evil) becomes default."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def form_lists(form: Any) -> dict[str, list[str]]:
    """A submitted form as name → every text value (checkbox groups send several)."""
    return {key: [v for v in form.getall(key) if isinstance(v, str)] for key in form.keys()}


def render(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    locale: str | None = None,
    headers: dict[str, str] | None = None,
) -> Template:
    locale = locale or request_locale(request)
    user = request.scope.get("user")
    page_context = {
        "locale": locale,
        "user": user,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "current_path": request.url.path,
        "demo": bool(user and user.is_demo),
        **(context or {}),
    }
    return Template(
        template_name=template,
        context=page_context,
        status_code=status_code,
        # Vary: the same URL answers a full page or a fragment (htmx); caches must tell them apart.
        headers={"Vary": "HX-Request", "Content-Language": locale, **(headers or {})},
    )


def htmx(request: Request[Any, Any, Any]) -> HTMXDetails:
    """What htmx says about this request (the HTMX plugin makes every request an HTMXRequest)."""
    return request.htmx if isinstance(request, HTMXRequest) else HTMXDetails(request)


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """Sent by htmx (a swap, a boosted link, a history restore): it follows `HX-Redirect`, not a 303."""
    return bool(htmx(request))


def wants_fragment(request: Request[Any, Any, Any]) -> bool:
    """The one place that decides page or fragment: htmx swapping part of a page gets the fragment;
    a plain request, a boosted link (`HX-Boosted`) and a history restore
    (`HX-History-Restore-Request`) replace the whole body and get the page."""
    details = htmx(request)
    return bool(details) and not details.boosted and not details.history_restore_request


def render_page_or_fragment(
    request: Request[Any, Any, Any],
    page: str,
    fragment: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    """The page, or for htmx the fragment it swaps in (same context, plus `as_fragment`: a fragment
    may then update other parts of the page out of band); `Vary: HX-Request` either way."""
    as_fragment = wants_fragment(request)
    context = {**(context or {}), "as_fragment": as_fragment}
    return render(request, fragment if as_fragment else page, context, status_code=status_code)


# Jinja's newstyle gettext fills in the %(name)s placeholders itself: these only translate.
@pass_context
def _gettext(ctx: Any, message: str) -> str:
    return i18n.translations(ctx.get("locale") or i18n.DEFAULT_LANGUAGE).ugettext(message)


@pass_context
def _ngettext(ctx: Any, singular: str, plural: str, n: int) -> str:
    return i18n.translations(ctx.get("locale") or i18n.DEFAULT_LANGUAGE).ungettext(singular, plural, n)


@pass_context
def _format_date(ctx: Any, value: Any, format: str = "medium") -> str:
    return i18n.format_date(value, ctx.get("locale") or i18n.DEFAULT_LANGUAGE, format)


@pass_context
def _format_day(ctx: Any, value: Any) -> str:
    return i18n.format_day(value, ctx.get("locale") or i18n.DEFAULT_LANGUAGE)


@pass_context
def _format_number(ctx: Any, value: Any) -> str:
    return i18n.format_number(value, ctx.get("locale") or i18n.DEFAULT_LANGUAGE)


@pass_context
def _format_money(ctx: Any, value: Any) -> str:
    return i18n.format_money(value, ctx.get("locale") or i18n.DEFAULT_LANGUAGE)


@pass_context
def _lang_attr(ctx: Any, item: Any, field: str = "name") -> Markup:
    """` lang="de"` on an element whose text is not in the page's language (WCAG 3.1.2), else
    nothing. `item` is an offer (the language is read from which texts it has, see
    i18n.shown_language) or a language code already known."""
    locale = ctx.get("locale") or i18n.DEFAULT_LANGUAGE
    language = item if isinstance(item, str) else i18n.shown_language(item, field, locale)
    return Markup(' lang="{}"').format(language) if language and language != locale else Markup("")


def make_environment(assets: Assets) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates are read once per process: checking every file's time on each include was
        # a syscall per template per request, on the event loop. `serve --reload` restarts
        # the process when one changes.
        auto_reload=False,
    )
    env.install_gettext_callables(gettext=_gettext, ngettext=_ngettext, newstyle=True)  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
    env.globals.update(
        static=assets.url,
        languages=i18n.LANGUAGE_NAMES,
        role_labels=ROLE_LABELS,
        org_type_labels=ORG_TYPE_LABELS,
        need_domains=NEED_DOMAINS,
        life_phases={code: label for code, (label, _, _) in LIFE_PHASES.items()},
        service_types=SERVICE_TYPES,
        access_modes=ACCESS_MODES,
        severities=SEVERITIES,
        spoken_languages=SPOKEN_LANGUAGES,
        districts=DISTRICTS,
        place_options=PLACE_OPTIONS,
        lang_attr=_lang_attr,
    )
    env.filters.update(date=_format_date, day=_format_day, number=_format_number, money=_format_money)
    return env


def make_template_config(assets: Assets) -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(make_environment(assets)))
