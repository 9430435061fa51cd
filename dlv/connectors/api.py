"""The built-in ``api`` node type: an HTTP(S) service checked through a health endpoint.

Steps: check the address (link-local always refused), open TCP, complete the TLS
handshake (https), compare the HTTP status with the expected ones, report latency.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import httpx
import msgspec

from dlv.connectors._checklist import Checklist, StepError, TestReport, describe_error, run_checklist
from dlv.connectors._network import endpoint, reach
from dlv.connectors._pinned import pinned_transport
from dlv.connectors._types import CheckContext, ConfigError, NodeType, TimeoutSeconds
from dlv.connectors.hookspecs import hookimpl

Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2048, description="http:// or https:// URL of the service.")]
Path = Annotated[str, msgspec.Meta(max_length=2048, pattern=r"^(/.*)?$", description="Path appended to base_url.")]
HeaderName = Annotated[str, msgspec.Meta(min_length=1, max_length=256, pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
HeaderValue = Annotated[str, msgspec.Meta(max_length=8192, pattern=r"^[^\r\n]*$")]
StatusCode = Annotated[int, msgspec.Meta(ge=100, le=599)]


class ApiAuth(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    type: Literal["none", "bearer", "basic"] = "none"
    token: str | None = None
    username: str | None = None
    password: str | None = None


class ApiConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    base_url: Url
    health_path: Path = "/"
    method: Literal["GET", "HEAD", "POST", "OPTIONS"] = "GET"
    headers: Annotated[dict[HeaderName, HeaderValue], msgspec.Meta(max_length=50)] = {}
    auth: ApiAuth = msgspec.field(default_factory=ApiAuth)
    expected_status: Annotated[list[StatusCode], msgspec.Meta(min_length=1, max_length=50)] = msgspec.field(
        default_factory=lambda: [200]
    )
    timeout_seconds: TimeoutSeconds = 10.0
    verify_tls: bool = True


def _check_base_url(base_url: str) -> None:
    try:
        url = urlsplit(base_url)
        url.port  # noqa: B018 - raises ValueError when out of range
    except ValueError as exc:
        raise ConfigError.of("base_url", f"not a valid URL ({exc})") from None
    if url.scheme not in ("http", "https"):
        raise ConfigError.of("base_url", f"must start with http:// or https://, not {url.scheme or 'nothing'}://")
    if not url.hostname:
        raise ConfigError.of("base_url", "names no host: use e.g. https://api.internal:8443")
    if url.username is not None or url.password is not None:
        raise ConfigError.of("base_url", "must not hold credentials: put them in auth (stored encrypted)")


def _check_auth(auth: ApiAuth) -> None:
    if auth.type == "bearer" and not auth.token:
        raise ConfigError.of("auth.token", "required when auth.type is bearer")
    if auth.type == "basic" and not (auth.username and auth.password):
        field = "auth.username" if not auth.username else "auth.password"
        raise ConfigError.of(field, "required when auth.type is basic")


@functools.cache
def _tls_context(verify: bool) -> ssl.SSLContext:
    # Built once: loading the CA bundle reads files, which should not happen on every test.
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def _tls_handshake(address: str, host: str, port: int, context: ssl.SSLContext) -> str:
    # To the address that was checked; the certificate is still verified against the name.
    _, writer = await asyncio.open_connection(address, port, ssl=context, server_hostname=host)
    try:
        return str(writer.get_extra_info("ssl_object").version())
    finally:
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 1)
        except (OSError, TimeoutError):
            pass  # the handshake is what mattered


def _auth(auth: ApiAuth) -> httpx.Auth | None:
    if auth.type == "basic":
        return httpx.BasicAuth(auth.username or "", auth.password or "")
    return None


def _headers(config: ApiConfig) -> dict[str, str]:
    headers = {"user-agent": "dlv-health-check", **config.headers}
    if config.auth.type == "bearer":
        headers["authorization"] = f"Bearer {config.auth.token}"
    return headers


class _Answer(msgspec.Struct):
    status: int
    latency_ms: float


class ApiNodeType(NodeType[ApiConfig]):
    key = "api"
    label = "HTTP API"
    description = "An HTTP or HTTPS service, checked through a health endpoint."
    config_type = ApiConfig
    # Header values are credentials as often as not (X-API-Key, Cookie): the whole map is
    # stored encrypted and never returned, like auth.
    secret_fields = ("headers", "auth.token", "auth.password")

    def validate(self, config: ApiConfig) -> ApiConfig:
        _check_base_url(config.base_url)
        _check_auth(config.auth)
        return config

    async def test_connection(self, config: ApiConfig, context: CheckContext) -> TestReport:
        return await run_checklist(config.timeout_seconds, lambda checks: self._check(config, context, checks))

    async def _check(self, config: ApiConfig, context: CheckContext, checks: Checklist) -> str:
        url = urlsplit(config.base_url)
        host = url.hostname or ""
        port = url.port or (443 if url.scheme == "https" else 80)
        target = endpoint(host, port)
        address = await reach(checks, host, port, context.network)
        tls = _tls_context(config.verify_tls)
        if url.scheme == "https":
            await checks.step(
                "TLS",
                lambda: _tls_handshake(address, host, port, tls),
                success=lambda version: f"{version} handshake with {target} "
                + ("(certificate verified)" if config.verify_tls else "(certificate not verified: verify_tls is off)"),
                describe=lambda exc: describe_error(exc, target),
            )
        full_url = config.base_url.rstrip("/") + config.health_path
        answer = await checks.step(
            "HTTP status",
            lambda: self._request(config, full_url, address, tls, checks.remaining()),
            success=lambda answer: f"{config.method} {config.health_path or '/'} returned {answer.status}",
            describe=lambda exc: describe_error(exc, target),
        )
        checks.pass_step("latency", f"answered in {answer.latency_ms:.0f} ms")
        return f"{config.method} {full_url} returned {answer.status} in {answer.latency_ms:.0f} ms"

    async def _request(self, config: ApiConfig, url: str, address: str, tls: ssl.SSLContext, timeout: float) -> _Answer:
        # trust_env=False: proxies from the environment would bypass the address checks.
        transport = pinned_transport(address, tls)
        async with httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False) as client:
            started = time.monotonic()
            try:
                response = await client.request(config.method, url, headers=_headers(config), auth=_auth(config.auth))
            except httpx.TimeoutException:
                raise TimeoutError from None
            except httpx.TransportError as exc:
                raise (exc.__cause__ or exc.__context__ or exc) from None
            latency_ms = round((time.monotonic() - started) * 1000, 1)
        if response.status_code not in config.expected_status:
            expected = ", ".join(str(code) for code in config.expected_status)
            raise StepError(
                f"{config.method} {config.health_path or '/'} returned {response.status_code}; expected {expected}"
            )
        return _Answer(status=response.status_code, latency_ms=latency_ms)


@hookimpl
def register_node_types() -> list[type[NodeType[Any]]]:
    return [ApiNodeType]
