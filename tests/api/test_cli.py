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
