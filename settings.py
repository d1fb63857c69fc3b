"""Every environment variable of the contract, read once, typed and checked."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ENVIRONMENTS = ("development", "test", "production")
MIN_SECRET_BYTES = 32


class SettingsError(RuntimeError):
    """A configuration problem, told to the operator in plain words."""


@dataclass(frozen=True)
class Limits:
    """Throttle limits as (count, seconds); settings so load tests can raise them."""

    login_account: tuple[int, int] = (5, 300)
    login_ip: tuple[int, int] = (10, 60)
    signup_ip: tuple[int, int] = (20, 60)
    forgot_address_minute: tuple[int, int] = (1, 60)
    forgot_address_hour: tuple[int, int] = (5, 3600)
    forgot_ip: tuple[int, int] = (20, 60)
    resend_confirmation: tuple[int, int] = (1, 180)
    account_change: tuple[int, int] = (5, 60)


@dataclass(frozen=True)
class Settings:
    app_env: str
    data_dir: Path
    database_url: str | None
    secret_key: str
    base_url: str
    smtp_url: str | None
    mail_from: str
    mailer_url: str | None
    mailer_secret: str | None
    trusted_proxy_count: int
    s3_bucket: str | None
    s3_endpoint_url: str | None
    aws_region: str | None
    tiles_base_url: str | None
    auto_migrate: bool
    mail_retry_cap: float = 30.0
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    db_timeout: float = 2.0
    limits: Limits = field(default_factory=Limits)

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    @property
    def development(self) -> bool:
        return self.app_env == "development"

    @property
    def https(self) -> bool:
        """The site is served over https: its cookies are marked Secure and it sends HSTS."""
        return self.base_url.startswith("https://")

    @property
    def keeps_mail(self) -> bool:
        """No SMTP server and no mailer: messages are kept for /dev/outbox."""
        return not self.smtp_url and not self.mailer_url


def _secret_from(data_dir: Path) -> str:
    """Read or create the development secret; the first writer wins, atomically."""
    path = data_dir / "secret_key"
    data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        candidate = data_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        candidate.write_text(secrets.token_urlsafe(48))
        candidate.chmod(0o600)
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    return path.read_text().strip()


def _url(value: str, name: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        raise SettingsError(f"{name} must look like {schemes[0]}://host:port, not {value!r}")
    return value


def _number(env: Mapping[str, str], name: str, default: str) -> float:
    try:
        return float(env.get(name, default))
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number") from exc


def _limits(env: Mapping[str, str]) -> Limits:
    """THROTTLE_<NAME>=count/seconds overrides a limit, e.g. THROTTLE_SIGNUP_IP=1000/60."""
    chosen: dict[str, tuple[int, int]] = {}
    for name in Limits.__dataclass_fields__:
        raw = env.get(f"THROTTLE_{name.upper()}")
        if raw is None:
            continue
        count, _, seconds = raw.partition("/")
        if not (count.isdigit() and seconds.isdigit() and int(seconds) > 0):
            raise SettingsError(f"THROTTLE_{name.upper()} must look like 5/300 (count/seconds)")
        chosen[name] = (int(count), int(seconds))
    return Limits(**chosen)


def load(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    app_env = env.get("APP_ENV", "production")
    if app_env not in ENVIRONMENTS:
        raise SettingsError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {app_env!r}")
    production = app_env == "production"
    data_dir = Path(env.get("DATA_DIR", "./.data")).resolve()

    missing = [
        name
        for name in ("SECRET_KEY", "DATABASE_URL", "BASE_URL")
        if production and not env.get(name)
    ]
    if production and not (env.get("SMTP_URL") or env.get("MAILER_URL")):
        missing.append("SMTP_URL or MAILER_URL")
    if missing:
        raise SettingsError(
            "APP_ENV is production (the default), which needs "
            + ", ".join(missing)
            + ". Set them, or set APP_ENV=development to use the embedded defaults."
        )

    secret_key = env.get("SECRET_KEY") or _secret_from(data_dir)
    if len(secret_key.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(f"SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes long")

    database_url = env.get("DATABASE_URL") or None
    if database_url:
        _url(database_url, "DATABASE_URL", ("postgresql", "postgres"))
    base_url = _url(env.get("BASE_URL", "http://127.0.0.1:8000"), "BASE_URL", ("http", "https"))
    smtp_url = env.get("SMTP_URL") or None
    if smtp_url:
        _url(smtp_url, "SMTP_URL", ("smtp", "smtps"))
    mailer_url = env.get("MAILER_URL") or None
    mailer_secret = env.get("MAILER_SECRET") or None
    if mailer_url:
        _url(mailer_url, "MAILER_URL", ("http", "https"))
        if not mailer_secret or len(mailer_secret.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(
                f"MAILER_SECRET of {MIN_SECRET_BYTES} bytes or more goes with MAILER_URL"
            )

    try:
        trusted_proxy_count = int(env.get("TRUSTED_PROXY_COUNT", "0"))
    except ValueError as exc:
        raise SettingsError("TRUSTED_PROXY_COUNT must be a whole number") from exc
    if trusted_proxy_count < 0:
        raise SettingsError("TRUSTED_PROXY_COUNT cannot be negative")

    test = app_env == "test"
    return Settings(
        app_env=app_env,
        data_dir=data_dir,
        database_url=database_url,
        secret_key=secret_key,
        base_url=base_url.rstrip("/"),
        smtp_url=smtp_url,
        mail_from=env.get("MAIL_FROM", "Minimal+User <no-reply@localhost>"),
        mailer_url=mailer_url,
        mailer_secret=mailer_secret,
        trusted_proxy_count=trusted_proxy_count,
        s3_bucket=env.get("S3_BUCKET") or None,
        s3_endpoint_url=env.get("S3_ENDPOINT_URL") or None,
        aws_region=env.get("AWS_DEFAULT_REGION") or None,
        tiles_base_url=(env.get("TILES_BASE_URL") or "").rstrip("/") or None,
        auto_migrate=env.get("AUTO_MIGRATE", "1") != "0",
        mail_retry_cap=_number(env, "MAIL_RETRY_CAP", "30"),
        argon2_memory_kib=1024 if test else 19456,
        argon2_time_cost=1 if test else 2,
        db_timeout=_number(env, "DB_TIMEOUT", "2"),
        limits=_limits(env),
    )
