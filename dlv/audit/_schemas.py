"""Shapes of the audit API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class AuditEntryRead(msgspec.Struct):
    """One recorded write. ``diff`` maps each changed field to ``{"old", "new"}``; a secret
    field maps to ``"set"``, ``"changed"`` or ``"removed"`` and never to a value."""

    id: int
    occurred_at: datetime
    actor_kind: str
    actor_id: str | None
    actor_name: str
    action: str
    entity_type: str
    entity_id: str | None
    entity_name: str | None
    diff: dict[str, Any]
    summary: str | None
    request_id: str | None
