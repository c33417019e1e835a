"""GET /: what each role starts from. Later capabilities fill in the empty states."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from backend.accounts.access import allow
from backend.web import render


@get("/", opt=allow(), name="home", include_in_schema=False)
async def home(request: Request) -> Template:
    user = request.scope["user"]
    return render(request, f"home/{user.role.value}.html")


ROUTES = [home]
