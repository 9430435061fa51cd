"""Peers the connector tests reach (all on loopback) and helpers to drive the nodes API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.services.peers import HttpPeer, SilentPort, SSHPeer, self_signed_certificate
from tests.services.postgres import PostgresServer

Client = AsyncTestClient[Litestar]

# For tests of a connector rather than of storage: run them on one database, not both.
one_database = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="session")
def http_peer() -> Iterator[HttpPeer]:
    with HttpPeer() as peer:
        yield peer


@pytest.fixture(scope="session")
def https_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpPeer]:
    with HttpPeer(self_signed_certificate(tmp_path_factory.mktemp("tls"))) as peer:
        yield peer


@pytest.fixture(scope="session")
def ssh_peer() -> Iterator[SSHPeer]:
    with SSHPeer() as peer:
        yield peer


@pytest.fixture
def silent_port() -> Iterator[int]:
    port = SilentPort()
    yield port.port
    port.close()


def postgres_config(server: PostgresServer, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "database": "postgres",
        "user": server.user,
        "password": server.password,
        "connect_timeout": 5,
    }
    return config | overrides


def api_config(base_url: str, **overrides: Any) -> dict[str, Any]:
    return {"base_url": base_url, "health_path": "/ok", "timeout_seconds": 5} | overrides


async def try_config(client: Client, headers: dict[str, str], type_: str, config: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """POST /api/nodes/test; returns the report and how long the call took."""
    started = time.monotonic()
    response = await client.post("/api/nodes/test", json={"type": type_, "config": config}, headers=headers)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    return response.json(), elapsed


async def create_node(client: Client, headers: dict[str, str], name: str, type_: str, config: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/nodes", json={"name": name, "type": type_, "config": config, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def step_names(report: dict[str, Any]) -> list[str]:
    return [step["name"] for step in report["steps"]]


def failed_step(report: dict[str, Any]) -> dict[str, Any]:
    failed = [step for step in report["steps"] if not step["passed"]]
    assert len(failed) == 1, report
    return failed[0]
