"""The body an alert is delivered with, built once by the dispatcher: what happened, the
rule, the downstream impact (DLV's impact analysis) and links into the UI.

Built after the commit rather than inside the write that fired the alert, so ingestion
pays one INSERT per alert and not a graph traversal; every delivery and retry of the alert
then sends the same stored body.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.config import Settings
from dlv.db.models import AlertEvent, DataAsset, Process, Run
from dlv.graph import SqlGraphStore
from dlv.lib.exceptions import NotFound
from dlv.lineage import LineageGraph

# Impacted items listed in one alert (the summary counts them all).
IMPACTED_MAX = 200
IMPACT_DEPTH = 20


NO_IMPACT: dict[str, Any] = {"total": None, "impacted": [], "by_criticality": {}, "truncated": True}


async def build_payload(session: AsyncSession, alert: AlertEvent, notify_owners: bool, settings: Settings, *, impact: bool = True) -> dict[str, Any]:
    """``impact=False``: without the downstream impact (its traversal failed); ``total`` is null."""
    impact = await _impact(session, alert, settings) if impact else NO_IMPACT
    owners = sorted({item["owner"] for item in impact["impacted"] if item.get("owner")} | set(await _subject_owner(session, alert)))
    base = (settings.public_url or "").rstrip("/")
    return {
        "id": str(alert.id),
        "rule": {"id": str(alert.rule_id) if alert.rule_id else None, "name": alert.rule_name, "kind": alert.kind},
        "occurred_at": alert.occurred_at.isoformat(),
        "subject": {"type": alert.subject_type, "id": str(alert.subject_id), "name": alert.subject_name},
        "message": f"{alert.subject_name}: {alert.message}",
        "detail": {**alert.detail, **await _run_detail(session, alert)},
        "impact": impact,
        "owners": owners,
        "notify_owners": owners if notify_owners else [],
        "links": {
            "subject": f"{base}/ui/lineage?node={alert.subject_id}",
            "impact": f"{base}/ui/lineage?node={alert.subject_id}&impact={alert.subject_id}",
            "alerts": f"{base}/ui/alerts",
        },
    }


async def _impact(session: AsyncSession, alert: AlertEvent, settings: Settings) -> dict[str, Any]:
    graph = LineageGraph(session, SqlGraphStore(session), timeout=settings.graph_query_timeout_seconds)
    try:
        start = await graph.resolve(alert.subject_id, None, None, None, allow_catalog_node=True)
    except NotFound:  # deleted since: nothing downstream to name
        return {"total": 0, "impacted": [], "by_criticality": {}, "truncated": False}
    result = await graph.impact(start, min(IMPACT_DEPTH, settings.max_graph_depth), max_nodes=settings.graph_max_nodes)
    impacted = [
        {key: value for key, value in msgspec.to_builtins(item).items() if key != "kind"}
        for item in result.impacted[:IMPACTED_MAX]
    ]
    return {
        "total": result.summary.total,
        "impacted": impacted,
        "by_criticality": result.summary.by_criticality,
        "truncated": result.truncated or result.summary.total > IMPACTED_MAX,
    }


async def _subject_owner(session: AsyncSession, alert: AlertEvent) -> list[str]:
    model = {"asset": DataAsset, "process": Process}.get(alert.subject_type)
    if model is None:
        return []
    owner = await session.scalar(select(model.owner).where(model.id == alert.subject_id))
    return [owner] if owner else []


async def _run_detail(session: AsyncSession, alert: AlertEvent) -> dict[str, Any]:
    run_id = alert.detail.get("run_id")
    if alert.kind != "run_failed" or not run_id:
        return {}
    row = (await session.execute(select(Run.error_message, Run.ended_at).where(Run.run_id == run_id))).first()
    if row is None:
        return {}
    return {"error_message": row.error_message, "ended_at": row.ended_at.isoformat() if row.ended_at else None}
