"""Maps one OpenLineage event onto DLV's model: jobs -> processes, datasets -> assets,
inputs/outputs -> edges (origin ``openlineage``), runs -> Run rows and process health.

The mapping is written so the final state does not depend on the order events arrive in:
a run's events accumulate, an older event of a run never overwrites metadata a newer one
set, terminal run states win over START/RUNNING, and edges start at a run's earliest event.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID, uuid4

from sqlalchemy import bindparam, delete, event as orm_event, exists, func, or_, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import ASSET, PROCESS, AssetAlias, DataAsset, LineageEdge, Node, Process, Run
from dlv.lineage import EdgeWriter
from dlv.lineage._schemas import ColumnMapping
from dlv.openlineage._spec import (
    FIELD_NAME_MAX,
    TERMINAL_STATES,
    ColumnLineageField,
    Dataset,
    DatasetEvent,
    Event,
    Job,
    JobEvent,
    JobRef,
    RunEvent,
    SchemaField,
    invalid,
)

ORIGIN = "openlineage"
# Namespace schemes (OpenLineage naming spec) whose datasets are files or topics, not tables.
FILE_SCHEMES = frozenset({"file", "s3", "s3a", "s3n", "gs", "gcs", "hdfs", "abfs", "abfss", "wasbs", "dbfs"})
TOPIC_SCHEMES = frozenset({"kafka", "pulsar", "kinesis", "pubsub"})
OWNER_MAX, KIND_MAX = 200, 50

Key = tuple[str, str]


def _key(item: Any) -> Key:
    return (item.namespace, item.name)


@dataclass
class Applied:
    """What one event changed, for the change notifications sent after commit."""

    process_ids: list[UUID] = field(default_factory=list)
    asset_ids: list[UUID] = field(default_factory=list)
    # Every dataset the event names resolved to an asset (so asset_ids names them all).
    complete: bool = True
    # (process id, runId, state after, state before or None for a new run)
    run: tuple[UUID, str, str, str | None] | None = None


class _NodeAddresses:
    """Where each catalog node lives, cached per database for the process: without it every
    event would read the whole node table to link its datasets. Node writes in this process
    clear it at once (ORM events); writes by another process are seen within ``TTL`` seconds
    (a link to a node deleted meanwhile is skipped, see ``link_nodes``)."""

    TTL = 10.0

    def __init__(self) -> None:
        self._cached: dict[str, tuple[float, list[tuple[UUID, tuple[str, int | None]]]]] = {}
        for change in ("after_insert", "after_update", "after_delete"):
            orm_event.listen(Node, change, self.clear)

    def clear(self, *_: Any) -> None:
        self._cached.clear()

    async def get(self, session: AsyncSession) -> list[tuple[UUID, tuple[str, int | None]]]:
        database = str(session.bind.engine.url)
        loaded_at, addresses = self._cached.get(database, (float("-inf"), []))
        if time.monotonic() - loaded_at > self.TTL:
            rows = await session.execute(select(Node.id, Node.config))
            addresses = [(node_id, address) for node_id, config in rows if (address := _node_address(config or {}))]
            self._cached[database] = (time.monotonic(), addresses)
        return addresses


def insert_once(model: type, columns: Sequence[str], unique: Sequence[str], *, returning: bool = False) -> Any:
    """``INSERT ... ON CONFLICT (unique) DO NOTHING [RETURNING *]`` for the statements every
    event runs, as typed text: SQLAlchemy 2.0 does not cache its dialect INSERT constructs, so
    built with ``insert_ignoring_conflicts`` they would be compiled again on every event. The
    same SQL runs on PostgreSQL and SQLite (3.35+); ``id`` is generated here, as the model would."""
    table = model.__table__
    names = ["id", *columns]
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(':' + name for name in names)}) ON CONFLICT ({', '.join(unique)}) DO NOTHING"
    statement = text(sql + (" RETURNING " + ", ".join(column.name for column in table.c) if returning else ""))
    statement = statement.bindparams(*(bindparam(name, type_=table.c[name].type) for name in names))
    return statement.columns(*table.c) if returning else statement


def insert_ignoring_conflicts(session: AsyncSession, model: type) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING, so concurrent events naming the same new dataset or
    job both succeed instead of one failing on the unique key."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def _flatten(fields: Iterable[SchemaField], prefix: str = "") -> list[dict[str, Any]]:
    """Nested schema fields (structs) become dotted names, the way column lineage names them."""
    flat: list[dict[str, Any]] = []
    for field in fields:
        name = f"{prefix}{field.name}"
        if len(name) > FIELD_NAME_MAX:  # each part fits, the dotted path does not: kept in the raw event only
            continue
        flat.append({key: value for key, value in (("name", name), ("type", field.type), ("description", field.description)) if value})
        flat.extend(_flatten(field.fields, f"{name}."))
    return flat


def _transformation(field: ColumnLineageField, transformations: Sequence[Any]) -> str | None:
    if transformations:
        named = (f"{item.type}/{item.subtype}" if item.subtype else item.type for item in transformations)
        return ", ".join(dict.fromkeys(named))
    return field.transformation_type or None


def _asset_kind(dataset: Dataset) -> str:
    if dataset.facets.dataset_type is not None:
        kind = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in dataset.facets.dataset_type.dataset_type.lower())
        if kind:
            return kind[:KIND_MAX]
    scheme = dataset.namespace.split("://", 1)[0].lower() if "://" in dataset.namespace else dataset.namespace.lower()
    return "file" if scheme in FILE_SCHEMES else "topic" if scheme in TOPIC_SCHEMES else "table"


def _owner(facet: Any) -> str | None:
    if facet is None or not facet.owners:
        return None
    return ", ".join(owner.name for owner in facet.owners)[:OWNER_MAX]


def _host_port(uri: str | None) -> tuple[str, int | None] | None:
    if not uri or "://" not in uri:
        return None
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    return (parts.hostname.lower(), port) if parts.hostname else None


def _node_address(config: dict[str, Any]) -> tuple[str, int | None] | None:
    """Where a catalog node lives: host/port (databases) or the base URL (APIs)."""
    if config.get("host"):
        port = config.get("port")
        return str(config["host"]).lower(), int(port) if isinstance(port, int) else None
    return _host_port(config.get("base_url"))


NODE_ADDRESSES = _NodeAddresses()

# The statements every event runs, built once with bound parameters: SQLAlchemy then finds
# their compiled form by a cache key it computes once, instead of rebuilding and hashing the
# whole statement on every event (a measurable share of an event's cost).
INSERT_RUN = insert_once(Run, ["run_id", "process_id", "state", "started_at", "updated_at", "ended_at"], ["run_id"], returning=True)
RUN_FOR_UPDATE = select(Run).where(Run.run_id == bindparam("run_id")).with_for_update()
PROCESSES_NAMED = select(Process).where(tuple_(Process.namespace, Process.name).in_(bindparam("keys", expanding=True)))
ASSETS_NAMED = select(DataAsset).where(tuple_(DataAsset.namespace, DataAsset.name).in_(bindparam("keys", expanding=True)))
NEWER_COMPLETE_RUN = select(
    exists().where(Run.process_id == bindparam("process_id"), Run.state == "COMPLETE", Run.started_at > bindparam("started_at"))
)
# A process's health is its latest run's state; written only when it changes. Core, not ORM,
# so the batch writer can run it for many processes at once (executemany).
_RUNS, _PROCESSES = Run.__table__, Process.__table__


def _latest(column: Any) -> Any:
    return (
        select(column)
        .where(_RUNS.c.process_id == bindparam("b_process"))
        .order_by(_RUNS.c.started_at.desc(), _RUNS.c.run_id.desc())
        .limit(1)
        .scalar_subquery()
    )


_latest_state, _latest_at = _latest(_RUNS.c.state), _latest(func.coalesce(_RUNS.c.ended_at, _RUNS.c.started_at))
UPDATE_HEALTH = (
    update(_PROCESSES)
    .where(
        _PROCESSES.c.id == bindparam("b_process"),
        or_(_PROCESSES.c.last_run_state.is_distinct_from(_latest_state), _PROCESSES.c.last_run_at.is_distinct_from(_latest_at)),
    )
    .values(last_run_state=_latest_state, last_run_at=_latest_at)
)


def observations(
    process_id: UUID, inputs: list[Dataset], outputs: list[Dataset], assets: dict[Key, Any]
) -> list[tuple[tuple[UUID, str], tuple[UUID, str], list[ColumnMapping]]]:
    """The edges one event reports: every input (and every dataset its column lineage reads)
    -> process, process -> every live output with its column mappings. ``assets`` holds the
    live asset (anything with an ``id``) of each dataset name."""
    dropped = {_key(d) for d in outputs if d.facets.lifecycle_state_change and d.facets.lifecycle_state_change.lifecycle_state_change == "DROP"}
    observed: dict[tuple[UUID, UUID], tuple[tuple[UUID, str], tuple[UUID, str], list[ColumnMapping]]] = {}
    node = (process_id, PROCESS)
    # Datasets named only by column lineage are read too, or the mappings would dangle.
    for dataset in [*inputs, *referenced_datasets(outputs)]:
        asset = assets.get(_key(dataset))
        if asset is not None:
            observed.setdefault((asset.id, process_id), ((asset.id, ASSET), node, []))
    for dataset in outputs:
        asset = assets.get(_key(dataset))
        if asset is None or _key(dataset) in dropped:
            continue
        entry = observed.setdefault((process_id, asset.id), (node, (asset.id, ASSET), []))
        entry[2].extend(_column_mappings(dataset, assets))
    return list(observed.values())


def referenced_datasets(outputs: list[Dataset]) -> list[Dataset]:
    """Datasets the outputs' column lineage reads from (facets unknown)."""
    return [
        Dataset(namespace=source.namespace, name=source.name)
        for dataset in outputs
        if dataset.facets.column_lineage is not None
        for column in dataset.facets.column_lineage.fields.values()
        for source in column.input_fields
    ]


def _column_mappings(dataset: Dataset, assets: dict[Key, Any]) -> list[ColumnMapping]:
    facet = dataset.facets.column_lineage
    if facet is None:
        return []
    mappings = []
    for target, column in facet.fields.items():
        for source in column.input_fields:
            asset = assets.get(_key(source))
            mappings.append(
                ColumnMapping(
                    source_field=source.field,
                    target_field=target,
                    transformation=_transformation(column, source.transformations),
                    source_asset_id=asset.id if asset is not None else None,
                )
            )
    return mappings


async def link_nodes(session: AsyncSession, datasets: list[Dataset], assets: dict[Key, Any]) -> None:
    """Link assets (anything with ``node_id``) to the catalog node at the address their
    dataSource (or namespace) names."""
    nodes = await NODE_ADDRESSES.get(session)
    if not nodes:
        return
    wanted: dict[Key, list[tuple[str, int | None]]] = {}
    for dataset in datasets:
        asset = assets.get(_key(dataset))
        if asset is None or asset.node_id is not None:
            continue
        source = dataset.facets.data_source
        addresses = [_host_port(uri) for uri in ((source.uri, source.name) if source else ()) + (dataset.namespace,)]
        if any(addresses):
            wanted[_key(dataset)] = [address for address in addresses if address]
    for key, addresses in wanted.items():
        for node_id, node_address in nodes:
            if any(
                host == node_address[0] and None in (port, node_address[1]) or (host, port) == node_address
                for host, port in addresses
            ):
                # The address list may predate a node's deletion in another process.
                if await session.get(Node, node_id) is not None:
                    assets[key].node_id = node_id
                break


def advance_run(run: Any, event: RunEvent) -> bool:
    """Apply one event to its run (a Run, or anything with its columns as attributes);
    return whether the event is the run's newest so far. Terminal states win over START and
    RUNNING, the latest terminal state wins, the run starts at its earliest event."""
    at, state = event.event_time, event.event_type
    fresh = at >= run.updated_at
    if state in TERMINAL_STATES:
        if run.state not in TERMINAL_STATES or run.ended_at is None or at >= run.ended_at:
            run.state, run.ended_at = state, at
    elif state in ("START", "RUNNING"):
        if run.state == "OTHER" or (run.state not in TERMINAL_STATES and at >= run.updated_at):
            run.state = state
    run.started_at = min(run.started_at or at, at)
    run.updated_at = max(run.updated_at, at)
    error = event.run.facets.error_message or event.run.facets.spark_exception
    if error is not None and error.message:
        run.error_message = error.message
    return fresh


def live_assets(datasets: list[Dataset], assets: dict[Key, Any], at: datetime, *, fresh: bool) -> dict[Key, Any]:
    """The live asset of each dataset an event at ``at`` names (one dropped before ``at`` is
    live again: it was re-created), with the event's facets applied when it is ``fresh``.
    Assets are models or anything with their columns as attributes."""
    live: dict[Key, Any] = {}
    for dataset in datasets:
        asset = assets[_key(dataset)]
        if asset.deleted_at is not None and at >= asset.deleted_at:
            asset.deleted_at = None
        if asset.deleted_at is None:
            live[_key(dataset)] = asset
        if fresh:
            EventMapper._dataset_facets(asset, dataset)
    return live


class EventMapper:
    """Applies events to the lineage model inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.edges = EdgeWriter(session)
        self.applied = Applied()
        # Every dataset name resolved to an asset by the current event (dropped ones too).
        self._seen: dict[Key, UUID] = {}

    async def apply(self, event: Event) -> Applied:
        self.applied = applied = Applied()
        self._seen = {}
        if isinstance(event, DatasetEvent):
            await self._datasets([event.dataset], event.event_time, fresh=True)
            self._resolved_assets([event.dataset])
            return applied
        parent_facet = event.run.facets.parent if isinstance(event, RunEvent) else None
        processes = await self._processes([event.job, *([parent_facet.job] if parent_facet is not None else [])])
        process = processes[_key(event.job)]
        applied.process_ids.append(process.id)
        at = event.event_time
        if isinstance(event, JobEvent):
            self._job_facets(process, event.job)
            await self._lineage(process, event.inputs, event.outputs, at, run_id=None, fresh=True)
            self._resolved_assets([*event.inputs, *event.outputs])
            return applied
        run, fresh, previous = await self._run(process, event)
        if fresh:
            self._job_facets(process, event.job)
            if parent_facet is not None and (parent := processes[_key(parent_facet.job)]).id != process.id:
                process.parent_id = parent.id
        if not await self._superseded(run):
            await self._lineage(process, event.inputs, event.outputs, at, run_id=run.run_id, fresh=fresh)
            if event.event_type == "COMPLETE":
                await self.edges.retire_superseded(run, ORIGIN, at)
        await self._health(process)
        applied.run = (process.id, run.run_id, run.state, previous)
        self._resolved_assets([*event.inputs, *event.outputs])
        return applied

    def _resolved_assets(self, datasets: list[Dataset]) -> None:
        keys = list(dict.fromkeys(_key(dataset) for dataset in datasets))
        self.applied.asset_ids = [self._seen[key] for key in keys if key in self._seen]
        self.applied.complete = len(self.applied.asset_ids) == len(keys)

    # --- processes and runs

    async def _processes(self, jobs: list[Job | JobRef]) -> dict[Key, Process]:
        """The processes of these jobs (the event's job and its parent), created if new, in one
        query when they all exist already."""
        keys = list(dict.fromkeys(_key(job) for job in jobs))
        found = {(process.namespace, process.name): process for process in await self.session.scalars(PROCESSES_NAMED, {"keys": keys})}
        missing = sorted(key for key in keys if key not in found)
        if missing:
            await self.session.execute(
                insert_ignoring_conflicts(self.session, Process)
                .values([{"namespace": namespace, "name": name} for namespace, name in missing])
                .on_conflict_do_nothing(index_elements=["namespace", "name"])
            )
            created = await self.session.scalars(PROCESSES_NAMED, {"keys": missing})
            found.update({(process.namespace, process.name): process for process in created})
        for process in found.values():
            if process.deleted_at is not None:  # a job that runs again is live again
                process.deleted_at = None
        return found

    @staticmethod
    def _job_facets(process: Process, job: Job) -> None:
        facets = job.facets
        if facets.sql is not None:
            process.sql = facets.sql.query
        if facets.documentation is not None:
            process.description = facets.documentation.description
        if (owner := _owner(facets.ownership)) is not None:
            process.owner = owner
        if facets.job_type is not None and facets.job_type.job_type:
            process.kind = facets.job_type.job_type.lower()[:KIND_MAX]

    async def _run(self, process: Process, event: RunEvent) -> tuple[Run, bool, str | None]:
        """Create or advance the Run; return it, whether this is the run's newest event so far,
        and its state before this event (None for a new run)."""
        run_id, at, state = event.run.run_id, event.event_time, event.event_type
        values = {
            "id": uuid4(), "run_id": run_id, "process_id": process.id, "state": state, "started_at": at, "updated_at": at,
            "ended_at": at if state in TERMINAL_STATES else None,
        }
        created = select(Run).from_statement(INSERT_RUN).execution_options(populate_existing=True)
        run = (await self.session.scalars(created, values)).first()
        if run is not None:
            previous = None
        else:
            run = await self.session.scalar(RUN_FOR_UPDATE, {"run_id": run_id})
            previous = run.state
        if run.process_id != process.id:
            owner = await self.session.get(Process, run.process_id)
            raise invalid(
                "$.run.runId",
                f"{run_id!r} already belongs to job {owner.namespace}/{owner.name} (a runId names one run of one job)",
            )
        fresh = advance_run(run, event)
        await self.session.flush()
        return run, fresh, previous

    async def _superseded(self, run: Run) -> bool:
        """A run that started before the process's latest completed run no longer shapes the
        current graph; its late events only update the run itself."""
        return bool(await self.session.scalar(NEWER_COMPLETE_RUN, {"process_id": run.process_id, "started_at": run.started_at}))

    async def _health(self, process: Process) -> None:
        """A process's health is its latest run's state (one UPDATE, written only on change)."""
        await self.session.execute(UPDATE_HEALTH, {"b_process": process.id})
        self.session.expire(process, ["last_run_state", "last_run_at"])

    # --- datasets

    async def _lineage(
        self, process: Process, inputs: list[Dataset], outputs: list[Dataset], at: datetime, *, run_id: str | None, fresh: bool
    ) -> None:
        assets = await self._datasets([*inputs, *outputs, *referenced_datasets(outputs)], at, fresh=fresh)
        await self.edges.observe(observations(process.id, inputs, outputs, assets), touching=process.id, origin=ORIGIN, run_id=run_id, at=at)

    async def _datasets(self, datasets: list[Dataset], at: datetime, *, fresh: bool) -> dict[Key, DataAsset]:
        """The live asset of every dataset (created if new, aliases followed), facets applied."""
        for dataset in datasets:
            change = dataset.facets.lifecycle_state_change
            if change and change.lifecycle_state_change == "RENAME" and change.previous_identifier and fresh:
                await self._rename(_key(change.previous_identifier), _key(dataset))
        keys = list(dict.fromkeys(_key(dataset) for dataset in datasets))
        assets = await self._find_assets(keys)
        # Sorted, so concurrent events inserting the same new datasets wait for each other in
        # one order instead of deadlocking.
        missing = sorted(key for key in keys if key not in assets)
        if missing:
            kinds = {_key(d): _asset_kind(d) for d in datasets}
            await self.session.execute(
                insert_ignoring_conflicts(self.session, DataAsset)
                .values([{"namespace": ns, "name": name, "kind": kinds[(ns, name)]} for ns, name in missing])
                .on_conflict_do_nothing(index_elements=["namespace", "name"])
            )
            assets.update(await self._find_assets(missing))
        self._seen.update({key: asset.id for key, asset in assets.items()})
        live = live_assets(datasets, assets, at, fresh=fresh)
        await self._aliases(datasets, assets)
        await link_nodes(self.session, datasets, live)
        for dataset in datasets:
            change = dataset.facets.lifecycle_state_change
            if change and change.lifecycle_state_change == "DROP" and _key(dataset) in live:
                if await self._drop(live[_key(dataset)], at):
                    del live[_key(dataset)]
        return live

    async def _find_assets(self, keys: list[Key]) -> dict[Key, DataAsset]:
        if not keys:
            return {}
        found = {
            (asset.namespace, asset.name): asset
            for asset in await self.session.scalars(ASSETS_NAMED, {"keys": keys})
        }
        unresolved = [key for key in keys if key not in found]
        if unresolved:
            aliased = (
                await self.session.execute(
                    select(AssetAlias.namespace, AssetAlias.name, DataAsset)
                    .join(DataAsset, DataAsset.id == AssetAlias.asset_id)
                    .where(tuple_(AssetAlias.namespace, AssetAlias.name).in_(unresolved))
                )
            ).all()
            found.update({(namespace, name): asset for namespace, name, asset in aliased})
        return found

    @staticmethod
    def _dataset_facets(asset: DataAsset, dataset: Dataset) -> None:
        facets = dataset.facets
        if facets.schema is not None and facets.schema.fields:
            fields = _flatten(facets.schema.fields)
            if fields != asset.fields:
                asset.fields = fields
        if facets.documentation is not None:
            asset.description = facets.documentation.description
        if (owner := _owner(facets.ownership)) is not None:
            asset.owner = owner
        if facets.dataset_type is not None:
            asset.kind = _asset_kind(dataset)

    async def _aliases(self, datasets: list[Dataset], assets: dict[Key, DataAsset]) -> None:
        rows = {
            _key(identifier): {
                "namespace": identifier.namespace, "name": identifier.name, "type": identifier.type, "asset_id": assets[_key(dataset)].id
            }
            for dataset in datasets
            if dataset.facets.symlinks is not None
            for identifier in dataset.facets.symlinks.identifiers
            if _key(identifier) != _key(dataset)
        }
        if not rows:
            return
        # A name that is already an asset of its own stays that asset.
        taken = set(await self._find_assets(list(rows)))
        values = [row for key, row in rows.items() if key not in taken]
        if values:
            await self.session.execute(
                insert_ignoring_conflicts(self.session, AssetAlias).values(values).on_conflict_do_nothing(index_elements=["namespace", "name"])
            )

    async def _rename(self, previous: Key, new: Key) -> None:
        """The asset moves to its new name with its id, so its lineage history stays with it;
        the old name becomes an alias."""
        old = (await self._find_assets([previous])).get(previous)
        if old is None or (old.namespace, old.name) != previous:
            return
        if await self._find_assets([new]):
            return
        await self.session.execute(delete(AssetAlias).where(AssetAlias.namespace == new[0], AssetAlias.name == new[1]))
        old.namespace, old.name = new
        await self.session.flush()
        self.session.add(AssetAlias(namespace=previous[0], name=previous[1], type="RENAME", asset_id=old.id))

    async def _drop(self, asset: DataAsset, at: datetime) -> bool:
        """Retire a dropped asset, unless lineage shows it in use after the drop (a late event)."""
        latest_use = await self.session.scalar(
            select(func.max(LineageEdge.valid_from)).where(or_(LineageEdge.source_id == asset.id, LineageEdge.target_id == asset.id))
        )
        if latest_use is not None and latest_use > at:
            return False
        asset.deleted_at = at
        await self.edges.retire(touching=asset.id, at=at)
        return True
