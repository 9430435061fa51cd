"""Settings read from ``DLV_*`` environment variables.

Every setting is a field of :class:`Settings`; the README's configuration table lists the
same names. Invalid values stop start-up with one line naming the variable.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Literal, Mapping

import msgspec

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
LogFormat = Literal["json", "console"]

SECRET_KEY_FILE = "secret_key"
MIN_SECRET_KEY_LENGTH = 32


class SettingsError(Exception):
    """A ``DLV_*`` variable holds a value DLV cannot use; the message names it."""


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    data_dir: Path = Path(".dlv")
    database_url: str = ""
    neo4j_uri: str | None = None
    neo4j_user: str | None = None
    neo4j_password: str | None = None
    redis_url: str | None = None
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    plugins: str | None = None
    block_private_networks: bool = False
    admin_username: str = "admin"
    admin_password: str | None = None
    token_lifetime_minutes: int = 60
    log_level: LogLevel = "INFO"
    max_graph_depth: int = 50
    graph_max_nodes: int = 5000
    openlineage_max_body_bytes: int = 5 * 1024 * 1024
    login_max_failures_per_user: int = 5
    login_max_failures_per_address: int = 20
    login_throttle_window_seconds: int = 300
    max_body_bytes: int = 1024 * 1024
    bulk_max_body_bytes: int = 50 * 1024 * 1024
    graph_query_timeout_seconds: float = 10.0
    graph_max_concurrent: int = 4
    graph_max_concurrent_per_caller: int = 3
    graph_queue_seconds: float = 2.0
    cors_origins: str | None = None
    previous_secret_keys: str | None = None
    password_min_length: int = 12
    log_format: LogFormat = "json"
    trusted_proxies: str | None = None
    # Alerts (dlv.alerts): the SMTP server e-mail channels send through, how often the
    # dispatcher delivers and evaluates freshness, and the address links in alerts start with.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "dlv@localhost"
    smtp_starttls: bool = False
    alert_dispatch_interval_seconds: float = 2.0
    public_url: str | None = None
    # Single sign-on (dlv.auth, OpenID Connect): the provider, this client's registration,
    # which groups of the groups claim make an admin or a viewer, and whether DLV's own
    # username/password login stays on next to it.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scopes: str = "openid profile email groups"
    oidc_groups_claim: str = "groups"
    oidc_admin_groups: str | None = None
    oidc_viewer_groups: str | None = None
    oidc_audience: str | None = None
    oidc_provider_name: str = "single sign-on"
    local_login: bool = True
    # OpenLineage from Kafka (dlv.kafka): `dlv consume kafka`, or a task of `dlv serve` with
    # kafka_consume; the dead-letter topic defaults to "<topic>.dlq".
    kafka_consume: bool = False
    kafka_bootstrap_servers: str | None = None
    kafka_topic: str = "openlineage"
    kafka_group_id: str = "dlv"
    kafka_dead_letter_topic: str | None = None
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: str | None = None
    kafka_ssl_cafile: str | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _env_name(field: str) -> str:
    return f"DLV_{field.upper()}"


def _coerce(field: str, raw: str) -> object:
    """Turn one environment string into the field's type, naming the variable on failure."""
    annotation = Settings.__annotations__[field]
    try:
        if annotation == "int":
            return int(raw)
        if annotation == "float":
            return float(raw)
        if annotation == "Path":
            return Path(raw)
        if annotation == "bool":
            return _BOOLEANS[raw.strip().lower()]
        if annotation == "LogLevel":
            value = raw.upper()
            if value not in LogLevel.__args__:  # type: ignore[attr-defined]
                raise ValueError
            return value
        if annotation == "LogFormat":
            value = raw.strip().lower()
            if value not in LogFormat.__args__:  # type: ignore[attr-defined]
                raise ValueError
            return value
    except (ValueError, KeyError):
        expected = {
            "int": "a whole number",
            "float": "a number",
            "bool": "true or false (1 or 0)",
            "LogLevel": "one of " + ", ".join(LogLevel.__args__),  # type: ignore[attr-defined]
            "LogFormat": "json (one JSON object per line) or console (readable lines)",
        }[annotation]
        raise SettingsError(f"{_env_name(field)}={raw!r} is not valid: expected {expected}.") from None
    return raw


def _load_or_create_secret_key(data_dir: Path) -> str:
    """Keep one generated key in the data dir (0600) so tokens and secrets survive restarts."""
    path = data_dir / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def cors_origins(settings: Settings) -> list[str]:
    """The origins DLV_CORS_ORIGINS allows (none by default: CORS stays closed)."""
    return [origin.strip().rstrip("/") for origin in (settings.cors_origins or "").split(",") if origin.strip()]


def previous_secret_keys(settings: Settings) -> list[str]:
    """Keys DLV_SECRET_KEY held before a rotation: logins signed with them stay valid until they expire."""
    return [key.strip() for key in (settings.previous_secret_keys or "").split(",") if key.strip()]


def trusted_proxies(settings: Settings) -> list[str]:
    """Addresses or networks (DLV_TRUSTED_PROXIES) whose X-Forwarded-For / X-Forwarded-Proto
    DLV believes; none by default, so a client cannot choose the address the login limits count."""
    return [entry.strip() for entry in (settings.trusted_proxies or "").split(",") if entry.strip()]


def proxy_options(settings: Settings) -> dict[str, object]:
    """uvicorn's options for proxy headers: off unless DLV_TRUSTED_PROXIES names the proxies
    (uvicorn would otherwise trust them from 127.0.0.1, any local process or sidecar)."""
    proxies = trusted_proxies(settings)
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": ",".join(proxies) if proxies else None}


def _check_proxies(settings: Settings) -> None:
    for entry in trusted_proxies(settings):
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SettingsError(
                f"DLV_TRUSTED_PROXIES holds {entry!r}, which is not an address or network: expected comma-separated "
                "addresses or CIDR networks of your reverse proxies, such as 10.0.0.5,10.1.0.0/16."
            ) from None


def _check_limits(settings: Settings) -> None:
    """Request size, query time, CORS, key rotation and password settings."""
    for field in ("max_body_bytes", "bulk_max_body_bytes"):
        if getattr(settings, field) < 1024:
            raise SettingsError(f"{_env_name(field)}={getattr(settings, field)} is not valid: expected at least 1024.")
    if not 0 < settings.graph_query_timeout_seconds <= 3600:
        raise SettingsError(
            f"DLV_GRAPH_QUERY_TIMEOUT_SECONDS={settings.graph_query_timeout_seconds} is not valid: "
            "expected more than 0 and at most 3600 seconds."
        )
    for field in ("graph_max_concurrent", "graph_max_concurrent_per_caller"):
        if not 1 <= getattr(settings, field) <= 1000:
            raise SettingsError(f"{_env_name(field)}={getattr(settings, field)} is not valid: expected 1 to 1000.")
    if not 0 < settings.graph_queue_seconds <= 60:
        raise SettingsError(f"DLV_GRAPH_QUEUE_SECONDS={settings.graph_queue_seconds} is not valid: expected more than 0 and at most 60 seconds.")
    for origin in cors_origins(settings):
        scheme, _, rest = origin.partition("://")
        if scheme not in ("http", "https") or not rest or "/" in rest or "*" in rest:
            raise SettingsError(
                f"DLV_CORS_ORIGINS holds {origin!r}, which is not an origin: expected comma-separated "
                "origins such as https://catalog.example.com (scheme, host and optional port, no path or *)."
            )
    if any(len(key) < MIN_SECRET_KEY_LENGTH for key in previous_secret_keys(settings)):
        raise SettingsError(
            f"DLV_PREVIOUS_SECRET_KEYS holds a key shorter than {MIN_SECRET_KEY_LENGTH} characters: "
            "expected the comma-separated former values of DLV_SECRET_KEY."
        )
    if not 8 <= settings.password_min_length <= 1024:
        raise SettingsError(f"DLV_PASSWORD_MIN_LENGTH={settings.password_min_length} is not valid: expected 8 to 1024.")
    _check_proxies(settings)
    _check_alerts(settings)
    _check_oidc(settings)
    _check_kafka(settings)


def _check_alerts(settings: Settings) -> None:
    # Freshness is evaluated on the dispatcher's ticks, and must be at least every 30 s.
    if not 0.1 <= settings.alert_dispatch_interval_seconds <= 30:
        raise SettingsError(
            f"DLV_ALERT_DISPATCH_INTERVAL_SECONDS={settings.alert_dispatch_interval_seconds} is not valid: expected 0.1 to 30 seconds."
        )
    if not 1 <= settings.smtp_port <= 65535:
        raise SettingsError(f"DLV_SMTP_PORT={settings.smtp_port} is not valid: expected a port between 1 and 65535.")
    if settings.public_url and not settings.public_url.startswith(("http://", "https://")):
        raise SettingsError(f"DLV_PUBLIC_URL={settings.public_url!r} is not valid: expected the http(s):// address users open DLV at.")


def oidc_groups(value: str | None) -> list[str]:
    """A comma-separated group list (DLV_OIDC_ADMIN_GROUPS, DLV_OIDC_VIEWER_GROUPS)."""
    return [group.strip() for group in (value or "").split(",") if group.strip()]


def _check_oidc(settings: Settings) -> None:
    if not settings.oidc_issuer:
        if not settings.local_login:
            raise SettingsError("DLV_LOCAL_LOGIN=false needs DLV_OIDC_ISSUER: otherwise nobody can sign in to DLV.")
        return
    if not settings.oidc_issuer.startswith(("http://", "https://")):
        raise SettingsError(f"DLV_OIDC_ISSUER={settings.oidc_issuer!r} is not valid: expected the provider's https:// issuer URL.")
    if not settings.oidc_client_id:
        raise SettingsError("DLV_OIDC_ISSUER is set but DLV_OIDC_CLIENT_ID is not: expected the client id DLV is registered under.")
    if "openid" not in settings.oidc_scopes.split():
        raise SettingsError(f"DLV_OIDC_SCOPES={settings.oidc_scopes!r} is not valid: it must include openid.")
    if not oidc_groups(settings.oidc_admin_groups) + oidc_groups(settings.oidc_viewer_groups):
        raise SettingsError(
            "DLV_OIDC_ISSUER is set but neither DLV_OIDC_ADMIN_GROUPS nor DLV_OIDC_VIEWER_GROUPS is: expected the "
            "comma-separated groups whose members may sign in (otherwise everyone would be refused)."
        )


KAFKA_SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


def _check_kafka(settings: Settings) -> None:
    if settings.kafka_consume and not settings.kafka_bootstrap_servers:
        raise SettingsError("DLV_KAFKA_CONSUME=true needs DLV_KAFKA_BOOTSTRAP_SERVERS: the brokers to read from, such as kafka-1:9092,kafka-2:9092.")
    if settings.kafka_security_protocol not in KAFKA_SECURITY_PROTOCOLS:
        raise SettingsError(f"DLV_KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol!r} is not valid: expected one of {', '.join(KAFKA_SECURITY_PROTOCOLS)}.")
    sasl = settings.kafka_security_protocol.startswith("SASL_")
    if sasl and settings.kafka_sasl_mechanism not in KAFKA_SASL_MECHANISMS:
        raise SettingsError(f"DLV_KAFKA_SASL_MECHANISM is not valid with {settings.kafka_security_protocol}: expected one of {', '.join(KAFKA_SASL_MECHANISMS)}.")
    if sasl and not (settings.kafka_sasl_username and settings.kafka_sasl_password):
        raise SettingsError("DLV_KAFKA_SECURITY_PROTOCOL=SASL_* needs DLV_KAFKA_SASL_USERNAME and DLV_KAFKA_SASL_PASSWORD.")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``environ`` (default: the process environment)."""
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for field in Settings.__struct_fields__:
        raw = environ.get(_env_name(field))
        if raw is not None and raw != "":
            values[field] = _coerce(field, raw)
    settings = Settings(**values)  # type: ignore[arg-type]

    if not 1 <= settings.port <= 65535:
        raise SettingsError(f"DLV_PORT={settings.port} is not valid: expected a port between 1 and 65535.")
    if settings.token_lifetime_minutes < 1:
        raise SettingsError(
            f"DLV_TOKEN_LIFETIME_MINUTES={settings.token_lifetime_minutes} is not valid: expected at least 1."
        )
    if not 1 <= settings.max_graph_depth <= 1000:
        raise SettingsError(f"DLV_MAX_GRAPH_DEPTH={settings.max_graph_depth} is not valid: expected 1 to 1000.")
    if not 1 <= settings.graph_max_nodes <= 1_000_000:
        raise SettingsError(f"DLV_GRAPH_MAX_NODES={settings.graph_max_nodes} is not valid: expected 1 to 1000000.")
    if settings.openlineage_max_body_bytes < 1024:
        raise SettingsError(
            f"DLV_OPENLINEAGE_MAX_BODY_BYTES={settings.openlineage_max_body_bytes} is not valid: expected at least 1024."
        )
    for field in ("login_max_failures_per_user", "login_max_failures_per_address", "login_throttle_window_seconds"):
        if getattr(settings, field) < 1:
            raise SettingsError(f"{_env_name(field)}={getattr(settings, field)} is not valid: expected at least 1.")
    _check_limits(settings)
    database_url = settings.database_url or f"sqlite+aiosqlite:///{(settings.data_dir / 'dlv.db').resolve()}"
    if not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise SettingsError(
            f"DLV_DATABASE_URL is not valid: expected a URL starting with postgresql+asyncpg:// "
            f"or sqlite+aiosqlite://, got one starting with {database_url.split(':', 1)[0]!r}."
        )
    if settings.secret_key and len(settings.secret_key) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError(
            f"DLV_SECRET_KEY is too short: expected at least {MIN_SECRET_KEY_LENGTH} characters "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    if settings.neo4j_uri and not settings.neo4j_uri.startswith(("bolt://", "neo4j://", "bolt+s://", "neo4j+s://")):
        raise SettingsError("DLV_NEO4J_URI is not valid: expected a bolt:// or neo4j:// URI.")
    if settings.redis_url and not settings.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("DLV_REDIS_URL is not valid: expected a redis://, rediss:// or unix:// URL.")
    if settings.is_sqlite or database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    secret_key = settings.secret_key or _load_or_create_secret_key(settings.data_dir)
    return msgspec.structs.replace(settings, database_url=database_url, secret_key=secret_key)
