"""Shapes of the OpenLineage endpoints' answers (the request is the spec's own event)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec


class IngestResult(msgspec.Struct):
    """``stored`` is false when the same event had been received before (nothing changed)."""

    stored: bool
    kind: str
    event_type: str | None
    run_id: str | None


class EventRead(msgspec.Struct):
    id: UUID
    kind: str
    event_type: str | None
    event_time: datetime
    received_at: datetime
    run_id: str | None
    job_namespace: str | None
    job_name: str | None
    producer: str | None
    event: dict[str, Any]


class EventPage(msgspec.Struct):
    """A page of the event log: DLV's ``items`` with what DLV knows of each event, and the same
    events as sent under Marquez's ``events`` and ``totalCount`` (what the Marquez web UI reads)."""

    items: list[EventRead]
    total: int
    limit: int
    offset: int
    events: list[dict[str, Any]]
    total_count: int = msgspec.field(name="totalCount")
