"""The installable shell: web app manifest, the service worker at /sw.js, offline pages."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from backend.accounts.access import public
from backend.i18n import LANGUAGES, N_, translate
from backend.pwa.assets import Assets
from backend.web import render

# The worker file is checked on every navigation (no-cache) so updates arrive promptly.
NO_CACHE = "no-cache"
ONE_DAY = "public, max-age=86400"
APP_DESCRIPTION = N_("Social prescribing for the canton of Bern")


@get("/sw.js", name="pwa.service_worker", opt=public(), include_in_schema=False)
async def service_worker(request: Request) -> Response:
    return Response(
        request.app.state.service_worker,
        media_type="text/javascript",
        headers={"Cache-Control": NO_CACHE, "Service-Worker-Allowed": "/"},
    )


@get("/manifest.webmanifest", name="pwa.manifest", opt=public(), include_in_schema=False)
async def manifest(request: Request) -> Response:
    assets: Assets = request.app.state.assets
    locale = request.state.locale
    body = {
        "id": "/",
        "name": "Passerelle",
        "short_name": "Passerelle",
        "description": translate(locale, APP_DESCRIPTION),
        "lang": locale,
        "start_url": request.app.route_reverse("home.index"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5a6b",
        "icons": [
            _icon(assets, "icons/icon-192.png", "192x192"),
            _icon(assets, "icons/icon-512.png", "512x512"),
            _icon(assets, "icons/icon-maskable-512.png", "512x512", purpose="maskable"),
            _icon(assets, "icons/icon.svg", "any", type="image/svg+xml"),
        ],
    }
    return Response(
        body,
        media_type="application/manifest+json",
        headers={"Cache-Control": ONE_DAY, "Vary": "Accept-Language, Cookie"},
    )


def _icon(assets: Assets, name: str, sizes: str, purpose: str = "any", type: str = "image/png") -> dict:
    return {"src": assets.url(name), "sizes": sizes, "type": type, "purpose": purpose}


@get("/offline/{language:str}", name="pwa.offline", opt=public(), include_in_schema=False)
async def offline_page(request: Request, language: FromPath[str]) -> Template:
    """Public and free of personal data, so the worker may cache it."""
    if language not in LANGUAGES:
        raise NotFoundException()
    return render(
        request,
        "offline.html",
        {"user": None, "csrf_token": "", "demo": False, "offline": True},
        locale=language,
        headers={"Cache-Control": ONE_DAY},
    )


ROUTES = [service_worker, manifest, offline_page]
