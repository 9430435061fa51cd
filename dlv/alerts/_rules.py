"""Alert rules: storage with checked references, and the process-wide cache write paths read.

Ingestion asks for the rules on every transaction, so they are cached per database for a
couple of seconds (and dropped at once when this process changes a rule): when no rule
exists, what a write path pays is one dictionary lookup. A rule changed in another process
is seen here within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.alerts._schemas import Condition, RuleCreate, RuleUpdate, Scope
from dlv.db.models import AlertChannel, AlertRule, DataAsset, Node, Process
from dlv.lib.exceptions import Conflict, invalid

CACHE_SECONDS = 2.0
# Which kind of subject each scope list names, to check the ids exist.
_SCOPE_MODELS = {"asset_ids": DataAsset, "process_ids": Process, "node_ids": Node}


@dataclass(frozen=True)
class ActiveRule:
    """An enabled rule as write paths and the dispatcher use it."""

    id: UUID
    name: str
    kind: str
    max_age_seconds: int | None
    ids: frozenset[UUID]
    node_ids: frozenset[UUID]
    namespaces: frozenset[str]
    tags: frozenset[str]
    channel_ids: tuple[UUID, ...]
    notify_downstream_owners: bool

    @property
    def everything(self) -> bool:
        return not (self.ids or self.node_ids or self.namespaces or self.tags)

    def covers(self, subject_id: UUID, namespace: str | None, tags: list[str] | None, node_id: UUID | None) -> bool:
        """A subject is in scope when it matches any list of the scope (all empty: everything)."""
        return (
            self.everything
            or subject_id in self.ids
            or (node_id is not None and node_id in self.node_ids)
            or (namespace is not None and namespace in self.namespaces)
            or bool(self.tags.intersection(tags or ()))
        )


def active_rule(rule: AlertRule) -> ActiveRule:
    scope = rule.scope or {}
    return ActiveRule(
        id=rule.id,
        name=rule.name,
        kind=rule.kind,
        max_age_seconds=(rule.condition or {}).get("max_age_seconds"),
        ids=frozenset(UUID(str(item)) for key in ("asset_ids", "process_ids") for item in scope.get(key, [])),
        node_ids=frozenset(UUID(str(item)) for item in scope.get("node_ids", [])),
        namespaces=frozenset(scope.get("namespaces", [])),
        tags=frozenset(scope.get("tags", [])),
        channel_ids=tuple(UUID(str(item)) for item in rule.channel_ids or []),
        notify_downstream_owners=rule.notify_downstream_owners,
    )


class RuleCache:
    """Enabled rules per database, read at most every ``CACHE_SECONDS``."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, list[ActiveRule]]] = {}

    @staticmethod
    def _key(session: AsyncSession) -> str:
        return str(session.get_bind().engine.url)

    def known_empty(self, session: AsyncSession) -> bool:
        """True when the cache knows, fresh, that no rule is enabled (no I/O)."""
        entry = self._entries.get(self._key(session))
        return entry is not None and not entry[1] and time.monotonic() - entry[0] < CACHE_SECONDS

    async def rules(self, session: AsyncSession) -> list[ActiveRule]:
        key = self._key(session)
        entry = self._entries.get(key)
        if entry is not None and time.monotonic() - entry[0] < CACHE_SECONDS:
            return entry[1]
        rules = [active_rule(rule) for rule in await session.scalars(select(AlertRule).where(AlertRule.enabled.is_(True)))]
        self._entries[key] = (time.monotonic(), rules)
        return rules

    def forget(self) -> None:
        self._entries.clear()


RULES = RuleCache()


class RuleService(SQLAlchemyAsyncRepositoryService[AlertRule]):
    class Repo(SQLAlchemyAsyncRepository[AlertRule]):
        model_type = AlertRule

    repository_type = Repo

    async def create_rule(self, data: RuleCreate) -> AlertRule:
        await self._check(data.condition, data.scope, data.channel_ids)
        await ensure_name_free(self, data.name, "rule")
        rule = AlertRule(
            name=data.name,
            description=data.description,
            enabled=data.enabled,
            notify_downstream_owners=data.notify_downstream_owners,
        )
        _store(rule, data.condition, data.scope, data.channel_ids)
        RULES.forget()
        return await self.create(rule)

    async def update_rule(self, rule_id: UUID, data: RuleUpdate) -> AlertRule:
        rule = await self.get(rule_id)
        condition = msgspec.convert(rule.condition, Condition) if data.condition is msgspec.UNSET else data.condition
        scope = msgspec.convert(rule.scope, Scope) if data.scope is msgspec.UNSET else data.scope
        channel_ids = [UUID(str(item)) for item in rule.channel_ids] if data.channel_ids is msgspec.UNSET else data.channel_ids
        await self._check(condition, scope, channel_ids)
        if data.name is not msgspec.UNSET:
            await ensure_name_free(self, data.name, "rule", rule.id)
            rule.name = data.name
        for field in ("description", "enabled", "notify_downstream_owners"):
            if (value := getattr(data, field)) is not msgspec.UNSET:
                setattr(rule, field, value)
        _store(rule, condition, scope, channel_ids)
        RULES.forget()
        return await self.update(rule)

    async def remove(self, rule_id: UUID) -> None:
        await self.get(rule_id)
        RULES.forget()
        await self.delete(rule_id)

    async def _check(self, condition: Condition, scope: Scope, channel_ids: list[UUID]) -> None:
        if condition.kind == "freshness" and condition.max_age_seconds is None:
            raise invalid("condition.max_age_seconds", "a freshness rule needs max_age_seconds (60 to 2592000)")
        if condition.kind != "freshness" and condition.max_age_seconds is not None:
            raise invalid("condition.max_age_seconds", f"only freshness rules take max_age_seconds; send null for {condition.kind}")
        session = self.repository.session
        await _check_exist(session, AlertChannel, channel_ids, "channel_ids")
        for field, model in _SCOPE_MODELS.items():
            await _check_exist(session, model, getattr(scope, field), f"scope.{field}")


async def ensure_name_free(service: Any, name: str, what: str, item_id: UUID | None = None) -> None:
    """Names of channels and rules are unique: a 409 naming the field otherwise."""
    existing = await service.get_one_or_none(name=name)
    if existing is not None and existing.id != item_id:
        raise Conflict(f"A {what} named {name!r} already exists; choose another name or edit that {what}.", field="name")


async def _check_exist(session: AsyncSession, model: Any, ids: list[UUID], field: str) -> None:
    if not ids:
        return
    found = set((await session.scalars(select(model.id).where(model.id.in_(ids)))).all())
    missing = [str(item) for item in ids if item not in found]
    if missing:
        raise invalid(field, f"no such id: {', '.join(missing[:5])}; send ids that exist")


def _store(rule: AlertRule, condition: Condition, scope: Scope, channel_ids: list[UUID]) -> None:
    rule.kind = condition.kind
    rule.condition = msgspec.to_builtins(condition)
    rule.scope = msgspec.to_builtins(scope)
    rule.channel_ids = [str(item) for item in dict.fromkeys(channel_ids)]


def rule_read(rule: AlertRule) -> dict[str, Any]:
    """The fields of ``RuleRead`` from a stored rule."""
    return {
        "id": rule.id, "name": rule.name, "description": rule.description, "enabled": rule.enabled,
        "condition": msgspec.convert(rule.condition, Condition), "scope": msgspec.convert(rule.scope, Scope),
        "channel_ids": [UUID(str(item)) for item in rule.channel_ids], "notify_downstream_owners": rule.notify_downstream_owners,
        "created_at": rule.created_at, "updated_at": rule.updated_at,
    }  # fmt: skip
