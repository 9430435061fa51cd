"""Reading the audit log (rows are written by dlv.audit._capture, never through this service)."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.filters import FilterTypes, OrderBy
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement, or_

from dlv.db.models import AuditEntry


class AuditService(SQLAlchemyAsyncRepositoryService[AuditEntry]):
    class Repo(SQLAlchemyAsyncRepository[AuditEntry]):
        model_type = AuditEntry

    repository_type = Repo

    async def search(
        self,
        filters: list[FilterTypes],
        *,
        actor: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[list[AuditEntry], int]:
        """Entries matching every given filter, newest first (identity order is write order)."""
        conditions: list[ColumnElement[bool]] = []
        if actor is not None:
            conditions.append(or_(AuditEntry.actor_name == actor, AuditEntry.actor_id == actor))
        if entity_type is not None:
            conditions.append(AuditEntry.entity_type == entity_type)
        if entity_id is not None:
            conditions.append(AuditEntry.entity_id == entity_id)
        if action is not None:
            conditions.append(AuditEntry.action == action)
        if since is not None:
            conditions.append(AuditEntry.occurred_at >= since)
        if until is not None:
            conditions.append(AuditEntry.occurred_at < until)
        entries, total = await self.list_and_count(*filters, *conditions, OrderBy("id", "desc"))
        return list(entries), total
