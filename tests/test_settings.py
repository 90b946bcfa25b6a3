from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import Settings, SettingsError


def test_defaults_are_the_embedded_development_setup(tmp_path: Path):
    settings = Settings.from_env({"ROUNDKEEPER_DATA_DIR": str(tmp_path)})
    assert settings.database_url == "sqlite:///./data/roundkeeper.sqlite3"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.blob_dir == tmp_path / "blobs"
    assert settings.port == 8000 and settings.environment == "development"
    assert not settings.cookie_secure
    # The development key is made once and kept.
    assert len(settings.secret_key) >= 32
    assert (
        Settings.from_env({"ROUNDKEEPER_DATA_DIR": str(tmp_path)}).secret_key == settings.secret_key
    )


def test_production_needs_a_secret_key_and_says_how_to_make_one(tmp_path: Path):
    with pytest.raises(SettingsError, match="ROUNDKEEPER_SECRET_KEY is required") as raised:
        Settings.from_env({"ROUNDKEEPER_ENV": "production", "ROUNDKEEPER_DATA_DIR": str(tmp_path)})
    assert "secrets.token_urlsafe" in str(raised.value)
    with pytest.raises(SettingsError, match="at least 32"):
        Settings.from_env({"ROUNDKEEPER_ENV": "production", "ROUNDKEEPER_SECRET_KEY": "short"})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", "mysql://x", "ROUNDKEEPER_DATABASE_URL must look like"),
        ("PUBLIC_URL", "school.example.cn", "ROUNDKEEPER_PUBLIC_URL must be an http(s) URL"),
        ("PORT", "eighty", "ROUNDKEEPER_PORT must be a whole number"),
        ("WORKERS", "0", "ROUNDKEEPER_WORKERS must be at least 1"),
        ("ENV", "staging", "ROUNDKEEPER_ENV must be one of"),
        ("SECURE_COOKIES", "maybe", "ROUNDKEEPER_SECURE_COOKIES must be true or false"),
    ],
)
def test_a_bad_value_names_its_variable(tmp_path: Path, name: str, value: str, message: str):
    env = {"ROUNDKEEPER_DATA_DIR": str(tmp_path), f"ROUNDKEEPER_{name}": value}
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env)


def test_https_public_url_means_secure_cookies_and_a_trailing_slash_is_dropped(tmp_path: Path):
    settings = Settings.from_env(
        {"ROUNDKEEPER_DATA_DIR": str(tmp_path), "ROUNDKEEPER_PUBLIC_URL": "https://rk.example.cn/"}
    )
    assert settings.public_url == "https://rk.example.cn"
    assert settings.cookie_secure


def test_fast_password_hashing_is_refused_in_production():
    with pytest.raises(SettingsError, match="refused in production"):
        Settings.from_env(
            {
                "ROUNDKEEPER_ENV": "production",
                "ROUNDKEEPER_SECRET_KEY": "k" * 40,
                "ROUNDKEEPER_PASSWORD_HASHING": "fast",
            }
        )
