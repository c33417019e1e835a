"""Named routes: every handler has a name, and URLs are built from the names, never written out.

A template that writes `href="/clients/{{ id }}"` breaks silently when the route moves;
`url_for("clients.show", client_id=id)` fails the page at once, naming the route.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler

from backend.app import create_app
from backend.settings import load_settings
from backend.urls import PATHS, path_for
from tests.support import ROOT

TEMPLATES = ROOT / "frontend" / "templates"
# <capability>.<page or action>, JSON under <capability>.api.<action> (see backend/app.py).
ROUTE_NAME = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
# An attribute whose value is a path of ours: href="/…", action="/…", hx-get="/…", formaction="/…",
# src="/…", data-key-url="/…" (a `//host` address is external; assets come from static(...)).
PATH_ATTRIBUTE = re.compile(r"""[\w:.@-]+\s*=\s*(["'])/(?![/\\])""")
# A path written as a string inside a Jinja tag: {{ '/directory/services/' ~ id }}.
JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
PATH_LITERAL = re.compile(r"""(["'])/(?![/\\])""")
STATIC_PREFIX = "/static/"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Litestar:
    return create_app(load_settings({"PASSERELLE_VAR_DIR": str(tmp_path_factory.mktemp("routes"))}))


def our_handlers(app: Litestar) -> Iterator[HTTPRouteHandler]:
    """The application's handlers (not the static files, OpenAPI or automatic OPTIONS ones)."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            fn = getattr(handler.fn, "func", handler.fn)  # sync_to_thread wraps the function
            if isinstance(handler, HTTPRouteHandler) and fn.__module__.startswith("backend."):
                yield handler


def test_every_route_handler_has_a_name(app):
    handlers = list(our_handlers(app))
    assert len(handlers) > 50
    unnamed = sorted(f"{sorted(h.paths)} {h.handler_name}" for h in handlers if not h.name)
    assert not unnamed, f"route handlers without name=: {unnamed}"
    odd = sorted(h.name for h in handlers if h.name and not ROUTE_NAME.match(h.name))
    assert not odd, f"route names not in the <capability>.<page> scheme: {odd}"


def written_paths(path: Path, root: Path = ROOT) -> Iterator[str]:
    text = path.read_text(encoding="utf-8")
    found = [m.start() for m in PATH_ATTRIBUTE.finditer(text)]
    for tag in JINJA_TAG.finditer(text):
        found += [tag.start() + m.start() for m in PATH_LITERAL.finditer(tag.group())]
    for offset in sorted(set(found)):
        line = text.count("\n", 0, offset) + 1
        snippet = text[offset : text.find("\n", offset)].strip()[:80]
        if STATIC_PREFIX not in snippet[:40]:
            yield f"{path.relative_to(root)}:{line}: {snippet}"


def test_templates_build_application_urls_from_route_names():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert templates
    written = [hit for path in templates for hit in written_paths(path)]
    assert not written, "application paths written into templates (use url_for):\n" + "\n".join(written)


def test_the_scan_finds_written_paths(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '<a href="https://example.org/x">ok</a> <img src="{{ static(\'x.png\') }}">\n'
        '<form action="/clients" hx-post="/clients">\n'
        '<a href="{{ \'/inbox/\' ~ id }}">x</a> <link href="//cdn.example/x">\n'
    )
    hits = [hit.split(": ", 1)[0] for hit in written_paths(page, tmp_path)]
    assert hits == ["page.html:2", "page.html:2", "page.html:3"]


@pytest.mark.parametrize("name", sorted(PATHS))
def test_paths_outside_a_request_match_the_routes(app, name):
    params = {param: f"{param}-1" for param in re.findall(r"\{(\w+)\}", PATHS[name])}
    assert path_for(name, **params) == app.route_reverse(name, **params)
