"""The whole test run, scanned for secrets (issue "Hardening": no response body and no log
line of the run may carry a test secret).

Secrets are the test modules' own: every module-level string constant named like a password
or key (``ADMIN_PASSWORD``, ``NODE_PASSWORD``, ``SECRET_KEY``, ...), and every API token and
login token the API hands out during the run. Each response a test receives through an
httpx client (the Litestar test client is one) and each log line DLV writes, formatted the way
DLV's own log handler formats it (redaction included), is checked as it happens. The one
response allowed to carry a token is the one that issued it. Findings fail the run at its end,
naming where each secret showed up.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

import httpx
import pytest
import structlog

SECRET_NAME = re.compile(r"(PASSWORD|PASSPHRASE|SECRET_KEY|PRIVATE_KEY|CLIENT_SECRET)$")
# Shorter or low-variety strings ("o" * 48) could turn up in a body by coincidence.
MIN_LENGTH, MIN_DISTINCT = 12, 5
ISSUED_FIELDS = ("token", "access_token")


def is_secret_constant(name: str, value: object) -> bool:
    return (
        isinstance(value, str) and bool(SECRET_NAME.search(name)) and len(value) >= MIN_LENGTH and len(set(value)) >= MIN_DISTINCT
    )


class SecretScan:
    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}  # value -> where it comes from
        self.findings: list[str] = []

    def learn_module(self, module: Any) -> None:
        for name, value in vars(module).items():
            if is_secret_constant(name, value):
                self.secrets.setdefault(value, f"{module.__name__}.{name}")

    def check(self, text: str, where: str, allowed: frozenset[str] = frozenset()) -> None:
        for value, origin in self.secrets.items():
            if value not in allowed and value in text:
                self.findings.append(f"{origin} appeared in {where}")

    def response(self, response: httpx.Response) -> None:
        if "text/event-stream" in response.headers.get("content-type", ""):
            return
        try:
            text = response.text
        except httpx.ResponseNotRead:
            return
        issued = frozenset(_issued(text))
        self.check(text, f"the response to {response.request.method} {response.request.url.path} ({response.status_code})", issued)
        for value in issued:
            self.secrets.setdefault(value, f"a token issued by {response.request.method} {response.request.url.path}")

    def log_line(self, line: str, logger: str) -> None:
        self.check(line, f"a log line of {logger}: {line[:200]!r}")


def _issued(text: str) -> list[str]:
    try:
        body = json.loads(text)
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    return [value for field in ISSUED_FIELDS if isinstance(value := body.get(field), str) and len(value) >= MIN_LENGTH]


class _ScanningHandler(logging.Handler):
    """Formats each record with DLV's own formatter (the structlog one on the root logger),
    so what is checked is the line DLV writes, after redaction."""

    def __init__(self, scan: SecretScan) -> None:
        super().__init__(level=logging.DEBUG)
        self.scan = scan

    def emit(self, record: logging.LogRecord) -> None:
        formatter = next(
            (
                handler.formatter
                for handler in logging.getLogger().handlers
                if isinstance(handler.formatter, structlog.stdlib.ProcessorFormatter)
            ),
            None,
        )
        try:
            line = formatter.format(record) if formatter is not None else record.getMessage()
        except Exception:  # noqa: BLE001 - a record the formatter cannot render is checked raw
            line = f"{record.msg!r} {record.args!r}"
        self.scan.log_line(line, record.name)


SCAN = SecretScan()


def pytest_sessionstart(session: pytest.Session) -> None:
    sync_send, async_send = httpx.Client.send, httpx.AsyncClient.send

    def send(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        response = sync_send(self, request, **kwargs)
        if not kwargs.get("stream"):
            SCAN.response(response)
        return response

    async def asend(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        response = await async_send(self, request, **kwargs)
        if not kwargs.get("stream"):
            SCAN.response(response)
        return response

    httpx.Client.send, httpx.AsyncClient.send = send, asend  # type: ignore[method-assign]
    logging.getLogger().addHandler(_ScanningHandler(SCAN))


def pytest_collection_finish(session: pytest.Session) -> None:
    for module in {getattr(item, "module", None) for item in session.items} | {sys.modules.get("tests.conftest")}:
        if module is not None:
            SCAN.learn_module(module)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not SCAN.findings:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = ["", f"Secret scan: {len(SCAN.findings)} place(s) where a test secret showed up:"]
    lines += [f"  - {finding}" for finding in dict.fromkeys(SCAN.findings)]
    for line in lines:
        reporter.write_line(line, red=True) if reporter else print(line)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
