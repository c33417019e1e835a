"""Shared fixtures: fresh databases on SQLite and (with TEST_DATABASE_URL) PostgreSQL, the
real server on a free port, and Chromium through Playwright with a screenshot on failure."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import CHROMIUM, ROOT, DatabaseFactory, LiveServer

BACKENDS = ["sqlite", "postgresql"]
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
ARTIFACTS = ROOT / "test-artifacts"


def _skip_without_postgres(backend: str) -> None:
    if backend == "postgresql" and not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped (.ci/run sets it)")


@pytest.fixture(scope="session")
def factories(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, DatabaseFactory]]:
    made: dict[str, DatabaseFactory] = {}

    class Lazy(dict):
        def __missing__(self, backend: str) -> DatabaseFactory:
            factory = DatabaseFactory(backend, tmp_path_factory.mktemp(f"db-{backend}"), POSTGRES_URL)
            made[backend] = factory
            self[backend] = factory
            return factory

    yield Lazy()
    for factory in made.values():
        factory.cleanup()


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    _skip_without_postgres(request.param)
    return request.param


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, factories, tmp_path_factory) -> Iterator[LiveServer]:
    """One live server per test module and database backend, with the demo data."""
    _skip_without_postgres(request.param)
    live = LiveServer(factories[request.param].new(), tmp_path_factory.mktemp("var")).start()
    yield live
    live.stop()


@pytest.fixture
def make_server(factories, tmp_path_factory) -> Iterator:
    """For tests that need a server of their own (stopping it, other settings)."""
    started: list[LiveServer] = []

    def make(backend: str = "sqlite", **env: str) -> LiveServer:
        live = LiveServer(factories[backend].new(), tmp_path_factory.mktemp("var"), **env)
        started.append(live.start())
        return live

    yield make
    for live in started:
        live.stop()


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as c:
        yield c


# --- browser --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make test` (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
    yield chromium
    chromium.close()


@pytest.fixture
def persistent_context(playwright, tmp_path) -> Iterator:
    """A browser profile on disk, like an installed app's (not incognito)."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, locale="de-CH"
    )
    yield context
    context.close()


@pytest.fixture(scope="module")
def e2e_server(factories, tmp_path_factory) -> Iterator[LiveServer]:
    live = LiveServer(factories["sqlite"].new(), tmp_path_factory.mktemp("var")).start()
    yield live
    live.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def context(browser, request: pytest.FixtureRequest) -> Iterator:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-CH")
    yield ctx
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-120:]
        for index, page in enumerate(ctx.pages):
            try:
                page.screenshot(path=str(ARTIFACTS / f"{name}-{index}.png"), full_page=True)
            except Exception as error:
                print(f"screenshot failed: {error}")
    ctx.close()


@pytest.fixture
def page(context) -> object:
    return context.new_page()
