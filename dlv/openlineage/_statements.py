"""The SQL both OpenLineage appliers run, built once: inserts of new jobs, datasets, aliases
and runs (``dlv.db.sql.insert_on_conflict``), process health, and the batch's set-based reads.

Built once with bound parameters: SQLAlchemy then finds their compiled form by a cache key it
computes once, instead of rebuilding and hashing the whole statement on every event (a
measurable share of an event's cost).
"""

from __future__ import annotations

import functools

from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import String, bindparam, func, literal, null, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import UUID as PG_UUID

from dlv.db.models import AssetAlias, DataAsset, LineageEdge, LineageEvent, Process, Run, RunDataset
from dlv.db.sql import among, insert_on_conflict, not_among, pairs_among, with_defaults

PROCESSES, ASSETS, ALIASES = Process.__table__, DataAsset.__table__, AssetAlias.__table__
RUNS, EDGES, EVENTS = Run.__table__, LineageEdge.__table__, LineageEvent.__table__
RUN_DATASETS = RunDataset.__table__

# New jobs, datasets and aliases: INSERT ... ON CONFLICT DO NOTHING, so concurrent events
# naming the same new one both succeed instead of one failing on the unique key.
NEW_PROCESS_COLUMNS = ("id", "namespace", "name", "kind", "tags", "facet_times", "created_at", "updated_at")
NEW_ASSET_COLUMNS = ("id", "namespace", "name", "kind", "tags", "fields", "facet_times", "created_at", "updated_at")
NEW_ALIAS_COLUMNS = ("id", "namespace", "name", "type", "asset_id")
INSERT_PROCESSES = insert_on_conflict(PROCESSES, NEW_PROCESS_COLUMNS, ("namespace", "name"))
INSERT_ASSETS = insert_on_conflict(ASSETS, NEW_ASSET_COLUMNS, ("namespace", "name"))
INSERT_ALIASES = insert_on_conflict(ALIASES, NEW_ALIAS_COLUMNS, ("namespace", "name"))

RUN_COLUMNS = ("id", "run_id", "process_id", "state", "started_at", "ended_at", "updated_at", "error_message")
RUN_CHANGES = ("state", "started_at", "ended_at", "updated_at", "error_message")
# One run (EventMapper): the row when it is new, nothing when it existed.
INSERT_RUN = insert_on_conflict(RUNS, RUN_COLUMNS, ("run_id",), returning=[column.name for column in RUNS.c])
# New runs and advanced ones in one executemany (BatchMapper).
UPSERT_RUNS = insert_on_conflict(RUNS, RUN_COLUMNS, ("run_id",), update=RUN_CHANGES)
# What a run read and wrote; a pair seen again keeps the earliest event's time.
RUN_DATASET_COLUMNS = ("id", "run_id", "asset_id", "direction", "observed_at")
RECORD_RUN_DATASETS = insert_on_conflict(
    RUN_DATASETS, RUN_DATASET_COLUMNS, ("run_id", "asset_id", "direction"),
    update=("observed_at",), update_where="run_datasets.observed_at > excluded.observed_at",
)
RUN_FOR_UPDATE = select(Run).where(Run.run_id == bindparam("run_id")).with_for_update()
# When the latest completed run of a process other than ``run_id`` started (rules.superseded).
LATEST_OTHER_COMPLETE = select(func.max(Run.started_at)).where(
    Run.process_id == bindparam("process_id"), Run.state == "COMPLETE", Run.run_id != bindparam("run_id")
)


def _latest(column: Any) -> Any:
    return (
        select(column)
        .where(RUNS.c.process_id == bindparam("b_process"))
        .order_by(RUNS.c.started_at.desc(), RUNS.c.run_id.desc())
        .limit(1)
        .scalar_subquery()
    )


# A process's health is its latest run's state; written only when it changes. Core, so the
# batch applier runs it for many processes at once (executemany).
_latest_state, _latest_at = _latest(RUNS.c.state), _latest(func.coalesce(RUNS.c.ended_at, RUNS.c.started_at))
UPDATE_HEALTH = (
    update(PROCESSES)
    .where(
        PROCESSES.c.id == bindparam("b_process"),
        or_(PROCESSES.c.last_run_state.is_distinct_from(_latest_state), PROCESSES.c.last_run_at.is_distinct_from(_latest_at)),
    )
    .values(last_run_state=_latest_state, last_run_at=_latest_at)
)

PROCESS_COLUMNS = ("id", "namespace", "name", "kind", "owner", "description", "sql", "parent_id", "deleted_at", "tags", "facet_times")
ASSET_COLUMNS = ("id", "namespace", "name", "kind", "owner", "description", "fields", "node_id", "deleted_at", "tags", "facet_times", "quality")
EDGE_COLUMNS = ("id", "source_id", "source_type", "target_id", "target_type", "origin", "columns", "valid_from", "valid_to", "run_id")
PROCESS_CHANGES = ("kind", "owner", "description", "sql", "parent_id", "deleted_at", "tags", "facet_times", "updated_at")
ASSET_CHANGES = ("kind", "owner", "description", "fields", "node_id", "deleted_at", "tags", "facet_times", "quality", "updated_at")
EDGE_CHANGES = ("columns", "valid_from", "valid_to", "run_id")


@functools.cache
def update_by_id(table: Any, columns: tuple[str, ...]) -> Any:
    """UPDATE table SET columns WHERE id = ..., for executemany (bind names may not be column
    names). Cached: one statement object per column set, so its compiled form is reused."""
    return update(table).where(table.c.id == bindparam("b_id")).values({name: bindparam(f"b_{name}") for name in columns})


REPLACED_EDGE = select(EDGES).where(
    EDGES.c.source_id == bindparam("source_id"), EDGES.c.target_id == bindparam("target_id"), EDGES.c.valid_to == bindparam("valid_from")
)


@cache
def statements(dialect: str) -> SimpleNamespace:
    """The reads whose lists are bound per dialect (``dlv.db.sql``), built once per dialect.
    Natural keys are bound with ``pair_params``."""
    uuids = PG_UUID(as_uuid=True)

    def named(table: Any) -> Any:
        return pairs_among(table.c.namespace, table.c.name, dialect)

    return SimpleNamespace(
        processes_named=select(*(PROCESSES.c[name] for name in PROCESS_COLUMNS)).where(named(PROCESSES)),
        assets_named=select(*(ASSETS.c[name] for name in ASSET_COLUMNS)).where(named(ASSETS)),
        process_models_named=select(Process).where(named(PROCESSES)),
        asset_models_named=select(DataAsset).where(named(ASSETS)),
        assets_aliased=(
            select(ALIASES.c.namespace.label("alias_namespace"), ALIASES.c.name.label("alias_name"), *(ASSETS.c[name] for name in ASSET_COLUMNS))
            .join(ASSETS, ASSETS.c.id == ALIASES.c.asset_id)
            .where(named(ALIASES))
        ),
        asset_models_aliased=select(AssetAlias.namespace, AssetAlias.name, DataAsset)
        .join(DataAsset, DataAsset.id == AssetAlias.asset_id)
        .where(named(ALIASES)),
        # The round's runs and, per process, when its latest completed run other than those
        # started, in one round trip. No FOR UPDATE (not allowed with UNION): the job's
        # advisory lock (take_turns) already keeps other transactions off these runs.
        runs_and_latest=union_all(
            select(literal("run").label("row_kind"), *(RUNS.c[name] for name in RUN_COLUMNS)).where(
                among(RUNS.c.run_id, "run_ids", dialect, String)
            ),
            select(literal("latest"), null(), null(), RUNS.c.process_id, null(), func.max(RUNS.c.started_at), null(), null(), null())
            .where(among(RUNS.c.process_id, "ids", dialect, uuids), RUNS.c.state == "COMPLETE", not_among(RUNS.c.run_id, "run_ids", dialect, String))
            .group_by(RUNS.c.process_id),
        ),
        current_edges=select(*(EDGES.c[name] for name in EDGE_COLUMNS)).where(
            EDGES.c.valid_to.is_(None), among(EDGES.c.source_id, "ids", dialect, uuids) | among(EDGES.c.target_id, "ids", dialect, uuids)
        ),
        known_hashes=select(EVENTS.c.event_hash).where(among(EVENTS.c.event_hash, "hashes", dialect, String)),
    )


async def record_run_datasets(executor: Any, rows: list[dict[str, Any]]) -> None:
    """Write what runs read and wrote (``_facets.run_datasets`` rows) in one executemany; both
    appliers call this. ``executor`` is a session or a connection."""
    earliest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        pair = (row["run_id"], row["asset_id"], row["direction"])
        if pair not in earliest or row["observed_at"] < earliest[pair]["observed_at"]:
            earliest[pair] = row
    if earliest:
        await executor.execute(RECORD_RUN_DATASETS, with_defaults(RUN_DATASETS, earliest.values(), RUN_DATASET_COLUMNS))
