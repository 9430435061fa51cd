"""Fixtures shared by the hardening tests (RBAC matrix, fuzzing, faults, throttling, secrets)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from dlv.app import create_app
from dlv.config import Settings

Client = AsyncTestClient[Litestar]


async def issue_api_token(client: Client, admin_headers: dict[str, str], role: str, name: str | None = None) -> str:
    """Create an API token through the API, as an admin would, and return its value."""
    response = await client.post("/api/tokens", json={"name": name or f"{role}-token", "role": role}, headers=admin_headers)
    assert response.status_code == 201, response.text
    return response.json()["token"]


@asynccontextmanager
async def client_with(settings: Settings, **changes: Any) -> AsyncIterator[Client]:
    """A client of an app whose settings differ from the test's in ``changes`` (same database)."""
    async with AsyncTestClient(app=create_app(msgspec.structs.replace(settings, **changes))) as client:
        yield client
