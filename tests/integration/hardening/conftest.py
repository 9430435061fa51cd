"""Fixtures shared by the hardening tests (RBAC matrix, fuzzing, faults, throttling, secrets)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import uvicorn
from litestar import Litestar
from litestar.testing import AsyncTestClient

from dlv.app import create_app
from dlv.config import Settings
from tests.services.postgres import free_port

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


@asynccontextmanager
async def served_on_loopback(app: Litestar, **options: Any) -> AsyncIterator[str]:
    """``app`` behind a real uvicorn on 127.0.0.1 (in a thread); yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
