"""The operator's commands, run as an operator would."""

from __future__ import annotations

import httpx

from tests.support import base_env, cli


def test_every_command_has_help(tmp_path):
    env = base_env(tmp_path, f"sqlite:///{tmp_path}/x.sqlite3")
    for command in [
        [],
        ["serve"],
        ["worker"],
        ["db", "upgrade"],
        ["db", "backup"],
        ["db", "restore"],
        ["db", "check"],
        ["demo", "seed"],
        ["users", "create"],
        ["tokens", "create"],
        ["tokens", "revoke"],
        ["organisations", "create"],
        ["check"],
    ]:
        result = cli(*command, "--help", env=env)
        assert "Usage:" in result.stdout, command


def test_users_and_tokens_from_the_command_line(db_backend, factories, make_server):
    server = make_server(db_backend)
    env = server.env
    created = cli(
        "users",
        "create",
        "nora",
        "--role",
        "nurse",
        "--organisation",
        "Spitex Demo Emmental",
        "--name",
        "Nora Test",
        env=env,
        input="a-long-password\n",
    )
    assert "created nora (nurse)" in created.stdout
    assert "a-long-password" not in created.stdout + created.stderr

    token = cli("tokens", "create", "--user", "nora", "--name", "export", env=env).stdout.strip()
    assert token.startswith("psg_")
    # Stored as a hash only.
    stored = server.database.execute("SELECT token_hash, prefix FROM api_token")
    assert all(token not in row for row in stored)

    me = httpx.get(server.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["username"] == "nora" and me.json()["role"] == "nurse"

    listing = cli("tokens", "list", "--user", "nora", env=env).stdout
    token_id = listing.split()[0]
    assert "active" in listing and token[:12] in listing
    cli("tokens", "revoke", token_id, env=env)
    revoked = httpx.get(server.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401
    assert "widerrufen" in revoked.json()["message"]


def test_bad_input_gets_a_message_not_a_traceback(tmp_path, factories):
    database = factories["sqlite"].new()
    env = base_env(tmp_path, database.url)
    short = cli(
        "users",
        "create",
        "x",
        "--role",
        "nurse",
        "--organisation",
        "Spitex Demo Emmental",
        env=env,
        input="short\n",
        check=False,
    )
    assert short.returncode != 0 and "at least 10 characters" in short.stderr
    assert "Traceback" not in short.stderr
    no_org = cli(
        "users", "create", "y", "--role", "coordinator", env=env, input="long-enough-pw\n", check=False
    )
    assert no_org.returncode != 0 and "needs an organisation" in no_org.stderr
    taken = cli(
        "users", "create", "pflege", "--role", "admin", env=env, input="long-enough-pw\n", check=False
    )
    assert taken.returncode != 0 and "taken" in taken.stderr


def test_demo_seed_refuses_production(tmp_path):
    env = base_env(
        tmp_path,
        f"sqlite:///{tmp_path}/p.sqlite3",
        PASSERELLE_ENV="production",
        SECRET_KEY="s" * 48,
        BASE_URL="https://passerelle.example",
    )
    result = cli("demo", "seed", env=env, check=False)
    assert result.returncode != 0
    assert "refuses to run in production" in result.stderr


def test_serve_refuses_production_without_secret(tmp_path):
    env = base_env(
        tmp_path,
        f"sqlite:///{tmp_path}/p.sqlite3",
        PASSERELLE_ENV="production",
        BASE_URL="https://passerelle.example",
    )
    result = cli("serve", "--port", "1", env=env, check=False)
    assert result.returncode != 0 and "SECRET_KEY is missing" in result.stderr


def test_worker_purges_idle_sessions(factories, tmp_path):
    database = factories["sqlite"].new()
    env = base_env(tmp_path, database.url)
    database.execute(
        "INSERT INTO login_session (id, user_id, created_at, last_seen_at) "
        "VALUES ('old', 1, '2020-01-01 00:00:00', '2020-01-01 00:00:00')"
    )
    result = cli("worker", "--once", env=env)
    assert "'sessions_removed': 1" in result.stdout
    assert database.execute("SELECT count(*) FROM login_session")[0][0] == 0


# --- check --deploy (issue 18) -------------------------------------------------------------------

GOOD_SECRET = "kT3vQ9zX1mB7wR5yL2nC8pF4hJ6dG0sA-uE_iO"  # 38 characters, 36 different


def _production_env(tmp_path, database_url: str, **extra: str) -> dict[str, str]:
    return base_env(
        tmp_path,
        database_url,
        PASSERELLE_ENV="production",
        SECRET_KEY=GOOD_SECRET,
        BASE_URL="https://passerelle.example.ch",
        VAPID_SUBJECT="mailto:betrieb@passerelle.example.ch",
        TRUSTED_PROXIES="127.0.0.1",
        **extra,
    )


def _empty_database(factories, backend: str, tmp_path) -> str:
    """A database of its own without the demo data (the factories' copies have it)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/production.sqlite3"
    return factories["postgresql"].empty().url


def _problems(result) -> list[str]:
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("problem: ")]


def test_check_deploy_names_every_unsafe_setting(factories, tmp_path):
    database = factories["sqlite"].new()  # migrated, with the demo data
    env = base_env(
        tmp_path,
        database.url,
        PASSERELLE_ENV="production",
        SECRET_KEY="s" * 48,
        BASE_URL="http://passerelle.example.ch",
        VAPID_SUBJECT="admin@passerelle.example.ch",
        TRUSTED_PROXIES="0.0.0.0/0",
        FORWARDED_ALLOW_IPS="*",
        WEB_CONCURRENCY="4",
    )
    problems = _problems(cli("check", "--deploy", env=env, check=False))
    expected = [
        "SECRET_KEY looks like a placeholder",
        "BASE_URL is 'http://passerelle.example.ch': set it to the public https:// address",
        "VAPID_SUBJECT is 'admin@passerelle.example.ch': it must start with mailto: or https:",
        "TRUSTED_PROXIES contains 0.0.0.0/0, which believes every client's X-Forwarded-For",
        "FORWARDED_ALLOW_IPS is set",
        "vapid init",
        "SQLite with 4 web processes",
        "the database holds demo data (9 in user_account",
    ]
    assert len(problems) == len(expected), problems
    for part, line in zip(expected, problems, strict=True):
        assert part in line, (part, line)

    # Missing values, the development mode and a database behind the code.
    database.execute("UPDATE alembic_version SET version_num = '5d2f8e1a9c37'")
    env = base_env(tmp_path, database.url, WEB_CONCURRENCY="1")
    cli("vapid", "init", env=env)
    problems = _problems(cli("check", "--deploy", env=env, check=False))
    expected = [
        "PASSERELLE_ENV is 'development' (debug",
        "SECRET_KEY is missing: set it",
        "BASE_URL is not set",
        "VAPID_SUBJECT is not set",
        "TRUSTED_PROXIES is not set, but production runs behind a reverse proxy",
        "the database is not at the migrations' head (it is at 5d2f8e1a9c37",
    ]
    assert len(problems) == len(expected), problems
    for part, line in zip(expected, problems, strict=True):
        assert part in line, (part, line)
    # Without --deploy, only the database.
    plain = _problems(cli("check", env=env, check=False))
    assert len(plain) == 1 and "db upgrade" in plain[0]


def test_check_deploy_passes_a_good_configuration(db_backend, factories, tmp_path):
    env = _production_env(tmp_path, _empty_database(factories, db_backend, tmp_path), WEB_CONCURRENCY="1")
    cli("vapid", "init", env=env)
    never_migrated = _problems(cli("check", "--deploy", env=env, check=False))
    assert len(never_migrated) == 1 and "db upgrade" in never_migrated[0]
    cli("db", "upgrade", env=env)
    result = cli("check", "--deploy", env=env)
    assert result.stdout.strip() == "OK: ready for production" and result.stderr == ""
    if db_backend == "postgresql":  # several web processes are fine on PostgreSQL
        assert cli("check", "--deploy", env={**env, "WEB_CONCURRENCY": "4"}).returncode == 0
    else:
        problems = _problems(cli("check", "--deploy", env={**env, "WEB_CONCURRENCY": "4"}, check=False))
        assert len(problems) == 1 and "SQLite with 4 web processes" in problems[0]


def test_check_deploy_does_not_show_the_database_password(tmp_path):
    env = _production_env(tmp_path, "postgresql+psycopg://passerelle:hunter2-secret@127.0.0.1:1/passerelle")
    result = cli("check", "--deploy", env=env, check=False)
    problems = _problems(result)
    assert any("the database cannot be reached (OperationalError)" in line for line in problems), problems
    assert "hunter2" not in result.stdout + result.stderr
