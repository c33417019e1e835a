"""GET /api/v1/instruments: the screening instruments as data, in the request's language."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from backend.accounts.access import public
from backend.i18n import LANGUAGES
from backend.screening.instruments import all_instruments, translated

# Public: instruments hold no personal data, the self-check needs them without an account,
# and the service worker precaches them for offline screenings.
CACHE = {"Cache-Control": "public, max-age=300", "Vary": "Accept-Language, Cookie"}


def _language(request: Request) -> str:
    wanted = request.query_params.get("lang")
    locale: str = request.state.locale
    return wanted if wanted in LANGUAGES else locale


@get("/api/v1/instruments", name="screening.api.instruments", opt=public(), tags=["Screening"])
async def list_instruments(request: Request) -> Response:
    language = _language(request)
    return Response(
        [
            {
                "id": i["id"],
                "version": i["version"],
                "audience": i["audience"],
                "title": translated(i, language)["title"],
            }
            for i in all_instruments().values()
        ],
        headers={**CACHE, "Content-Language": language},
    )


@get(
    "/api/v1/instruments/{instrument_id:str}",
    name="screening.api.instrument",
    opt=public(),
    tags=["Screening"],
)
async def get_instrument(request: Request, instrument_id: FromPath[str]) -> Response:
    instrument = all_instruments().get(instrument_id)
    if instrument is None:
        raise NotFoundException()
    language = _language(request)
    return Response(translated(instrument, language), headers={**CACHE, "Content-Language": language})


ROUTES = [list_instruments, get_instrument]
