"""Reading the audit log the way an admin does: through GET /api/audit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.integration.nodes.conftest import Client


async def audit_entries(client: Client, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every entry matching ``params``, newest first."""
    response = await client.get("/api/audit", params={"pageSize": 1000, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def by(entries: list[dict[str, Any]], entity_type: str, action: str) -> list[dict[str, Any]]:
    return [entry for entry in entries if entry["entity_type"] == entity_type and entry["action"] == action]


async def stored_audit_rows(session_factory: async_sessionmaker[AsyncSession]) -> str:
    """Every audit_log row as text, to search for what must never be stored."""
    async with session_factory() as session:
        return "\n".join(str(row) for row in (await session.execute(text("SELECT * FROM audit_log"))).all())
