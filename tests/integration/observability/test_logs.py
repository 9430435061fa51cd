"""Logs as an operator reads them: every line of `dlv serve` is a JSON object, each request
has one access line whose request_id is the X-Request-ID the client got back, lines written
while a request is handled carry the same id, and passwords and tokens never appear."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import structlog
from litestar import get
from litestar.testing import AsyncTestClient

from dlv.app import create_app
from dlv.config import Settings
from tests.integration.observability.conftest import DLV, Served, dlv_serve

ADMIN_PASSWORD = "log-test-Pa55word-e4b1"
WRONG_PASSWORD = "log-test-Wr0ngword-77c2"
GENERATED_ID = r"[0-9a-f]{32}"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    # PYTHONWARNINGS=always shows every warning, even those Python hides by default: each must
    # still come out as a JSON line.
    with dlv_serve(tmp_path, DLV_ADMIN_PASSWORD=ADMIN_PASSWORD, PYTHONWARNINGS="always") as server:
        yield server


def test_dlv_serve_writes_json_lines_with_the_request_id_and_no_secret(served: Served) -> None:
    with httpx.Client(base_url=served.base, timeout=10) as http:
        login = http.post(
            "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}, headers={"X-Request-ID": "login-7f3a.1"}
        )
        refused = http.post("/api/auth/login", json={"username": "admin", "password": WRONG_PASSWORD})
        token = login.json()["access_token"]
        me = http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}", "X-Request-ID": "not a sane id!"})
        too_long = http.get("/health", headers={"X-Request-ID": "x" * 129})
    assert (login.status_code, refused.status_code, me.status_code, too_long.status_code) == (200, 401, 200, 200)
    assert login.headers["x-request-id"] == "login-7f3a.1"  # a sane incoming id is kept
    for response in (refused, me, too_long):
        assert response.headers["x-request-id"] != response.request.headers.get("x-request-id")
        assert re.fullmatch(GENERATED_ID, response.headers["x-request-id"])  # replaced by a generated one
    time.sleep(0.5)  # let the last access line reach the file

    lines = served.lines()
    parsed = _json_lines(lines)
    assert any(entry["event"].startswith("Uvicorn running on") for entry in parsed)  # uvicorn's own lines too
    access = {entry["request_id"]: entry for entry in parsed if entry.get("logger") == "dlv.access"}
    for response, route, status in ((login, "/api/auth/login", 200), (refused, "/api/auth/login", 401), (me, "/api/auth/me", 200)):
        entry = access[response.headers["x-request-id"]]
        assert (entry["method"], entry["route"], entry["status"]) == (response.request.method, route, status)
        assert entry["duration_ms"] >= 0 and entry["level"] == "info" and entry["timestamp"].endswith("Z")
    assert access[login.headers["x-request-id"]]["principal_kind"] == "anonymous"
    assert access[me.headers["x-request-id"]]["principal_kind"] == "user"
    assert access[me.headers["x-request-id"]]["principal_id"] == me.json()["id"]
    everything = "\n".join(lines)
    for secret in (ADMIN_PASSWORD, WRONG_PASSWORD, token, "Bearer"):
        assert secret not in everything


def _records(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def probe_app(settings: Settings):
    """The real app plus one test-only route that logs the way DLV code does, inside a request."""

    @get("/test-only/log", sync_to_thread=False)
    def log_inside_a_request() -> dict[str, str]:
        logging.getLogger("dlv.probe").warning("stdlib line %s", "inside")
        structlog.get_logger("dlv.probe").info(
            "structured line",
            password="hunter2-probe",
            config={"host": "db", "Private_Key": "-----BEGIN probe", "nested": {"API-Key": "k-probe", "port": 5432}},
            headers=[{"Authorization": "Bearer probe-token"}],
        )
        return {}

    app = create_app(settings)
    app.register(log_inside_a_request)
    return app


def _json_lines(lines: list[str]) -> list[dict[str, Any]]:
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON log line: {line!r}")
    return parsed


def test_one_shot_commands_print_warnings_as_log_lines_and_never_the_dsa_notice(tmp_path: Path) -> None:
    """What a new user sees first: `dlv migrate` and `dlv token list` on a fresh data folder
    write nothing to stderr but JSON log lines, even with every Python warning switched on,
    and asyncssh's DSA deprecation notice (cryptography's, not DLV's) is not among them."""
    env = {**os.environ, "DLV_DATA_DIR": str(tmp_path), "PYTHONWARNINGS": "always"}
    env.pop("DLV_DATABASE_URL", None)
    for command in (["migrate"], ["token", "list"]):
        done = subprocess.run([str(DLV), *command], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        records = _json_lines(done.stderr.splitlines())
        assert not [record for record in records if "DSA" in record["event"]]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_lines_written_while_handling_a_request_carry_its_id_and_secrets_are_redacted(probe_app, capsys) -> None:
    capsys.readouterr()
    async with AsyncTestClient(app=probe_app) as client:
        response = await client.get("/test-only/log", headers={"X-Request-ID": "probe-1"})
    assert response.status_code == 200

    output = capsys.readouterr().err
    records = _records(output)
    by_event = {record["event"]: record for record in records}
    assert by_event["stdlib line inside"]["request_id"] == "probe-1"
    assert by_event["stdlib line inside"]["level"] == "warning"
    structured = by_event["structured line"]
    assert structured["request_id"] == "probe-1"
    assert structured["password"] == "[redacted]"
    assert structured["config"] == {"host": "db", "Private_Key": "[redacted]", "nested": {"API-Key": "[redacted]", "port": 5432}}
    assert structured["headers"] == [{"Authorization": "[redacted]"}]
    assert by_event["request"]["request_id"] == "probe-1"
    for secret in ("hunter2-probe", "BEGIN probe", "k-probe", "probe-token"):
        assert secret not in output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_console_format_writes_readable_lines(settings: Settings, capsys) -> None:
    app = create_app(msgspec.structs.replace(settings, log_format="console"))
    capsys.readouterr()
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/health")

    lines = [line for line in capsys.readouterr().err.splitlines() if "dlv.access" in line]
    assert len(lines) == 1
    assert not lines[0].startswith("{")
    assert "request" in lines[0] and "route=/health" in lines[0] and "status=200" in lines[0]
    assert response.headers["x-request-id"] in lines[0]
