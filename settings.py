"""Every environment variable of the contract, read once, typed and checked."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, parse_qs, urlsplit

ENVIRONMENTS = ("development", "test", "production")
MIN_SECRET_BYTES = 32
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_PORT = re.compile(r"(?::[0-9]{0,5})?")
_SECRET_PARAMETER = re.compile(r"(?i)([?&;](?:password|passwd|pass|pwd|secret|token|key)=)[^&;#]*")


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
    email_change_account: tuple[int, int] = (3, 3600)
    mail_address: tuple[int, int] = (3, 3600)
    mfa_account: tuple[int, int] = (10, 900)
    mfa_ip: tuple[int, int] = (20, 60)
    login_code_address: tuple[int, int] = (3, 900)
    login_code_ip: tuple[int, int] = (20, 60)


@dataclass(frozen=True)
class Settings:
    app_env: str
    data_dir: Path
    database_url: str | None
    secret_key: str
    base_url: str
    allowed_hosts: frozenset[str]
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
    secret_key_fallbacks: tuple[str, ...] = ()
    db_timeout: float = 2.0
    limits: Limits = field(default_factory=Limits)

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """SECRET_KEY, which signs and seals everything new, then the older keys that still
        verify and open what they made (SECRET_KEY_FALLBACKS)."""
        return (self.secret_key, *self.secret_key_fallbacks)

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


def redact(url: str) -> str:
    """The URL with its password (and any password-like query value) replaced by ***, fit for a
    message or a log. It expects nothing of the URL: one that does not parse is redacted too."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    userinfo, at, host = rest.rpartition("@")
    if at and ":" in userinfo:
        rest = f"{userinfo.partition(':')[0]}:***@{host}"
    elif not at:
        # No "@": "user:secret" with its host forgotten looks like a host with a port.
        end = min((i for i in map(rest.find, "/?#") if i >= 0), default=len(rest))
        name, colon, port = rest[:end].partition(":")
        if colon and not name.startswith("[") and not (port.isdecimal() and len(port) <= 5):
            rest = f"{name}:***{rest[end:]}"
    return _SECRET_PARAMETER.sub(r"\1***", f"{scheme}{separator}{rest}")


def _split(value: str) -> SplitResult | None:
    """urlsplit, or None for a URL it cannot take apart (a broken IPv6 address, a port that is
    not a number): its ValueError would quote a piece of the URL, perhaps of its password."""
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        return None
    return parts


def check_url(value: str, name: str, schemes: tuple[str, ...]) -> SplitResult:
    """The URL's parts, or a SettingsError that names the variable and never its password."""
    parts = _split(value)
    if parts is None or parts.scheme not in schemes or not parts.hostname:
        raise SettingsError(
            f"{name} must look like {schemes[0]}://host:port, not {redact(value)!r}"
        )
    return parts


def hostname_of(authority: str) -> str | None:
    """The host of a Host header or an ALLOWED_HOSTS entry: lower case, without its port, its
    trailing dot or an IPv6 address's brackets; None when it is no host name at all."""
    value = authority.strip().lower()
    if len(value) > 260 or not value.isascii():
        return None
    if value.startswith("["):
        address, bracket, port = value[1:].partition("]")
        try:
            host = str(ipaddress.IPv6Address(address)) if bracket else ""
        except ValueError:
            return None
    else:
        host, colon, port = value.partition(":")
        host, port = host.removesuffix("."), colon + port
        if not _HOST_NAME.fullmatch(host):
            return None
    return host if host and _PORT.fullmatch(port) else None


def _allowed_hosts(env: Mapping[str, str], base_url: str, local: bool) -> frozenset[str]:
    """ALLOWED_HOSTS, with BASE_URL's host always; in development and test also loopback."""
    hosts = {hostname_of(urlsplit(base_url).netloc.rpartition("@")[2]) or ""}
    for entry in filter(None, (e.strip() for e in env.get("ALLOWED_HOSTS", "").split(","))):
        bare_ipv6 = entry.count(":") > 1 and not entry.startswith("[")
        host = hostname_of(f"[{entry}]" if bare_ipv6 else entry)
        if host is None:
            raise SettingsError(f"ALLOWED_HOSTS lists host names, and {entry[:80]!r} is not one")
        hosts.add(host)
    if local:
        hosts |= LOOPBACK_HOSTS
    return frozenset(hosts - {""})


def smtp_starttls_required(url: str, production: bool) -> bool:
    """Checks SMTP_URL; True when mail must not go out unless the server offers STARTTLS: asked
    with ?starttls=required, and implied by a password on smtp:// in production."""
    parts = check_url(url, "SMTP_URL", ("smtp", "smtps"))
    options = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(options.keys() - {"starttls"})
    if unknown:
        raise SettingsError(f"SMTP_URL has an unknown parameter {unknown[0][:40]!r}: only starttls")
    if "starttls" not in options:
        return production and parts.scheme == "smtp" and parts.password is not None
    if options["starttls"] != ["required"]:
        raise SettingsError("SMTP_URL's starttls parameter can only be starttls=required")
    if parts.scheme != "smtp":
        raise SettingsError(
            "SMTP_URL: starttls=required is for smtp://; smtps:// is TLS throughout"
        )
    return True


def _check_mailer_url(url: str, production: bool) -> None:
    """In production the mailer is reached over https, or plain http on this machine or a
    private network: the signed token it is sent carries access keys and codes."""
    parts = check_url(url, "MAILER_URL", ("http", "https"))
    if not production or parts.scheme == "https" or parts.hostname == "localhost":
        return
    try:
        private = ipaddress.ip_address(parts.hostname or "").is_private
    except ValueError:
        private = False
    if not private:
        raise SettingsError(
            "MAILER_URL must be https:// in production (the messages carry access keys), unless"
            " its host is loopback or a private-range IP address"
        )


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
    fallbacks = tuple(
        k.strip() for k in env.get("SECRET_KEY_FALLBACKS", "").split(",") if k.strip()
    )
    if any(len(k.encode()) < MIN_SECRET_BYTES for k in fallbacks):
        raise SettingsError(
            f"each key of SECRET_KEY_FALLBACKS must be at least {MIN_SECRET_BYTES} bytes long"
        )

    database_url = env.get("DATABASE_URL") or None
    if database_url:
        check_url(database_url, "DATABASE_URL", ("postgresql", "postgres"))
    base_url = env.get("BASE_URL", "http://localhost:8000")
    check_url(base_url, "BASE_URL", ("http", "https"))
    allowed_hosts = _allowed_hosts(env, base_url, local=not production)
    smtp_url = env.get("SMTP_URL") or None
    if smtp_url:
        smtp_starttls_required(smtp_url, production)
    mailer_url = env.get("MAILER_URL") or None
    mailer_secret = env.get("MAILER_SECRET") or None
    if mailer_url:
        _check_mailer_url(mailer_url, production)
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
        secret_key_fallbacks=fallbacks,
        base_url=base_url.rstrip("/"),
        allowed_hosts=allowed_hosts,
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
