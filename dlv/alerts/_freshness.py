"""Alerts that depend on time and state rather than on one write: freshness (an asset not
written, or a process without a completed run, for longer than its rule allows) and the
resolution of open alerts whose subject recovered. Run by the dispatcher's ticks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.alerts._fire import Cause, fire
from dlv.alerts._rules import RULES, ActiveRule
from dlv.db.models import AlertEvent, DataAsset, Node, Process, Run, RunDataset


def _last_write() -> Any:
    return (
        select(func.max(RunDataset.observed_at))
        .where(RunDataset.asset_id == DataAsset.id, RunDataset.direction == "output")
        .correlate(DataAsset)
        .scalar_subquery()
    )


def _last_completion() -> Any:
    return (
        select(func.max(Run.ended_at)).where(Run.process_id == Process.id, Run.state == "COMPLETE").correlate(Process).scalar_subquery()
    )


def _in_scope(model: Any, rule: ActiveRule) -> Any:
    """A SQL prefilter of the rule's scope (tags are matched afterwards, by ``fire``)."""
    if rule.everything or rule.tags:
        return model.deleted_at.is_(None)
    conditions = [model.id.in_(rule.ids), model.namespace.in_(rule.namespaces)]
    if model is DataAsset:
        conditions.append(DataAsset.node_id.in_(rule.node_ids))
    return model.deleted_at.is_(None) & or_(false(), *conditions)


async def evaluate_freshness(session: AsyncSession) -> int:
    """Fire one alert per stale period of each subject in a freshness rule's scope."""
    rules = [rule for rule in await RULES.rules(session) if rule.kind == "freshness" and rule.max_age_seconds]
    written = 0
    now = datetime.now(timezone.utc)
    for rule in rules:
        causes = []
        for model, kind, last, verb in ((DataAsset, "asset", _last_write(), "written"), (Process, "process", _last_completion(), "completed a run")):
            since = func.coalesce(last, model.created_at)
            rows = await session.execute(select(model.id, since).where(_in_scope(model, rule), since < now - timedelta(seconds=rule.max_age_seconds)))
            for subject_id, at in rows:
                age = int((now - at).total_seconds())
                causes.append(Cause(
                    "freshness", kind, subject_id, f"not {verb} for {age // 60} min (allowed: {rule.max_age_seconds // 60} min)",
                    dedupe=f"fresh:{at.isoformat()}", detail={"last": at.isoformat(), "max_age_seconds": rule.max_age_seconds},
                ))  # fmt: skip
        written += await fire(session, causes, [rule])
    return written


async def resolve_recovered(session: AsyncSession) -> None:
    """Close open alerts whose subject is well again: a process whose last run completed,
    a node no longer in error, an asset whose quality checks pass, a stale subject written."""
    now = datetime.now(timezone.utc)
    open_alerts = AlertEvent.resolved_at.is_(None)
    recovered = {
        "run_failed": select(Process.id).where(Process.last_run_state == "COMPLETE"),
        "node_error": select(Node.id).where(Node.status != "error"),
    }
    for kind, ids in recovered.items():
        await session.execute(update(AlertEvent).where(open_alerts, AlertEvent.kind == kind, AlertEvent.subject_id.in_(ids)).values(resolved_at=now))
    rows = await session.execute(
        select(AlertEvent.id, AlertEvent.kind, AlertEvent.detail, DataAsset.quality, _last_write())
        .join(DataAsset, DataAsset.id == AlertEvent.subject_id)
        .where(open_alerts, AlertEvent.kind.in_(("quality_failed", "freshness")))
    )
    done = [alert_id for alert_id, kind, detail, quality, written in rows if _recovered(kind, detail, quality, written)]
    done += [
        alert_id
        for alert_id, detail, completed in await session.execute(
            select(AlertEvent.id, AlertEvent.detail, _last_completion())
            .join(Process, Process.id == AlertEvent.subject_id)
            .where(open_alerts, AlertEvent.kind == "freshness")
        )
        if _later(completed, detail)
    ]
    if done:
        await session.execute(update(AlertEvent).where(AlertEvent.id.in_(done)).values(resolved_at=now))


def _recovered(kind: str, detail: dict[str, Any], quality: dict[str, Any] | None, written: datetime | None) -> bool:
    if kind == "quality_failed":
        return (quality or {}).get("status") != "failing"
    return _later(written, detail)


def _later(at: datetime | None, detail: dict[str, Any]) -> bool:
    """Whether ``at`` (a write, a completion) came after the one a freshness alert saw last."""
    return at is not None and "last" in detail and at > datetime.fromisoformat(detail["last"])
