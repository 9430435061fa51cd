"""A real Neo4j (the official in-process harness in a child JVM) for the graph tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from neo4j import AsyncDriver, AsyncGraphDatabase
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dlv.app import create_app
from dlv.config import Settings
from dlv.graph import OUTBOX_FLAG, Projector
from tests.services.neo4j import Neo4jServer, java_available


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    if not java_available():
        if os.environ.get("CI"):
            pytest.fail("Java and Maven are needed for the Neo4j tests; `make test` installs them.")
        pytest.skip("Java and Maven are not installed; `make test` installs them")
    with Neo4jServer(tmp_path_factory.mktemp("neo4j")) as server:
        yield server


@pytest.fixture
async def neo4j_driver(neo4j_server: Neo4jServer) -> AsyncIterator[AsyncDriver]:
    driver = AsyncGraphDatabase.driver(neo4j_server.bolt_uri, auth=None)
    await driver.execute_query("MATCH (n) DETACH DELETE n")
    yield driver
    await driver.close()


@pytest.fixture
def outbox_sessions(session_factory: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """Sessions that record edge changes in the outbox, as the app's do when Neo4j is on."""
    return async_sessionmaker(session_factory.kw["bind"], expire_on_commit=False, info={OUTBOX_FLAG: True})


@pytest.fixture
def projector(outbox_sessions: async_sessionmaker[AsyncSession], neo4j_driver: AsyncDriver) -> Projector:
    return Projector(outbox_sessions, neo4j_driver, batch_size=500)


@pytest.fixture
def neo4j_settings(settings: Settings, neo4j_server: Neo4jServer) -> Settings:
    return msgspec.structs.replace(settings, neo4j_uri=neo4j_server.bolt_uri)


@pytest.fixture
async def neo4j_client(neo4j_settings: Settings, neo4j_driver: AsyncDriver) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(neo4j_settings)) as client:
        yield client
