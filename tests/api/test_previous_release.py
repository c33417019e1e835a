"""Zero-downtime migrations (issue 18): during a rolling deploy the previous release's code serves
the new schema. The release before the worker_heartbeat migration (9a41c7e2b5d8, issue 18) is
taken from git, the database is migrated and seeded by the current code, and the previous
release's server and worker run against it: a nurse's journey, a sync batch, a referral seen by
both sides, one worker round — no 500. Then the other direction: the current server's /readyz
waits for a worker of the current release (the previous one stamps no heartbeat), which is why
the README's deploy order restarts the workers before the app servers."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.db.migrate import head_revisions
from tests.api.test_sync import visit
from tests.support import PYTHON, ROOT, LiveServer, api_referral, cli, login

# The release before each migration of issues 17 and 18 that a running release meets.
MIGRATIONS = [
    "9a41c7e2b5d8",  # worker_heartbeat (issue 18): a new table
    "cb7e559492ee",  # device credentials (issue 17), and 5d2f8e1a9c37 referrals to arrange after it
]


def _git(*args: str) -> str | None:
    result = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=60)
    return result.stdout.strip() if result.returncode == 0 else None


@pytest.fixture(scope="module", params=MIGRATIONS)
def previous_release(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """The tree of the commit just before the migration was added, as a release ships it
    (translations compiled)."""
    migration = request.param
    if shutil.which("git") is None:
        pytest.skip("git is not installed: the previous release cannot be extracted")
    if _git("rev-parse", "--is-shallow-repository") != "false":
        pytest.skip("not a full git clone (shallow, or no .git): the previous release is not in the history")
    added = _git(
        "log", "--diff-filter=A", "--format=%H", "--", f"backend/db/migrations/versions/*{migration}*"
    )
    if not added:
        pytest.skip(f"the commit that added migration {migration} is not in the history")
    parent = _git("rev-parse", "--verify", f"{added.splitlines()[-1]}^")
    if parent is None:
        pytest.skip(f"the commit before migration {migration} is not in the history")
    tree = tmp_path_factory.mktemp("previous-release")
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", parent], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    assert not list(tree.glob(f"backend/db/migrations/versions/*{migration}*"))
    subprocess.run(
        [PYTHON, "-c", "from babel.messages.frontend import main; main()", "compile", "-d", "locales"],
        cwd=tree,
        check=True,
        capture_output=True,
    )
    yield tree


def test_the_previous_release_serves_the_new_schema(
    db_backend, factories, tmp_path_factory, previous_release
):
    database = factories[db_backend].new()  # migrated to head and seeded by the current code
    assert [row[0] for row in database.execute("SELECT version_num FROM alembic_version")] == sorted(
        head_revisions()
    )
    assert database.execute("SELECT count(*) FROM worker_heartbeat") == [(0,)]  # the migration ran
    # Both releases side by side on one database, as during a rolling deploy.
    new = LiveServer(database, tmp_path_factory.mktemp("var-new"), WORKER_IN_PROCESS="0").start()
    old = LiveServer(
        database, tmp_path_factory.mktemp("var-old"), cwd=previous_release, WORKER_IN_PROCESS="0"
    )
    try:
        old.start()  # the previous code does not refuse a database ahead of its migrations
        token = cli("tokens", "create", "--user", "pflege", "--name", "deploy", env=new.env).stdout.strip()
        # Written by the current release: a referral to an offer not on Passerelle, which it
        # leaves `ready` for the nurse to arrange (issue 17); the release before 17 never wrote that.
        arranged = api_referral(new, token, "A. R.", organization="Caritas Bern")[1]
        assert database.execute("SELECT status FROM referral WHERE id = :r", r=arranged) == [("ready",)]

        with httpx.Client(base_url=old.url, timeout=20) as nurse:
            assert login(nurse, "pflege").status_code == 303
            assert nurse.get("/").status_code == 200
            search = nurse.get("/directory", params={"q": "Besuch", "place": "Langnau im Emmental"})
            assert search.status_code == 200 and "Pro Senectute" in search.text
            batch = visit(old, "O. R.")
            synced = httpx.post(
                f"{old.url}/api/v1/sync",
                json={"records": batch},
                headers={"Authorization": f"Bearer {token}"},
                timeout=20,
            )
            assert synced.status_code == 200, synced.text
            assert [r["status"] for r in synced.json()["results"]] == ["accepted"] * 3
            referral = batch[2]["id"]
            page = nurse.get(f"/referrals/{referral}")
            assert page.status_code == 200 and "O. R." in page.text
            listed = nurse.get("/referrals")
            assert listed.status_code == 200 and "O. R." in listed.text and "A. R." in listed.text
            assert nurse.get(f"/referrals/{arranged}").status_code == 200
        with httpx.Client(base_url=old.url, timeout=20) as coordinator:
            assert login(coordinator, "koordination").status_code == 303
            assert coordinator.get("/inbox").status_code == 200
            case = coordinator.get(f"/inbox/{referral}")
            assert case.status_code == 200 and "O. R." in case.text
        assert httpx.get(f"{old.url}/healthz", timeout=10).status_code == 200

        # The previous release's worker: one round on the new schema (the referral's notification).
        cli("vapid", "init", env=old.env, cwd=previous_release)
        round_ = cli("worker", "--once", env=old.env, cwd=previous_release)
        assert "Traceback" not in round_.stdout + round_.stderr
        assert (
            database.execute("SELECT count(*) FROM notification WHERE referral_id = :r", r=referral)[0][0]
            >= 1
        )
        assert database.execute("SELECT count(*) FROM worker_heartbeat") == [(0,)]  # it knows no heartbeat

        # So the current release's /readyz waits for a current worker: restart the workers
        # before the app servers (README, expand/contract), or new servers get no traffic.
        assert httpx.get(f"{new.url}/readyz", timeout=10).status_code == 503
        cli("worker", "--once", env=new.env)
        assert httpx.get(f"{new.url}/readyz", timeout=10).status_code == 200
    finally:
        old.stop()
        new.stop()
    assert "Traceback" not in old.log() + new.log()
