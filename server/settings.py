"""The one place where Roundkeeper reads its environment."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

DEFAULT_DATABASE_URL = "sqlite:///./data/roundkeeper.sqlite3"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
ENVIRONMENTS = ("development", "production")
PASSWORD_HASHING = ("standard", "fast")
DEFAULT_BLOB_MAX_BYTES = 15 * 1024 * 1024


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = DEFAULT_DATABASE_URL
    public_url: str = DEFAULT_PUBLIC_URL
    secret_key: str
    environment: str = "development"
    data_dir: Path = Path("./data")
    blob_dir: Path = Path("./data/blobs")
    blob_max_bytes: int = DEFAULT_BLOB_MAX_BYTES
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    label_font: Path | None = None
    trusted_proxies: tuple[str, ...] = ()
    # "fast" lowers the argon2 cost; only the test suite may use it.
    password_hashing: str = "standard"
    session_days: int = 14
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    # None: Secure cookies exactly when the public URL is https.
    secure_cookies: bool | None = None
    # Whether this process sends webhooks itself (from_env: on in development, off in
    # production unless asked for), and how often it looks for work.
    notify_in_process: bool = False
    notify_interval_s: int = 30
    # Networks (CIDRs) webhooks may reach although they are not public, for a receiver
    # inside the school's network; empty: public addresses only.
    webhook_allow_private: tuple[str, ...] = ()

    @property
    def cookie_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.public_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str, default: str) -> str:
            value = env.get(f"ROUNDKEEPER_{name}", "").strip()
            return value or default

        def get_int(name: str, default: int, minimum: int) -> int:
            raw = get(name, str(default))
            try:
                value = int(raw)
            except ValueError:
                raise SettingsError(
                    f"ROUNDKEEPER_{name} must be a whole number, got {raw!r}"
                ) from None
            if value < minimum:
                raise SettingsError(f"ROUNDKEEPER_{name} must be at least {minimum}, got {value}")
            return value

        environment = get("ENV", "development")
        if environment not in ENVIRONMENTS:
            raise SettingsError(f"ROUNDKEEPER_ENV must be one of {', '.join(ENVIRONMENTS)}")
        database_url = get("DATABASE_URL", DEFAULT_DATABASE_URL)
        check_database_url(database_url)
        public_url = get("PUBLIC_URL", DEFAULT_PUBLIC_URL).rstrip("/")
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SettingsError(
                f"ROUNDKEEPER_PUBLIC_URL must be an http(s) URL such as "
                f"https://school.example.cn, got {public_url!r}"
            )
        data_dir = Path(get("DATA_DIR", "./data"))
        secret_key = get("SECRET_KEY", "")
        if not secret_key:
            if environment == "production":
                raise SettingsError(
                    "ROUNDKEEPER_SECRET_KEY is required in production; generate one with "
                    "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
                )
            secret_key = _development_secret(data_dir)
        elif len(secret_key) < 32:
            raise SettingsError("ROUNDKEEPER_SECRET_KEY must be at least 32 characters")
        hashing = get("PASSWORD_HASHING", "standard")
        if hashing not in PASSWORD_HASHING:
            raise SettingsError(f"ROUNDKEEPER_PASSWORD_HASHING must be one of {PASSWORD_HASHING}")
        if hashing == "fast" and environment == "production":
            raise SettingsError("ROUNDKEEPER_PASSWORD_HASHING=fast is refused in production")
        font = get("LABEL_FONT", "")
        secure = get("SECURE_COOKIES", "").lower()
        if secure not in ("", "true", "false"):
            raise SettingsError("ROUNDKEEPER_SECURE_COOKIES must be true or false")
        proxies = tuple(p.strip() for p in get("TRUSTED_PROXIES", "").split(",") if p.strip())
        notify = get("NOTIFY_IN_PROCESS", "true" if environment == "development" else "false")
        if notify.lower() not in ("true", "false"):
            raise SettingsError("ROUNDKEEPER_NOTIFY_IN_PROCESS must be true or false")
        return cls(
            database_url=database_url,
            public_url=public_url,
            secret_key=secret_key,
            environment=environment,
            data_dir=data_dir,
            blob_dir=Path(get("BLOB_DIR", str(data_dir / "blobs"))),
            blob_max_bytes=get_int("BLOB_MAX_BYTES", DEFAULT_BLOB_MAX_BYTES, 1),
            host=get("HOST", "127.0.0.1"),
            port=get_int("PORT", 8000, 1),
            workers=get_int("WORKERS", 1, 1),
            label_font=Path(font) if font else None,
            trusted_proxies=proxies,
            password_hashing=hashing,
            session_days=get_int("SESSION_DAYS", 14, 1),
            login_max_failures=get_int("LOGIN_MAX_FAILURES", 5, 1),
            login_lockout_minutes=get_int("LOGIN_LOCKOUT_MINUTES", 15, 1),
            secure_cookies=None if not secure else secure == "true",
            notify_in_process=notify.lower() == "true",
            notify_interval_s=get_int("NOTIFY_INTERVAL_S", 30, 1),
            webhook_allow_private=_private_networks(get("WEBHOOK_ALLOW_PRIVATE", "")),
        )


def check_database_url(url: str) -> None:
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return
    if url.startswith(("postgresql://", "postgres://")):
        return
    raise SettingsError(
        "ROUNDKEEPER_DATABASE_URL must look like sqlite:///path/to/file.sqlite3 or "
        f"postgresql://user@host:5432/dbname, got {url!r}"
    )


def _private_networks(raw: str) -> tuple[str, ...]:
    """Each a network with no host bits set (a bare address is its /32 or /128), and none
    of them everything: the setting names the internal receivers, it does not switch the
    check off."""
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            network = ipaddress.ip_network(item)
        except ValueError:
            raise SettingsError(
                "ROUNDKEEPER_WEBHOOK_ALLOW_PRIVATE must list networks separated by commas, "
                f"such as 10.20.0.0/16,fd00:1::/64; {item!r} is not one"
            ) from None
        if network.prefixlen == 0:
            raise SettingsError(
                f"ROUNDKEEPER_WEBHOOK_ALLOW_PRIVATE may not allow every address ({item}); "
                "list the networks of the internal receivers"
            )
        networks.append(str(network))
    return tuple(networks)


def _development_secret(data_dir: Path) -> str:
    """A per-checkout key kept in the data directory, so development needs no set-up."""
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key
