"""Nodes: storage, config changes that keep secrets, and the check history."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import msgspec
from advanced_alchemy.filters import FilterTypes
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement, column, delete, exists, func, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from dlv import alerts
from dlv.connectors import TestReport
from dlv.db.models import Node, NodeCheck
from dlv.lib.crypto import SecretsUnreadable
from dlv.lib.exceptions import Conflict
from dlv.lib.exceptions import invalid
from dlv.nodes._connectors import Connectors, PreparedConfig, merge_patch
from dlv.nodes._schemas import NodeCreate, NodeUpdate
from dlv.observability import count_node_check

# Enough history to see a flapping node; older scheduled results are dropped.
CHECKS_KEPT_PER_NODE = 500
# The check-history trigger of a discovery run (dlv.nodes._discovery records it).
DISCOVERY_TRIGGER = "discovery"
# NodeUpdate fields stored on the node as they are sent.
_PLAIN_FIELDS = ("description", "check_interval_seconds", "discovery_interval_seconds")


class NodeService(SQLAlchemyAsyncRepositoryService[Node]):
    class Repo(SQLAlchemyAsyncRepository[Node]):
        model_type = Node

    repository_type = Repo

    @property
    def _session(self) -> Any:
        return self.repository.session

    async def _ensure_name_free(self, name: str, node_id: UUID | None = None) -> None:
        existing = await self.get_one_or_none(name=name)
        if existing is not None and existing.id != node_id:
            raise Conflict(f"A node named {name!r} already exists; choose another name or edit that node.", field="name")

    async def create_node(self, data: NodeCreate, connectors: Connectors) -> Node:
        prepared = connectors.prepare(data.type, data.config)
        _ensure_discoverable(connectors, data.type, data.discovery_interval_seconds)
        await self._ensure_name_free(data.name)
        node = Node(
            name=data.name,
            type=data.type,
            description=data.description,
            tags=list(data.tags),
            check_interval_seconds=data.check_interval_seconds,
            discovery_interval_seconds=data.discovery_interval_seconds,
            status="unknown",
        )
        self._apply(node, prepared)
        return await self.create(node)

    async def update_node(self, node_id: UUID, data: NodeUpdate, connectors: Connectors) -> Node:
        node = await self.get(node_id)
        if data.config is not msgspec.UNSET:
            self._apply(node, connectors.prepare(node.type, merge_patch(self._stored_config(node, connectors), data.config)))
        if data.name is not msgspec.UNSET:
            await self._ensure_name_free(data.name, node.id)
            node.name = data.name
        if data.tags is not msgspec.UNSET:
            node.tags = list(data.tags)
        if data.discovery_interval_seconds is not msgspec.UNSET:
            _ensure_discoverable(connectors, node.type, data.discovery_interval_seconds)
        for field in _PLAIN_FIELDS:
            value = getattr(data, field)
            if value is not msgspec.UNSET:
                setattr(node, field, value)
        return await self.update(node)

    @staticmethod
    def _stored_config(node: Node, connectors: Connectors) -> dict[str, Any]:
        try:
            return connectors.stored_config(node)
        except SecretsUnreadable as exc:
            raise Conflict(
                f"Cannot change the config of {node.name!r}: {exc}. Send every secret field again with the change.",
                field="config",
            ) from None

    @staticmethod
    def _apply(node: Node, prepared: PreparedConfig) -> None:
        node.config = prepared.public
        node.encrypted_secrets = prepared.sealed_secrets
        node.secrets_set = prepared.secrets_set

    async def list_nodes(self, filters: list[FilterTypes], tag: str | None) -> tuple[list[Node], int]:
        conditions = [self._has_tag(tag)] if tag else []
        nodes, total = await self.list_and_count(*filters, *conditions)
        return list(nodes), total

    def _has_tag(self, tag: str) -> ColumnElement[bool]:
        if self._session.get_bind().dialect.name == "postgresql":
            return type_coerce(Node.tags, JSONB).contains([tag])
        elements = func.json_each(Node.tags).table_valued("value")
        return exists(select(1).select_from(elements).where(column("value") == tag))

    async def remove(self, node_id: UUID) -> None:
        await self.get(node_id)
        await self._session.execute(delete(NodeCheck).where(NodeCheck.node_id == node_id))
        await self.delete(node_id)

    async def record_check(self, node: Node, report: TestReport, trigger: str) -> NodeCheck:
        """Store a test result on the node and in its history."""
        checked_at = datetime.now(timezone.utc)
        await alerts.node_error(self._session, node.id, node.status, report.status, report.message, checked_at)
        node.status = report.status
        node.status_message = report.message
        node.last_checked_at = checked_at
        node.last_latency_ms = report.latency_ms
        check = NodeCheck(
            node_id=node.id,
            status=report.status,
            message=report.message,
            latency_ms=report.latency_ms,
            steps=msgspec.to_builtins(report.steps),
            checked_at=checked_at,
            trigger=trigger,
        )
        self._session.add(check)
        await self.update(node)
        await self._prune_checks(node.id)
        count_node_check(self._session, node.type, report.status)
        return check

    async def _prune_checks(self, node_id: UUID) -> None:
        keep = (
            select(NodeCheck.id)
            .where(NodeCheck.node_id == node_id)
            .order_by(NodeCheck.checked_at.desc())
            .limit(CHECKS_KEPT_PER_NODE)
        )
        await self._session.execute(
            delete(NodeCheck).where(NodeCheck.node_id == node_id, NodeCheck.id.not_in(keep)),
            execution_options={"synchronize_session": False},
        )

    async def checks(self, node_id: UUID, limit: int) -> list[NodeCheck]:
        await self.get(node_id)
        statement = (
            select(NodeCheck).where(NodeCheck.node_id == node_id).order_by(NodeCheck.checked_at.desc()).limit(limit)
        )
        return list((await self._session.scalars(statement)).all())

    async def due_for_check(self, now: datetime) -> list[UUID]:
        """Nodes with a check interval whose last check is older than that interval."""
        rows = await self._session.execute(
            select(Node.id, Node.check_interval_seconds, Node.last_checked_at).where(
                Node.check_interval_seconds.is_not(None)
            )
        )
        return _due(rows, now)

    async def due_for_discovery(self, now: datetime) -> list[UUID]:
        """Nodes with a discovery interval whose last discovery (the newest check with trigger
        ``discovery``, whatever its outcome) is older than that interval."""
        last = (
            select(func.max(NodeCheck.checked_at))
            .where(NodeCheck.node_id == Node.id, NodeCheck.trigger == DISCOVERY_TRIGGER)
            .correlate(Node)
            .scalar_subquery()
        )
        rows = await self._session.execute(
            select(Node.id, Node.discovery_interval_seconds, last).where(Node.discovery_interval_seconds.is_not(None))
        )
        return _due(rows, now)


def _due(rows: Iterable[Any], now: datetime) -> list[UUID]:
    """The ids of (id, interval seconds, last run) rows that never ran or whose interval has passed."""
    return [
        node_id
        for node_id, interval, last_run in rows
        if last_run is None or last_run + timedelta(seconds=interval) <= now
    ]


def _ensure_discoverable(connectors: Connectors, type_key: str, interval: int | None) -> None:
    """A discovery schedule only makes sense for a node type that can discover."""
    node_type = connectors.types.get(type_key)
    if interval is not None and (node_type is None or not node_type.can_discover()):
        raise invalid("discovery_interval_seconds", f"nodes of type {type_key} cannot be discovered; send null")
