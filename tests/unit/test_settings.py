from __future__ import annotations

import pytest

from backend.settings import SettingsError, load_settings


def test_development_defaults_generate_a_secret_once(tmp_path):
    env = {"PASSERELLE_VAR_DIR": str(tmp_path)}
    first = load_settings(env)
    assert first.env == "development" and not first.production
    assert first.database_url == f"sqlite:///{tmp_path / 'passerelle.sqlite3'}"
    assert len(first.secret_key) >= 32
    assert load_settings(env).secret_key == first.secret_key  # kept in var/
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_secret(tmp_path):
    with pytest.raises(SettingsError, match="SECRET_KEY is missing"):
        load_settings(
            {
                "PASSERELLE_ENV": "production",
                "PASSERELLE_VAR_DIR": str(tmp_path),
                "BASE_URL": "https://passerelle.example",
            }
        )
    assert not (tmp_path / "secret_key").exists()


def test_production_needs_https_base_url(tmp_path):
    with pytest.raises(SettingsError, match="BASE_URL must start with https://"):
        load_settings(
            {"PASSERELLE_ENV": "production", "SECRET_KEY": "x" * 40, "BASE_URL": "http://passerelle.example"}
        )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PASSERELLE_ENV": "staging"}, "PASSERELLE_ENV must be one of"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is too short"),
        ({"SESSION_IDLE_MINUTES": "soon"}, "SESSION_IDLE_MINUTES must be a whole number"),
        ({"SESSION_IDLE_MINUTES": "0"}, "SESSION_IDLE_MINUTES must be greater than 0"),
    ],
)
def test_bad_values_are_named(tmp_path, env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings({"PASSERELLE_VAR_DIR": str(tmp_path), **env})


def test_postgres_urls_use_psycopg(tmp_path):
    settings = load_settings({"PASSERELLE_VAR_DIR": str(tmp_path), "DATABASE_URL": "postgres://u@h/db"})
    assert settings.database_url == "postgresql+psycopg://u@h/db"


def test_settings_are_frozen(tmp_path):
    settings = load_settings({"PASSERELLE_VAR_DIR": str(tmp_path)})
    with pytest.raises(AttributeError):
        settings.env = "production"  # type: ignore[misc]
