"""Directory pages: search with live filtering (htmx), offer details."""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from sqlmodel import col, select

from backend.accounts.access import allow
from backend.accounts.models import User
from backend.deps import Caller, Unit
from backend.directory import repository, upkeep
from backend.directory.models import DirectoryChange, DirectoryOrganization, DirectoryService
from backend.directory.search import SearchPage, SearchQuery, search
from backend.geo.reference import MUNICIPALITIES, find_municipality
from backend.i18n import N_
from backend.vocab import ACCESS_MODES, LIFE_PHASES, NEED_DOMAINS, SPOKEN_LANGUAGES
from backend.web import render, render_page_or_fragment

MAX_QUERY = 200
UNKNOWN_MUNICIPALITY = N_(
    "We do not know this municipality in the canton of Bern. Type its name or postal code."
)
BAD_AGE = N_("An age is a whole number between 0 and 120.")


@dataclass
class SearchForm:
    """What the person typed, kept as typed so the form shows it again."""

    q: str = ""
    need: str = ""
    place: str = ""
    language: str = ""
    phase: str = ""
    age: str = ""
    free: bool = False
    access: str = ""
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_request(cls, request: Request) -> SearchForm:
        params = request.query_params
        page = params.get("page", "1")
        form = cls(
            q=params.get("q", "")[:MAX_QUERY],
            need=params.get("need", "") if params.get("need") in NEED_DOMAINS else "",
            place=params.get("place", "")[:100],
            language=params.get("language", "") if params.get("language") in SPOKEN_LANGUAGES else "",
            phase=params.get("phase", "") if params.get("phase") in LIFE_PHASES else "",
            age=params.get("age", "")[:3],
            free=params.get("free") == "1",
            access=params.get("access", "") if params.get("access") in ACCESS_MODES else "",
            page=int(page) if page.isdigit() else 1,
        )
        return form

    def query(self) -> SearchQuery | None:
        municipality = None
        if self.place.strip():
            found = find_municipality(self.place)
            if found is None:
                self.errors["place"] = UNKNOWN_MUNICIPALITY
            else:
                municipality = found.bfs_number
        age = None
        if self.age.strip():
            if self.age.strip().isdigit() and int(self.age) <= 120:
                age = int(self.age)
            else:
                self.errors["age"] = BAD_AGE
        if self.errors:
            return None
        return SearchQuery(
            text=self.q,
            need_domains=(self.need,) if self.need else (),
            municipality=municipality,
            language=self.language or None,
            life_phase=self.phase or None,
            age=age,
            free_only=self.free,
            access_mode=self.access or None,
            page=self.page,
        )

    def query_for_page(self, page: int) -> str:
        """The query string of this search's page `page` (after url_for("directory.search") + "?")."""
        from urllib.parse import urlencode

        values = {
            "q": self.q,
            "need": self.need,
            "place": self.place,
            "language": self.language,
            "phase": self.phase,
            "age": self.age,
            "access": self.access,
            "page": page,
        }
        if self.free:
            values["free"] = "1"
        return urlencode({k: v for k, v in values.items() if v})


@get("/directory", name="directory.search", opt=allow(), sync_to_thread=True, include_in_schema=False)
def directory_search(request: Request, reader: Unit) -> Template:
    form = SearchForm.from_request(request)
    query = form.query()
    result: SearchPage | None = None
    if query is not None:
        result = search(reader, query)
    context = {"form": form, "result": result}
    # Live filtering asks for the results only; boosted and plain requests get the page.
    status = 422 if form.errors else 200
    return render_page_or_fragment(
        request, "directory/search.html", "directory/_results.html", context, status_code=status
    )


@get(
    "/directory/services/{service_id:str}",
    name="directory.service",
    opt=allow(),
    sync_to_thread=True,
    include_in_schema=False,
)
def service_detail(request: Request, service_id: FromPath[str], reader: Unit, user: Caller) -> Template:
    row = reader.get(DirectoryService, service_id)
    if row is None:
        raise NotFoundException()
    record = repository.to_record(reader, row)
    organization = reader.get(DirectoryOrganization, row.organization_id)
    history = reader.exec(
        select(DirectoryChange)
        .where(DirectoryChange.service_id == service_id)
        .order_by(col(DirectoryChange.at).desc())
        .limit(20)
    ).all()
    user_ids = {change.user_id for change in history if change.user_id}
    authors = (
        {
            author.id: author.display_name
            for author in reader.exec(select(User).where(col(User.id).in_(user_ids))).all()
        }
        if user_ids
        else {}
    )
    return render(
        request,
        "directory/service.html",
        {
            "service": row,
            "record": record,
            "organization": organization,
            "history": history,
            "municipalities": MUNICIPALITIES,
            "can_edit": organization is not None and upkeep.can_edit(user, organization),
            "can_set_capacity": organization is not None and upkeep.can_set_capacity(user, organization),
            "stale": upkeep.is_stale(row),
            "authors": authors,
        },
    )


ROUTES = [directory_search, service_detail]
