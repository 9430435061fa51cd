"""Every write by a user, a token or the system leaves an ``audit_log`` row in its own transaction.

Capture happens in SQLAlchemy session events, as for the graph outbox (dlv.graph._outbox),
so no write path can forget it: the unit of work (rows added, changed or deleted through the
ORM) and bulk UPDATE/DELETE statements (retiring or purging edges) on the audited tables.
Bulk INSERTs are not read: OpenLineage ingestion uses them, and it is not audited; the
bulk upsert (dlv.lineage), which writes with Core statements for speed, hands its rows to
:func:`record_changes`, which writes the entries the events would have.
Actions that change no audited row (a test connection, a discovery run) call
:func:`record_node_run`.

Only sessions that carry an actor record anything. The API sets one for the caller of each
request (dlv.audit._middleware) except on OpenLineage ingestion (``POST /api/v1/lineage``):
that hot path is recorded by its raw event log (``lineage_events``), and all the capture
costs it is one dictionary lookup per flush. Scheduled work runs in sessions without an
actor, so scheduled health checks are not recorded; scheduled discovery sets the system as
actor (:func:`act_as_system`) because it changes the catalog.

Because the rows are written in the transaction of the change, a rejected request (rolled
back) leaves none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple
from uuid import UUID

import msgspec
from sqlalchemy import Table, event, insert, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from dlv.connectors import TestReport
from dlv.db.models import AlertChannel, AlertRule, ApiToken, AuditEntry, Dashboard, DataAsset, LineageEdge, Node, Process, User

AUDIT_ACTOR = "audit_actor"
AUDIT_REQUEST_ID = "audit_request_id"
# The value a secret field shows in a diff: that it was set or changed, never what to.
SECRET_SET = "set"
SECRET_CHANGED = "changed"
SECRET_REMOVED = "removed"
# Bookkeeping every table has; a change to only these is not worth an entry.
_ALWAYS_IGNORED = frozenset({"id", "created_at", "updated_at", "sa_orm_sentinel"})
# Enough ids for one IN (...) on every database (SQLite allows 32,766 parameters).
_CHUNK = 1000


class Actor(msgspec.Struct, frozen=True):
    """Who is acting in a session: ``kind`` is user, token or system."""

    kind: str
    name: str
    id: str | None = None


SYSTEM = Actor(kind="system", name="system")


@dataclass(frozen=True)
class Audited:
    """How one table shows up in the log."""

    entity_type: str
    name: Callable[[Mapping[str, Any]], str | None]
    # Secret columns and the word the diff uses for them (their value is never copied).
    secrets: Mapping[str, str] = field(default_factory=dict)
    # Operational fields that change on their own (test results, last use): never recorded.
    ignored: frozenset[str] = frozenset()
    # A nullable column whose first setting is this action rather than an update.
    ends_with: tuple[str, str] | None = None

    def diff(self, old: Mapping[str, Any], new: Mapping[str, Any], keys: Iterable[str], *, deleted: bool = False) -> dict[str, Any]:
        """Changed fields as ``{"old": ..., "new": ...}``; a secret only says it was set, changed or
        removed (and a deleted row's secrets are not mentioned at all)."""
        changes: dict[str, Any] = {}
        for key in keys:
            if key in _ALWAYS_IGNORED or key in self.ignored or (deleted and key in self.secrets):
                continue
            before, after = _plain(old.get(key)), _plain(new.get(key))
            if before == after:
                continue
            if key in self.secrets:
                changes[self.secrets[key]] = SECRET_SET if before is None else SECRET_REMOVED if after is None else SECRET_CHANGED
            else:
                changes[key] = {"old": before, "new": after}
        return changes

    def created(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """``diff({}, row, row)`` for a new row, converting the row once rather than per value
        (a bulk upsert records tens of thousands)."""
        plain = _plain({key: value for key, value in row.items() if value is not None})
        return {
            (self.secrets[key] if key in self.secrets else key): (SECRET_SET if key in self.secrets else {"old": None, "new": value})
            for key, value in plain.items()
            if key not in _ALWAYS_IGNORED and key not in self.ignored
        }

    def update_action(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
        if self.ends_with is not None:
            column, action = self.ends_with
            if old.get(column) is None and new.get(column) is not None:
                return action
        return "update"


def _qualified(row: Mapping[str, Any]) -> str | None:
    return f"{row.get('namespace')}/{row.get('name')}" if row.get("name") is not None else None


def _named(row: Mapping[str, Any]) -> str | None:
    return row.get("name")


AUDITED: dict[type, Audited] = {
    User: Audited("user", lambda row: row.get("username"), secrets={"password_hash": "password"}),
    ApiToken: Audited(
        "api_token", _named, secrets={"token_hash": "token"}, ignored=frozenset({"last_used_at"}), ends_with=("revoked_at", "revoke")
    ),
    Node: Audited(
        "node",
        _named,
        # ``secrets_set`` (the names of the secret fields that are set) stays visible; every
        # config change seals the secrets again, so "changed" means "written", not "new value".
        secrets={"encrypted_secrets": "secrets"},
        ignored=frozenset({"status", "status_message", "last_checked_at", "last_latency_ms"}),
    ),
    DataAsset: Audited("data_asset", _qualified, ends_with=("deleted_at", "retire")),
    Process: Audited("process", _qualified, ends_with=("deleted_at", "retire")),
    LineageEdge: Audited(
        "lineage_edge", lambda row: f"{row.get('source_id')} -> {row.get('target_id')}", ends_with=("valid_to", "retire")
    ),
    Dashboard: Audited("dashboard", _named),
    AlertChannel: Audited("alert_channel", _named, secrets={"encrypted_secrets": "secrets"}),
    AlertRule: Audited("alert_rule", _named),
}
ENTITY_NAME_MAX = AuditEntry.__table__.c.entity_name.type.length
ENTITY_TYPES = tuple(sorted({audited.entity_type for audited in AUDITED.values()}))
ACTIONS = ("create", "update", "delete", "retire", "revoke", "test", "discover")
_BY_TABLE: dict[str, tuple[Table, Audited]] = {model.__table__.name: (model.__table__, audited) for model, audited in AUDITED.items()}


def _plain(value: Any) -> Any:
    return msgspec.to_builtins(value)


def set_actor(session: AsyncSession | Session, actor: Actor, request_id: str | None = None) -> None:
    session.info[AUDIT_ACTOR] = actor
    session.info[AUDIT_REQUEST_ID] = request_id


def act_as_system(session: AsyncSession | Session) -> None:
    """Record this session's writes as the system's, unless a caller is already acting in it."""
    session.info.setdefault(AUDIT_ACTOR, SYSTEM)


def _actor(session: AsyncSession | Session) -> Actor | None:
    return session.info.get(AUDIT_ACTOR)


def _row(
    session: AsyncSession | Session,
    actor: Actor,
    at: datetime,
    action: str,
    entity_type: str,
    entity_id: Any,
    entity_name: str | None,
    diff: dict[str, Any] | None = None,
    summary: str | None = None,
) -> dict[str, Any]:
    return {
        "occurred_at": at,
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_name": actor.name,
        "action": action,
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id),
        "entity_name": _fitted_name(entity_name),
        "diff": diff or {},
        "summary": summary,
        "request_id": session.info.get(AUDIT_REQUEST_ID),
    }


def _fitted_name(name: str | None) -> str | None:
    """A qualified name (namespace/name) can outgrow the column: the entry keeps its start (the
    id identifies the entity; the diff has the full values)."""
    if name is None or len(name) <= ENTITY_NAME_MAX:
        return name
    return name[: ENTITY_NAME_MAX - 1] + "…"


def record(
    session: AsyncSession,
    action: str,
    entity_type: str,
    entity_id: UUID | None,
    entity_name: str | None,
    summary: str | None = None,
) -> None:
    """Record an action that is not a row change (a test, a discovery run); nothing without an actor."""
    actor = _actor(session)
    if actor is not None:
        row = _row(session, actor, datetime.now(timezone.utc), action, entity_type, entity_id, entity_name, summary=summary)
        session.add(AuditEntry(**row))


def record_node_run(session: AsyncSession, action: str, node_id: UUID | None, node_name: str, report: TestReport) -> None:
    """Record a connection test or a discovery run of a node with its outcome ("ok: ..." / "error: ...")."""
    record(session, action, "node", node_id, node_name, summary=f"{report.status}: {report.message}")


class Change(NamedTuple):
    """A row written by a Core statement (bulk upserts), as the session's events would have
    seen it: ``action`` create or update, the row's columns before and after."""

    model: type
    action: str
    old: Mapping[str, Any]
    new: Mapping[str, Any]


async def record_changes(session: AsyncSession, changes: Sequence[Change], at: datetime) -> None:
    """The entries the unit of work would have written for ``changes`` (nothing without an actor)."""
    actor = _actor(session)
    if actor is None:
        return
    rows = []
    for change in changes:
        audited = AUDITED[change.model]
        if change.action == "create":
            action, diff = "create", audited.created(change.new)
        else:
            action, diff = audited.update_action(change.old, change.new), audited.diff(change.old, change.new, change.new.keys())
        if diff:
            rows.append(_row(session, actor, at, action, audited.entity_type, change.new.get("id"), audited.name(change.new), diff))
    if rows:
        await (await session.connection()).execute(insert(AuditEntry.__table__), rows)


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)


def _flushed(session: Session, actor: Actor, at: datetime, audited: Audited, item: Any, action: str) -> dict[str, Any] | None:
    """The entry for one row the unit of work wrote (None: nothing worth recording changed).

    Runs after the flush, when attribute history still holds the values before it; only
    loaded values are read, so recording never triggers a lazy load.
    """
    state = inspect(item)
    columns = state.mapper.column_attrs.keys()
    current = {key: state.dict[key] for key in columns if key in state.dict}
    if action == "create":
        diff = audited.diff({}, current, columns)
    elif action == "delete":
        diff = audited.diff(current, {}, columns, deleted=True)
    else:
        history = {key: state.attrs[key].history for key in columns}
        old = {**current, **{key: h.deleted[0] for key, h in history.items() if h.deleted}}
        new = {**current, **{key: h.added[0] for key, h in history.items() if h.added}}
        diff = audited.diff(old, new, [key for key, h in history.items() if h.has_changes()])
        if not diff:
            return None
        action = audited.update_action(old, new)
    return _row(session, actor, at, action, audited.entity_type, current.get("id"), audited.name(current), diff)


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    actor = _actor(session)
    if actor is None:
        return
    at = datetime.now(timezone.utc)
    rows: list[dict[str, Any]] = []
    for group, action in ((session.new, "create"), (session.dirty, "update"), (session.deleted, "delete")):
        for item in group:
            audited = AUDITED.get(type(item))
            if audited is not None:
                row = _flushed(session, actor, at, audited, item, action)
                if row is not None:
                    rows.append(row)
    _write(session, rows)


def _bulk_target(state: ORMExecuteState) -> tuple[Table, Audited] | None:
    if not (state.is_update or state.is_delete):
        return None
    return _BY_TABLE.get(getattr(getattr(state.statement, "table", None), "name", ""))


def _read(session: Session, table: Table, ids: list[Any]) -> dict[Any, dict[str, Any]]:
    rows: dict[Any, dict[str, Any]] = {}
    for start in range(0, len(ids), _CHUNK):
        for row in session.connection().execute(select(table).where(table.c.id.in_(ids[start : start + _CHUNK]))):
            rows[row.id] = dict(row._mapping)
    return rows


def _do_orm_execute(state: ORMExecuteState) -> Any:
    actor = _actor(state.session)
    target = None if actor is None else _bulk_target(state)
    if actor is None or target is None:
        return None
    table, audited = target
    # The rows the statement will touch, read in the same transaction, then read again after;
    # its WHERE may hold bound parameters (OpenLineage's statements, which a dbt import runs as
    # an admin), read with each of the statement's parameter sets.
    where = state.statement.whereclause
    query = select(table) if where is None else select(table).where(where)
    sets = state.parameters if isinstance(state.parameters, list) else [state.parameters or {}]
    before = {row.id: dict(row._mapping) for params in sets for row in state.session.connection().execute(query, params)}
    if not before:
        return None
    result = state.invoke_statement()
    after = {} if state.is_delete else _read(state.session, table, list(before))
    at = datetime.now(timezone.utc)
    rows = []
    for row_id, old in before.items():
        new = after.get(row_id, {})
        action = "delete" if state.is_delete else audited.update_action(old, new)
        diff = audited.diff(old, new, old.keys(), deleted=state.is_delete)
        if diff:
            rows.append(_row(state.session, actor, at, action, audited.entity_type, row_id, audited.name(old), diff))
    _write(state.session, rows)
    return result


def install() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _do_orm_execute)


install()
