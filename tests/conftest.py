"""Session-wide real services and per-test apps.

Every test that uses ``client`` (or ``database_url``) runs twice: on SQLite and on a real
PostgreSQL server started for this session.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from dlv.app import create_app
from dlv.auth import UserService
from dlv.config import Settings
from dlv.db.migrate import upgrade
from dlv.db.models import metadata
from tests.services.postgres import PostgresServer

# Every response and log line of the run is checked for the tests' secrets (tests/secret_scan.py).
pytest_plugins = ["tests.secret_scan"]

SECRET_KEY = secrets.token_urlsafe(48)
ADMIN_PASSWORD = "first-console-key-1"
VIEWER_PASSWORD = "second-console-key-1"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'dlv.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database("dlv_test")
    upgrade(url)
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        secret_key=SECRET_KEY,
        admin_username="admin",
        admin_password=ADMIN_PASSWORD,
    )


@pytest.fixture
async def session_factory(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Direct database access for asserting what is (and is not) stored; empties the
    tables after each test so every test starts from nothing."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    yield factory
    async with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            await connection.execute(delete(table))
    await engine.dispose()


@pytest.fixture
def app(settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


async def create_user(factory: async_sessionmaker[AsyncSession], username: str, password: str, role: str) -> Any:
    async with factory() as session:
        user = await UserService(session=session).create_user(username, password, role)
        await session.commit()
        return user


async def login(client: AsyncTestClient[Litestar], username: str, password: str) -> dict[str, str]:
    response = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def admin_headers(client: AsyncTestClient[Litestar], session_factory: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    await create_user(session_factory, "admin", ADMIN_PASSWORD, "admin")
    return await login(client, "admin", ADMIN_PASSWORD)


@pytest.fixture
async def viewer_headers(client: AsyncTestClient[Litestar], session_factory: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    await create_user(session_factory, "viewer", VIEWER_PASSWORD, "viewer")
    return await login(client, "viewer", VIEWER_PASSWORD)
