"""Expiring API tokens: an admin may give a token a lifetime in days; past it the token gets a
401 that says it expired. Without one, a token works until revoked."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from uuid import UUID

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from dlv.cli import main
from dlv.db.models import ApiToken
from tests.integration.hardening.conftest import Client
from tests.integration.openlineage.conftest import run_event

EVENT = run_event("daily", "0190c7a0-0000-7000-8000-000000000001", "START", "2026-01-01T00:00:00Z", namespace="airflow")


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_a_token_with_a_lifetime_shows_when_it_expires(client: Client, admin_headers) -> None:
    before = datetime.now(timezone.utc)
    created = await client.post("/api/tokens", json={"name": "airflow", "role": "ingest", "expires_in_days": 30}, headers=admin_headers)
    forever = await client.post("/api/tokens", json={"name": "spark", "role": "ingest"}, headers=admin_headers)

    assert created.status_code == 201, created.text
    expires_at = _when(created.json()["expires_at"])
    assert before + timedelta(days=30) <= expires_at <= datetime.now(timezone.utc) + timedelta(days=30)
    assert forever.json()["expires_at"] is None
    one = await client.get(f"/api/tokens/{created.json()['id']}", headers=admin_headers)
    assert _when(one.json()["expires_at"]) == expires_at
    listed = {item["name"]: item["expires_at"] for item in (await client.get("/api/tokens", headers=admin_headers)).json()["items"]}
    assert listed["spark"] is None and _when(listed["airflow"]) == expires_at
    # Not expired yet: it works.
    posted = await client.post("/api/v1/lineage", json=EVENT, headers={"Authorization": f"Bearer {created.json()['token']}"})
    assert posted.status_code == 201, posted.text


@pytest.mark.parametrize("days", [0, -3, 3651])
async def test_an_impossible_lifetime_is_refused_and_nothing_is_stored(client: Client, admin_headers, session_factory, days: int) -> None:
    response = await client.post("/api/tokens", json={"name": "airflow", "role": "ingest", "expires_in_days": days}, headers=admin_headers)

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "expires_in_days" in detail and "from 1 to 3650" in detail and "leave it out" in detail
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ApiToken)) == 0


async def test_an_expired_token_gets_a_401_saying_so(client: Client, admin_headers, session_factory) -> None:
    created = (await client.post("/api/tokens", json={"name": "airflow", "role": "ingest", "expires_in_days": 1}, headers=admin_headers)).json()
    # A day later (moved in the database rather than waited for).
    async with session_factory() as session:
        token = await session.get(ApiToken, UUID(created["id"]))
        token.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
        await session.commit()

    response = await client.post("/api/v1/lineage", json=EVENT, headers={"Authorization": f"Bearer {created['token']}"})

    assert response.status_code == 401
    detail = response.json()["detail"]
    assert "'airflow'" in detail and "expired at" in detail and "ask an admin for a new one" in detail


async def test_the_cli_creates_a_token_that_expires(database_url, session_factory, tmp_path) -> None:
    env = {"DLV_DATABASE_URL": database_url, "DLV_DATA_DIR": str(tmp_path), "DLV_SECRET_KEY": "k" * 40}
    runner = CliRunner()

    created = await asyncio.to_thread(runner.invoke, main, ["token", "create", "airflow", "--expires-in-days", "7"], env=env)
    refused = await asyncio.to_thread(runner.invoke, main, ["token", "create", "spark", "--expires-in-days", "0"], env=env)

    assert created.exit_code == 0, created.output
    assert "expires in 7 days" in created.output
    assert refused.exit_code == 1 and "from 1 to 3650" in refused.output
    async with session_factory() as session:
        tokens = (await session.scalars(select(ApiToken))).all()
    assert [token.name for token in tokens] == ["airflow"]
    assert timedelta(days=6, hours=23) < tokens[0].expires_at - datetime.now(timezone.utc) <= timedelta(days=7)
    listed = await asyncio.to_thread(runner.invoke, main, ["token", "list"], env=env)
    assert f"active until {tokens[0].expires_at:%Y-%m-%d}" in listed.output
