"""Firing alerts: rows in ``alert_events`` (and one pending ``alert_deliveries`` row per
channel) written in the transaction of the change that caused them, so a change that
commits has its alerts, and a change that rolls back has none.

Write paths hand over causes (what happened to which subject); this module matches them
against the cached rules with a fixed number of set-based statements per call, and costs
a dictionary lookup when no rule is enabled.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.alerts._rules import RULES, ActiveRule
from dlv.db.models import AlertChannel, AlertDelivery, AlertEvent, AlertRule, DataAsset, Node, Process

_MODELS = {"asset": DataAsset, "process": Process, "node": Node}


@dataclass
class Cause:
    """Something a rule of ``kind`` may alert about."""

    kind: str
    subject_type: str  # asset | process | node
    subject_id: UUID
    message: str
    # Two causes with the same key for one rule are one alert (a run's failure, a stale period).
    dedupe: str = field(default_factory=lambda: uuid4().hex)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Subject:
    name: str
    namespace: str | None
    tags: list[str]
    node_id: UUID | None


async def fire(session: AsyncSession, causes: list[Cause], rules: list[ActiveRule] | None = None) -> int:
    """Write the alerts ``causes`` raise under the enabled rules; the number written."""
    if not causes:
        return 0
    kinds = {cause.kind for cause in causes}
    relevant = [rule for rule in (await RULES.rules(session) if rules is None else rules) if rule.kind in kinds]
    if not relevant:
        return 0
    subjects = await _subjects(session, causes)
    now = datetime.now(timezone.utc)
    rows, channels = [], {}
    for cause in causes:
        subject = subjects.get(cause.subject_id)
        if subject is None:
            continue
        for rule in relevant:
            if rule.kind == cause.kind and rule.covers(cause.subject_id, subject.namespace, subject.tags, subject.node_id):
                rows.append(_event_row(rule, cause, subject, now))
                channels[rows[-1]["id"]] = rule.channel_ids
    # The cache may hold a rule deleted or disabled a moment ago in another process.
    live = set((await session.scalars(select(AlertRule.id).where(AlertRule.id.in_({row["rule_id"] for row in rows}), AlertRule.enabled.is_(True)))).all())
    rows = [row for row in rows if row["rule_id"] in live]
    if not rows:
        return 0
    written = await _insert_new(session, rows)
    await _deliveries(session, [(alert_id, channels[alert_id]) for alert_id in written], now)
    return len(written)


def _event_row(rule: ActiveRule, cause: Cause, subject: _Subject, now: datetime) -> dict[str, Any]:
    name = f"{subject.namespace}/{subject.name}" if subject.namespace else subject.name
    return {
        "id": uuid4(), "rule_id": rule.id, "rule_name": rule.name, "kind": cause.kind, "dedupe_key": cause.dedupe[:300],
        "subject_type": cause.subject_type, "subject_id": cause.subject_id, "subject_name": name[:1500],
        "message": cause.message, "detail": cause.detail, "occurred_at": now,
    }  # fmt: skip  (no payload key: a JSON column bound None stores JSON null, not SQL NULL)


async def _subjects(session: AsyncSession, causes: list[Cause]) -> dict[UUID, _Subject]:
    found: dict[UUID, _Subject] = {}
    for kind, model in _MODELS.items():
        ids = list({cause.subject_id for cause in causes if cause.subject_type == kind})
        if not ids:
            continue
        namespace = model.namespace if kind != "node" else None
        node_id = DataAsset.node_id if kind == "asset" else (model.id if kind == "node" else None)
        columns = [model.id, model.name, model.tags, *(c for c in (namespace, node_id) if c is not None)]
        for row in await session.execute(select(*columns).where(model.id.in_(ids))):
            values = dict(row._mapping)
            found[values["id"]] = _Subject(values["name"], values.get("namespace"), values.get("tags") or [], _node_of(kind, values))
    return found


def _node_of(kind: str, values: dict[str, Any]) -> UUID | None:
    return values.get("node_id") if kind == "asset" else values["id"] if kind == "node" else None


async def _insert_new(session: AsyncSession, rows: list[dict[str, Any]]) -> list[UUID]:
    """Insert the alerts not fired before (same rule and dedupe key); their ids."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = AlertEvent.__table__
    statement = insert(table).values(rows).on_conflict_do_nothing(index_elements=["rule_id", "dedupe_key"]).returning(table.c.id)
    return list((await session.scalars(statement)).all())


async def _deliveries(session: AsyncSession, alerts: list[tuple[UUID, tuple[UUID, ...]]], now: datetime) -> None:
    channel_ids = {channel_id for _, ids in alerts for channel_id in ids}
    if not channel_ids:
        return
    names = dict((await session.execute(select(AlertChannel.id, AlertChannel.name).where(AlertChannel.id.in_(channel_ids)))).all())
    rows = [
        {"id": uuid4(), "alert_id": alert_id, "channel_id": channel_id, "channel_name": names[channel_id], "state": "pending",
         "attempts": 0, "next_attempt_at": now, "delivered_at": None, "last_error": None}
        for alert_id, ids in alerts
        for channel_id in ids
        if channel_id in names
    ]  # fmt: skip
    if rows:
        await session.execute(AlertDelivery.__table__.insert(), rows)


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:24]


# --- what ingestion changed


class IngestAlerts:
    """What one ingest transaction changed that rules may alert about: failed runs (from each
    event's ``Applied``) and, per asset, its columns and quality before and after. Asset
    watching is skipped when the cache knows no rule is enabled."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.active = not RULES.known_empty(session)
        self._assets: dict[UUID, tuple[Any, Any, Any]] = {}

    def watch(self, asset: Any) -> None:
        """Call before facets change ``asset`` (a model or a row): keeps its first state."""
        if self.active:
            first = self._assets.get(asset.id)
            self._assets[asset.id] = (asset, *(first[1:] if first else (asset.fields, asset.quality)))

    async def fire(self, applied: Iterable[Any]) -> None:
        if not self.active:
            return
        causes = [cause for item in applied if (cause := _run_failed(item.run)) is not None]
        for asset_id, (asset, fields, quality) in self._assets.items():
            # Facets replace a changed value (never edit it in place): the same object is no change.
            if asset.fields is not fields or asset.quality is not quality:
                causes.extend(_asset_causes(asset_id, fields, asset.fields, quality, asset.quality))
        await fire(self.session, causes)


def _run_failed(run: tuple[UUID, str, str, str | None] | None) -> Cause | None:
    if run is None or run[2] != "FAIL" or run[3] == "FAIL":
        return None
    process_id, run_id, _, _ = run
    return Cause("run_failed", "process", process_id, f"run {run_id} failed", dedupe=f"run:{run_id}", detail={"run_id": run_id})


def _asset_causes(asset_id: UUID, fields_before: Any, fields_after: Any, quality_before: Any, quality_after: Any) -> list[Cause]:
    causes = []
    types_before = {item.get("name"): item.get("type") for item in fields_before or []}
    types_after = {item.get("name"): item.get("type") for item in fields_after or []}
    removed = sorted(name for name in types_before if name not in types_after)
    retyped = [{"name": n, "before": t, "after": types_after[n]} for n, t in types_before.items() if n in types_after and types_after[n] != t]
    if types_before and (removed or retyped):
        parts = [f"column{'s' if len(removed) > 1 else ''} {', '.join(removed)} removed"] if removed else []
        parts += [f"{item['name']} changed type from {item['before']} to {item['after']}" for item in retyped]
        causes.append(Cause("schema_changed", "asset", asset_id, "; ".join(parts), detail={"removed": removed, "retyped": retyped}))
    if quality_after and quality_after.get("status") == "failing" and quality_after != quality_before:
        failing = quality_after.get("failing", [])
        message = f"{len(failing)} of {quality_after.get('total')} quality assertions failing"
        causes.append(Cause("quality_failed", "asset", asset_id, message, detail={"failing": failing, "total": quality_after.get("total")}))
    return causes


async def node_error(session: AsyncSession, node_id: UUID, previous: str | None, status: str, message: str, checked_at: datetime) -> None:
    """A catalog node's check turned to error (from ok or unknown): fire ``node_error`` rules."""
    if status != "error" or previous == "error" or RULES.known_empty(session):
        return
    cause = Cause("node_error", "node", node_id, message, dedupe=f"node:{checked_at.isoformat()}", detail={"status": status})
    await fire(session, [cause])
