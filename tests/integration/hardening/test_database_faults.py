"""PostgreSQL going away under a running DLV: requests get a 503 problem document that says
to retry (never a 500), the API recovers by itself once the database is back, and a
multi-row write stores everything or nothing.

Runs on its own PostgreSQL server so stopping it does not disturb the other tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from dlv.app import create_app
from dlv.config import Settings
from dlv.db.migrate import upgrade
from dlv.db.models import DataAsset, Run
from tests.conftest import ADMIN_PASSWORD, SECRET_KEY, create_user, login
from tests.integration.openlineage.conftest import run_event
from tests.services.postgres import PostgresServer

NAMESPACE = "postgres://faults:5432"


@pytest.fixture(scope="module")
def faulty_postgres() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="module")
async def faulty_url(faulty_postgres: PostgresServer) -> str:
    url = faulty_postgres.create_database("dlv_faults")
    await asyncio.to_thread(upgrade, url)
    engine = create_async_engine(url, poolclass=NullPool)
    await create_user(async_sessionmaker(engine, expire_on_commit=False), "admin", ADMIN_PASSWORD, "admin")
    await engine.dispose()
    return url


@pytest.fixture
async def faulty_client(faulty_url: str, tmp_path: Path) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(Settings(data_dir=tmp_path, database_url=faulty_url, secret_key=SECRET_KEY))
    async with AsyncTestClient(app=app) as client:
        yield client


def _assert_unavailable(response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "retry" in response.json()["detail"]
    assert response.headers["retry-after"]


async def test_requests_during_an_outage_get_503_and_the_api_recovers_without_restart(
    faulty_client: AsyncTestClient[Litestar], faulty_postgres: PostgresServer
) -> None:
    headers = await login(faulty_client, "admin", ADMIN_PASSWORD)
    assert (await faulty_client.get("/api/lineage/assets", headers=headers)).status_code == 200  # pool has live connections

    await asyncio.to_thread(faulty_postgres.stop)
    try:
        for method, path, body in (
            ("GET", "/api/lineage/assets", None),
            ("POST", "/api/lineage/assets", {"namespace": NAMESPACE, "name": "during_outage"}),
            ("GET", "/api/auth/users", None),  # (who is logged in is known for a few seconds without the database)
        ):
            _assert_unavailable(await faulty_client.request(method, path, json=body, headers=headers))
        refused_login = await faulty_client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        _assert_unavailable(refused_login)
    finally:
        await asyncio.to_thread(faulty_postgres.restart)

    # The same app (same engine and pool) works again: no DLV restart needed.
    created = await faulty_client.post("/api/lineage/assets", json={"namespace": NAMESPACE, "name": "after_outage"}, headers=headers)
    assert created.status_code == 201, created.text
    names = [item["name"] for item in (await faulty_client.get("/api/lineage/assets", headers=headers)).json()["items"]]
    assert "after_outage" in names and "during_outage" not in names


async def test_requests_running_while_postgresql_restarts_never_get_a_500(
    faulty_client: AsyncTestClient[Litestar], faulty_postgres: PostgresServer
) -> None:
    headers = await login(faulty_client, "admin", ADMIN_PASSWORD)
    statuses: list[int] = []
    restarted = asyncio.Event()

    async def keep_reading() -> None:
        while not restarted.is_set():
            response = await faulty_client.get("/api/lineage/assets", headers=headers)
            statuses.append(response.status_code)
            if response.status_code != 200:
                _assert_unavailable(response)
            await asyncio.sleep(0.02)

    reader = asyncio.create_task(keep_reading())
    await asyncio.to_thread(faulty_postgres.restart)
    restarted.set()
    await reader

    # pg_ctl restart takes long enough that some requests land in the outage.
    assert 503 in statuses and set(statuses) <= {200, 503}, statuses
    assert (await faulty_client.get("/api/lineage/assets", headers=headers)).status_code == 200


async def test_a_bulk_import_with_one_bad_row_stores_nothing(faulty_client: AsyncTestClient[Litestar], faulty_url: str) -> None:
    headers = await login(faulty_client, "admin", ADMIN_PASSWORD)
    engine = create_async_engine(faulty_url, poolclass=NullPool)
    async with engine.connect() as connection:
        before = await connection.scalar(select(func.count()).select_from(DataAsset))
    assets = [{"namespace": NAMESPACE, "name": f"bulk_{index}"} for index in range(50)]
    # The last edge points at an asset that is neither stored nor in the import.
    edges = [{"source": {"type": "asset", "namespace": NAMESPACE, "name": "bulk_0"},
              "target": {"type": "asset", "namespace": NAMESPACE, "name": f"bulk_{index}"}} for index in range(1, 50)]
    edges.append({"source": {"type": "asset", "namespace": NAMESPACE, "name": "bulk_0"},
                  "target": {"type": "asset", "namespace": NAMESPACE, "name": "missing"}})

    response = await faulty_client.post("/api/lineage/bulk", json={"assets": assets, "edges": edges}, headers=headers)

    assert response.status_code == 400, response.text
    assert "missing" in response.json()["detail"]
    async with engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(DataAsset)) == before
    await engine.dispose()


async def test_openlineage_events_sent_while_postgresql_restarts_are_stored_or_refused_with_503(
    faulty_client: AsyncTestClient[Litestar], faulty_postgres: PostgresServer, faulty_url: str
) -> None:
    """The ingestion writer holds a connection while events keep coming: when PostgreSQL goes
    away under it, senders get 503 (their client retries), never a 500, every event answered
    201 is stored, and the writer works again once PostgreSQL is back."""
    headers = await login(faulty_client, "admin", ADMIN_PASSWORD)
    answers: dict[str, int] = {}
    restarted = asyncio.Event()

    async def keep_sending(stream: int) -> None:
        sent = 0
        while not restarted.is_set():
            run_id = f"restart-{stream}-{sent}"
            event = run_event(f"job_{stream}", run_id, "COMPLETE", f"2026-11-26T10:{sent // 60 % 60:02d}:{sent % 60:02d}Z", inputs=["raw.orders"], outputs=[f"mart.out_{stream}"])
            response = await faulty_client.post("/api/v1/lineage", json=event, headers=headers)
            answers[run_id] = response.status_code
            if response.status_code != 201:
                _assert_unavailable(response)
            sent += 1
            await asyncio.sleep(0.01)

    senders = [asyncio.create_task(keep_sending(stream)) for stream in range(4)]
    await asyncio.sleep(0.3)
    await asyncio.to_thread(faulty_postgres.restart)
    restarted.set()
    await asyncio.gather(*senders)
    after = run_event("job_after", "restart-after", "COMPLETE", "2026-11-26T11:00:00Z", inputs=["raw.orders"], outputs=["mart.after"])
    assert (await faulty_client.post("/api/v1/lineage", json=after, headers=headers)).status_code == 201

    assert 503 in answers.values() and set(answers.values()) <= {201, 503}, answers
    engine = create_async_engine(faulty_url, poolclass=NullPool)
    async with engine.connect() as connection:
        stored = set((await connection.scalars(select(Run.run_id).where(Run.run_id.like("restart-%")))).all())
    await engine.dispose()
    assert {run_id for run_id, status in answers.items() if status == 201} | {"restart-after"} <= stored
