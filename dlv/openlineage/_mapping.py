"""Maps one OpenLineage event onto DLV's model: jobs -> processes, datasets -> assets,
inputs/outputs -> edges (origin ``openlineage``), runs -> Run rows and process health.

The mapping is written so the final state does not depend on the order events arrive in:
a run's events accumulate, an older event of a run never overwrites metadata a newer one
set, terminal run states win over START/RUNNING, and edges start at a run's earliest event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from sqlalchemy import delete, exists, func, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import ASSET, PROCESS, AssetAlias, DataAsset, LineageEdge, Node, Process, Run
from dlv.lineage import EdgeWriter
from dlv.lineage._schemas import ColumnMapping
from dlv.openlineage._spec import (
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


class EventMapper:
    """Applies events to the lineage model inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.edges = EdgeWriter(session)

    async def apply(self, event: Event) -> None:
        if isinstance(event, DatasetEvent):
            await self._datasets([event.dataset], event.event_time, fresh=True)
            return
        process = await self._process(event.job)
        at = event.event_time
        if isinstance(event, JobEvent):
            self._job_facets(process, event.job)
            await self._lineage(process, event.inputs, event.outputs, at, run_id=None, fresh=True)
            return
        run, fresh = await self._run(process, event)
        if fresh:
            self._job_facets(process, event.job)
            if event.run.facets.parent is not None:
                await self._parent(process, event.run.facets.parent.job)
        if not await self._superseded(run):
            await self._lineage(process, event.inputs, event.outputs, at, run_id=run.run_id, fresh=fresh)
            if event.event_type == "COMPLETE":
                await self.edges.retire_superseded(run, ORIGIN, at)
        await self._health(process)

    # --- processes and runs

    async def _process(self, job: Job | JobRef) -> Process:
        statement = select(Process).where(Process.namespace == job.namespace, Process.name == job.name)
        process = await self.session.scalar(statement)
        if process is None:
            await self.session.execute(
                insert_ignoring_conflicts(self.session, Process)
                .values(namespace=job.namespace, name=job.name)
                .on_conflict_do_nothing(index_elements=["namespace", "name"])
            )
            process = await self.session.scalar(statement)
        if process.deleted_at is not None:  # a job that runs again is live again
            process.deleted_at = None
        return process

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

    async def _parent(self, process: Process, job: JobRef) -> None:
        parent = await self._process(job)
        if parent.id != process.id:
            process.parent_id = parent.id

    async def _run(self, process: Process, event: RunEvent) -> tuple[Run, bool]:
        """Create or advance the Run; return it and whether this is the run's newest event so far."""
        run_id, at, state = event.run.run_id, event.event_time, event.event_type
        statement = select(Run).where(Run.run_id == run_id).with_for_update()
        run = await self.session.scalar(statement)
        if run is None:
            await self.session.execute(
                insert_ignoring_conflicts(self.session, Run)
                .values(run_id=run_id, process_id=process.id, state=state, started_at=at, updated_at=at)
                .on_conflict_do_nothing(index_elements=["run_id"])
            )
            run = await self.session.scalar(statement)
            if state in TERMINAL_STATES:
                run.ended_at = at
        elif run.process_id != process.id:
            owner = await self.session.get(Process, run.process_id)
            raise invalid(
                "$.run.runId",
                f"{run_id!r} already belongs to job {owner.namespace}/{owner.name} (a runId names one run of one job)",
            )
        fresh = at >= run.updated_at
        if state in TERMINAL_STATES:
            if run.state not in TERMINAL_STATES or run.ended_at is None or at >= run.ended_at:
                run.state, run.ended_at = state, at
        elif state in ("START", "RUNNING"):
            if run.state == "OTHER" or (run.state not in TERMINAL_STATES and at >= run.updated_at):
                run.state = state
        run.started_at = min(run.started_at or at, at)
        run.updated_at = max(run.updated_at, at)
        facets = event.run.facets
        error = facets.error_message or facets.spark_exception
        if error is not None and error.message:
            run.error_message = error.message
        await self.session.flush()
        return run, fresh

    async def _superseded(self, run: Run) -> bool:
        """A run that started before the process's latest completed run no longer shapes the
        current graph; its late events only update the run itself."""
        newer = select(Run.id).where(
            Run.process_id == run.process_id, Run.state == "COMPLETE", Run.started_at > run.started_at
        )
        return bool(await self.session.scalar(select(exists(newer))))

    async def _health(self, process: Process) -> None:
        """A process's health is its latest run's state."""
        latest = (
            await self.session.execute(
                select(Run.state, func.coalesce(Run.ended_at, Run.started_at))
                .where(Run.process_id == process.id)
                .order_by(Run.started_at.desc(), Run.run_id.desc())
                .limit(1)
            )
        ).first()
        if latest is not None and (process.last_run_state, process.last_run_at) != tuple(latest):
            process.last_run_state, process.last_run_at = latest

    # --- datasets

    async def _lineage(
        self, process: Process, inputs: list[Dataset], outputs: list[Dataset], at: datetime, *, run_id: str | None, fresh: bool
    ) -> None:
        referenced = [
            Dataset(namespace=source.namespace, name=source.name)
            for dataset in outputs
            if dataset.facets.column_lineage is not None
            for column in dataset.facets.column_lineage.fields.values()
            for source in column.input_fields
        ]
        assets = await self._datasets([*inputs, *outputs, *referenced], at, fresh=fresh)
        dropped = {_key(d) for d in outputs if d.facets.lifecycle_state_change and d.facets.lifecycle_state_change.lifecycle_state_change == "DROP"}
        observed: dict[tuple[UUID, UUID], tuple[tuple[UUID, str], tuple[UUID, str], list[ColumnMapping]]] = {}
        node = (process.id, PROCESS)
        # Datasets named only by column lineage are read too, or the mappings would dangle.
        for dataset in [*inputs, *referenced]:
            asset = assets.get(_key(dataset))
            if asset is not None:
                observed.setdefault((asset.id, process.id), ((asset.id, ASSET), node, []))
        for dataset in outputs:
            asset = assets.get(_key(dataset))
            if asset is None or _key(dataset) in dropped:
                continue
            entry = observed.setdefault((process.id, asset.id), (node, (asset.id, ASSET), []))
            entry[2].extend(self._column_mappings(dataset, assets))
        await self.edges.observe(list(observed.values()), touching=process.id, origin=ORIGIN, run_id=run_id, at=at)

    @staticmethod
    def _column_mappings(dataset: Dataset, assets: dict[Key, DataAsset]) -> list[ColumnMapping]:
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

    async def _datasets(self, datasets: list[Dataset], at: datetime, *, fresh: bool) -> dict[Key, DataAsset]:
        """The live asset of every dataset (created if new, aliases followed), facets applied."""
        for dataset in datasets:
            change = dataset.facets.lifecycle_state_change
            if change and change.lifecycle_state_change == "RENAME" and change.previous_identifier and fresh:
                await self._rename(_key(change.previous_identifier), _key(dataset))
        keys = list(dict.fromkeys(_key(dataset) for dataset in datasets))
        assets = await self._find_assets(keys)
        missing = [key for key in keys if key not in assets]
        if missing:
            kinds = {_key(d): _asset_kind(d) for d in datasets}
            await self.session.execute(
                insert_ignoring_conflicts(self.session, DataAsset)
                .values([{"namespace": ns, "name": name, "kind": kinds[(ns, name)]} for ns, name in missing])
                .on_conflict_do_nothing(index_elements=["namespace", "name"])
            )
            assets.update(await self._find_assets(missing))
        live: dict[Key, DataAsset] = {}
        for dataset in datasets:
            asset = assets[_key(dataset)]
            if asset.deleted_at is not None and at >= asset.deleted_at:
                asset.deleted_at = None  # dropped before, seen again since: it was re-created
            if asset.deleted_at is None:
                live[_key(dataset)] = asset
            if fresh:
                self._dataset_facets(asset, dataset)
        await self._aliases(datasets, assets)
        await self._link_nodes(datasets, live)
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
            for asset in await self.session.scalars(select(DataAsset).where(tuple_(DataAsset.namespace, DataAsset.name).in_(keys)))
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

    async def _link_nodes(self, datasets: list[Dataset], assets: dict[Key, DataAsset]) -> None:
        """Link assets to the catalog node at the address their dataSource (or namespace) names."""
        wanted: dict[Key, list[tuple[str, int | None]]] = {}
        for dataset in datasets:
            asset = assets.get(_key(dataset))
            if asset is None or asset.node_id is not None:
                continue
            source = dataset.facets.data_source
            addresses = [_host_port(uri) for uri in ((source.uri, source.name) if source else ()) + (dataset.namespace,)]
            if any(addresses):
                wanted[_key(dataset)] = [address for address in addresses if address]
        if not wanted:
            return
        nodes = [(node_id, _node_address(config or {})) for node_id, config in await self.session.execute(select(Node.id, Node.config))]
        for key, addresses in wanted.items():
            for node_id, node_address in nodes:
                if node_address and any(
                    host == node_address[0] and None in (port, node_address[1]) or (host, port) == node_address
                    for host, port in addresses
                ):
                    assets[key].node_id = node_id
                    break

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
