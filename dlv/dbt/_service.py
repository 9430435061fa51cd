"""A dbt import: the artifacts' events applied through OpenLineage ingestion (the one lineage
write path: the same assets, processes, edges, runs, health and quality an OpenLineage event
gives, and the same raw event log ``dlv replay`` rebuilds from), in the caller's transaction."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.dbt._artifacts import Artifacts
from dlv.dbt._events import EventBuilder
from dlv.events import EventBroker
from dlv.lib.exceptions import InvalidFields
from dlv.openlineage import ParsedEvent, ingest, parse_event


class ImportSummary(msgspec.Struct, kw_only=True):
    models: int
    sources: int
    seeds: int
    snapshots: int
    tests: int
    events: int
    # Events already received before (the same artifacts imported again): nothing changed.
    unchanged: int

    def sentence(self) -> str:
        return (
            f"Imported {self.models} models, {self.sources} sources, {self.seeds} seeds, {self.snapshots} snapshots and "
            f"{self.tests} tests ({self.events} lineage events, {self.unchanged} already known)."
        )


async def import_dbt(
    session: AsyncSession, artifacts: Artifacts, namespace: str, job_namespace: str, events: EventBroker | None = None
) -> ImportSummary:
    """Apply the project's lineage; a refused event raises, and the caller's rollback keeps nothing."""
    payloads = EventBuilder(artifacts, namespace, job_namespace).events()
    # Every event checked (and its SQL parsed: CPU work) before anything is written, in a thread
    # so the server's loop keeps answering meanwhile.
    parsed = await asyncio.to_thread(lambda: [_parse(payload) for payload in payloads])
    applied = 0
    for item in parsed:
        applied += await ingest(session, item, events)
    kinds = Counter(node.resource_type for node in [*artifacts.manifest.nodes.values(), *artifacts.manifest.sources.values()])
    return ImportSummary(
        models=kinds["model"], sources=kinds["source"], seeds=kinds["seed"], snapshots=kinds["snapshot"], tests=kinds["test"],
        events=len(payloads), unchanged=len(payloads) - applied,
    )


def _parse(payload: dict[str, Any]) -> ParsedEvent:
    try:
        return parse_event(msgspec.json.encode(payload))
    except InvalidFields as exc:
        raise InvalidFields(
            [(_subject(payload), exc.detail)], detail=f"dbt import: {_subject(payload)} cannot be stored: {exc.detail}"
        ) from None


def _subject(payload: dict[str, Any]) -> str:
    item = payload.get("job") or payload.get("dataset") or {}
    return f"{item.get('namespace')}/{item.get('name')}"
