"""Live-event fixtures: apps served over real HTTP (uvicorn; Litestar's test client buffers
whole responses, so it cannot read an endless stream), an SSE reader, and a real redis-server."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar

from tests.conftest import ADMIN_PASSWORD, VIEWER_PASSWORD, create_user
from tests.services.postgres import free_port
from tests.services.redis import RedisServer, find_redis_server


@asynccontextmanager
async def serve(app: Litestar) -> AsyncIterator[str]:
    """Run ``app`` (lifespan included) on a free loopback port; yields its base URL."""
    port = free_port()
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(running.serve())
    while not running.started:
        if task.done():
            task.result()  # start-up failed: raise why
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        await task


@pytest.fixture
async def users(session_factory) -> None:
    await create_user(session_factory, "admin", ADMIN_PASSWORD, "admin")
    await create_user(session_factory, "viewer", VIEWER_PASSWORD, "viewer")


@pytest.fixture
async def server(app: Litestar, users) -> AsyncIterator[str]:
    async with serve(app) as url:
        yield url


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    if find_redis_server() is None:
        message = "redis-server is not installed (scripts/system-deps.sh installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with RedisServer() as server:
        yield server


async def login(http: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await http.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    """(event type, decoded data) for each message of an SSE stream."""
    kind, data = "message", ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            kind = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            data += line.split(":", 1)[1].strip()
        elif line == "" and data:
            yield kind, json.loads(data)
            kind, data = "message", ""
