"""Backups that restore: `db backup` taken while nurses write, `db restore` into a fresh
database, `db check`, and the app serving the restored copy — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from tests.api.test_sync import visit
from tests.support import Database, LiveServer, base_env, cli, login


def _new_client(http: httpx.Client, name: str) -> str:
    made = http.post(
        "/api/v1/clients",
        json={"display_name": name, "birth_year": 1944, "municipality": 351, "language": "de"},
    )
    assert made.status_code == 201, made.text
    return made.json()["id"]


def _fresh_database(backend: str, factories, tmp_path: Path) -> Database:
    if backend == "sqlite":
        return Database(f"sqlite:///{tmp_path / 'restored.sqlite3'}")  # no file yet
    return factories["postgresql"].empty()


def test_a_backup_taken_under_write_load_restores_and_serves(db_backend, factories, make_server, tmp_path):
    server = make_server(db_backend)
    token = cli("tokens", "create", "--user", "pflege", "--name", "load", env=server.env).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, timeout=30, headers=headers) as http:
        before_id = _new_client(http, "Written Before")

    # Write load: three tablets syncing visits, one nurse creating clients online.
    stop = threading.Event()
    lock = threading.Lock()
    done: list[tuple[float, float]] = []  # (start, end) of each accepted write
    sent: set[str] = set()
    failures: list[str] = []

    def tablet(i: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30, headers=headers) as http:
            n = 0
            while not stop.is_set():
                records = visit(server, f"Load {i * 1000 + n}")
                n += 1
                started = time.monotonic()
                answer = http.post("/api/v1/sync", json={"records": records})
                statuses = (
                    [r["status"] for r in answer.json()["results"]] if answer.status_code == 200 else []
                )
                with lock:
                    if statuses != ["accepted"] * 3:
                        failures.append(f"{answer.status_code} {statuses or answer.text[:200]}")
                    else:
                        sent.update(r["id"] for r in records)
                        done.append((started, time.monotonic()))

    def online() -> None:
        with httpx.Client(base_url=server.url, timeout=30, headers=headers) as http:
            n = 0
            while not stop.is_set():
                started = time.monotonic()
                _new_client(http, f"Online {n}")
                n += 1
                with lock:
                    done.append((started, time.monotonic()))

    threads = [threading.Thread(target=tablet, args=(i,)) for i in range(3)]
    threads.append(threading.Thread(target=online))
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.8)
        backup_file = tmp_path / ("passerelle.sqlite3" if db_backend == "sqlite" else "passerelle.dump")
        backup_started = time.monotonic()
        made = cli("db", "backup", str(backup_file), env=server.env)
        backup_ended = time.monotonic()
        time.sleep(0.8)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not failures, failures[:5]
    assert "backup written to" in made.stdout
    assert ("pg_dump -Fc" if db_backend == "postgresql" else "SQLite online backup") in made.stdout
    # The backup was taken while writes went on: some finished before it, some began after it.
    assert sum(1 for _, end in done if end < backup_started) >= 3
    assert sum(1 for start, _ in done if start > backup_ended) >= 3
    with httpx.Client(base_url=server.url, timeout=30, headers=headers) as http:
        after_id = _new_client(http, "Written After")

    # The live database holds data: restoring over it needs --force.
    refused = cli("db", "restore", str(backup_file), env=server.env, check=False)
    assert refused.returncode != 0 and "--force" in refused.stderr

    restored = _fresh_database(db_backend, factories, tmp_path)
    env = base_env(tmp_path / "restored-var", restored.url)
    cli("db", "restore", str(backup_file), env=env)
    checked = cli("db", "check", env=env)
    assert "database ok" in checked.stdout
    counts = {
        line.split()[0]: int(line.split()[1]) for line in checked.stdout.splitlines() if line.startswith("  ")
    }

    # A consistent moment: every synced record's target exists, every referral its client and
    # its sync record (written in the same transaction), and the writes after it are absent.
    for kind in ("client", "screening", "referral"):
        missing = restored.execute(
            f"SELECT count(*) FROM sync_record s WHERE s.type = '{kind}' "
            f"AND NOT EXISTS (SELECT 1 FROM {kind} t WHERE t.id = s.id)"
        )[0][0]
        assert missing == 0, kind
    assert restored.execute(
        "SELECT count(*) FROM referral r WHERE NOT EXISTS (SELECT 1 FROM client c WHERE c.id = r.client_id)"
    ) == [(0,)]
    referrals = {row[0] for row in restored.execute("SELECT id FROM referral")}
    synced = {row[0] for row in restored.execute("SELECT id FROM sync_record")}
    assert referrals and referrals <= sent and referrals <= synced
    live_records = server.database.execute("SELECT count(*) FROM sync_record")[0][0]
    assert 0 < counts["sync_record"] == len(synced) < live_records
    assert counts["client"] == restored.execute("SELECT count(*) FROM client")[0][0]

    # The app serves the restored copy: log in, read what was written before the backup.
    app = LiveServer(restored, tmp_path / "restored-var").start()
    try:
        with httpx.Client(base_url=app.url, timeout=30) as browser:
            assert login(browser, "pflege").status_code == 303
            read = browser.get(f"/api/v1/clients/{before_id}")
            assert read.status_code == 200, read.text
            assert read.json()["display_name"] == "Written Before"
            assert browser.get(f"/api/v1/clients/{after_id}").status_code == 404
    finally:
        app.stop()


def test_check_and_restore_say_what_is_wrong(tmp_path):
    empty = tmp_path / "nothing.sqlite3"
    env = base_env(tmp_path / "var", f"sqlite:///{empty}")
    missing = cli("db", "check", env=env, check=False)
    assert missing.returncode != 0 and "does not exist" in missing.stderr

    cli("db", "upgrade", env=env)
    ok = cli("db", "check", env=env)
    assert "database ok" in ok.stdout and "client" in ok.stdout

    # A row that points at nothing (written with foreign keys off) is found.
    import sqlite3

    connection = sqlite3.connect(empty)
    connection.execute(
        "INSERT INTO client (id, organisation_id, display_name, birth_year, municipality, language, "
        "created_at, updated_at) VALUES ('c-1', 999, 'X', 1940, 902, 'de', '2026-01-01', '2026-01-01')"
    )
    connection.commit()
    connection.close()
    orphan = cli("db", "check", env=env, check=False)
    assert orphan.returncode != 0
    assert "1 row(s) of client point at a missing organisation" in orphan.stderr

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    wrong = cli("db", "restore", str(not_a_backup), env=env, check=False)
    assert wrong.returncode != 0 and "not a SQLite backup" in wrong.stderr
