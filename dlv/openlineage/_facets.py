"""What an OpenLineage event says, in DLV's terms: pure functions from events and their
facets to column values, asset kinds and the edges an event reports. Both appliers
(``EventMapper``, ``BatchMapper``) read events only through these, and decide what the
values do to stored rows with ``dlv.lineage.rules``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from dlv.db.models import ASSET, PROCESS
from dlv.lineage import ColumnMapping
from dlv.lineage.rules import newer
from dlv.openlineage._spec import FIELD_NAME_MAX, ColumnLineageField, Dataset, Job, RunEvent, SchemaField, TagsFacet

ORIGIN = "openlineage"
# Namespace schemes (OpenLineage naming spec) whose datasets are files or topics, not tables.
FILE_SCHEMES = frozenset({"file", "s3", "s3a", "s3n", "gs", "gcs", "hdfs", "abfs", "abfss", "wasbs", "dbfs"})
TOPIC_SCHEMES = frozenset({"kafka", "pulsar", "kinesis", "pubsub"})
OWNER_MAX, KIND_MAX = 200, 50
# What the asset and process APIs accept for tags (dlv.lineage's Tags).
TAG_MAX, TAGS_MAX = 100, 100
QUALITY_FAILING_MAX = 50

Key = tuple[str, str]
Observation = tuple[tuple[UUID, str], tuple[UUID, str], list[ColumnMapping]]


def key(item: Any) -> Key:
    """The natural key (namespace, name) of a job, dataset or reference to one."""
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

    def resolved(self, datasets: Iterable[Dataset], asset_ids: dict[Key, UUID]) -> None:
        """Name the assets ``datasets`` resolved to (``complete`` says whether all did)."""
        keys = list(dict.fromkeys(key(dataset) for dataset in datasets))
        self.asset_ids = [asset_ids[item] for item in keys if item in asset_ids]
        self.complete = len(self.asset_ids) == len(keys)


# --- runs and jobs


def run_error(event: RunEvent) -> str | None:
    error = event.run.facets.error_message or event.run.facets.spark_exception
    return error.message if error is not None and error.message else None


def parent_job(event: RunEvent) -> Any:
    parent = event.run.facets.parent
    return parent.job if parent is not None else None


def job_facets(process: Any, job: Job, at: datetime) -> None:
    """Copy what the job's facets say onto its process (a model or a row), each facet only
    when no newer event already set it (``rules.newer``)."""
    facets = job.facets
    if facets.sql is not None and newer(process, "sql", at):
        process.sql = facets.sql.query
    if facets.documentation is not None and newer(process, "documentation", at):
        process.description = facets.documentation.description
    if (owner := _owner(facets.ownership)) is not None and newer(process, "ownership", at):
        process.owner = owner
    if facets.job_type is not None and facets.job_type.job_type and newer(process, "jobType", at):
        process.kind = facets.job_type.job_type.lower()[:KIND_MAX]
    _add_tags(process, facets.tags)


# --- datasets


def asset_kind(dataset: Dataset) -> str:
    if dataset.facets.dataset_type is not None:
        kind = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in dataset.facets.dataset_type.dataset_type.lower())
        if kind:
            return kind[:KIND_MAX]
    scheme = dataset.namespace.split("://", 1)[0].lower() if "://" in dataset.namespace else dataset.namespace.lower()
    return "file" if scheme in FILE_SCHEMES else "topic" if scheme in TOPIC_SCHEMES else "table"


def dataset_facets(asset: Any, dataset: Dataset, at: datetime) -> None:
    """Copy what the dataset's facets say onto its asset (a model or a row), each facet only
    when no newer event already set it (``rules.newer``)."""
    facets = dataset.facets
    if facets.schema is not None and facets.schema.fields and newer(asset, "schema", at):
        fields = _with_tags(_flatten(facets.schema.fields), asset.fields)
        if fields != asset.fields:
            asset.fields = fields
    if facets.documentation is not None and newer(asset, "documentation", at):
        asset.description = facets.documentation.description
    if (owner := _owner(facets.ownership)) is not None and newer(asset, "ownership", at):
        asset.owner = owner
    if facets.dataset_type is not None and newer(asset, "datasetType", at):
        asset.kind = asset_kind(dataset)
    _add_tags(asset, facets.tags)
    checks = dataset.input_facets.data_quality_assertions or facets.data_quality_assertions
    if checks is not None and checks.assertions and newer(asset, "dataQualityAssertions", at):
        asset.quality = quality(checks.assertions)


def quality(assertions: Sequence[Any]) -> dict[str, Any]:
    """An asset's quality status from the assertions a run checked on it."""
    failing = [{"assertion": item.assertion[:200], "column": item.column} for item in assertions if not item.success][:QUALITY_FAILING_MAX]
    return {"status": "failing" if failing else "passing", "failing": failing, "total": len(assertions)}


def _add_tags(item: Any, facet: TagsFacet | None) -> None:
    """The facet's tags join the item's own (``key``, or ``key:value``): a union, so arrival
    order does not matter and tags an admin set stay. Column tags stay in the event."""
    if facet is None:
        return
    named = {tag.key if tag.value in (None, "", "true") else f"{tag.key}:{tag.value}" for tag in facet.tags if not tag.field}
    new = sorted(tag for tag in named if 0 < len(tag) <= TAG_MAX and tag not in item.tags)
    if new:
        item.tags = [*item.tags, *new][:TAGS_MAX]


def table_symlink(dataset: Dataset) -> Key | None:
    """The table name a dataset named otherwise declares among its symlinks (type TABLE)."""
    if dataset.facets.symlinks is None:
        return None
    for identifier in dataset.facets.symlinks.identifiers:
        if (identifier.type or "").upper() == "TABLE" and key(identifier) != key(dataset):
            return key(identifier)
    return None


def lifecycle(dataset: Dataset) -> str | None:
    change = dataset.facets.lifecycle_state_change
    return change.lifecycle_state_change if change is not None else None


def referenced_datasets(outputs: list[Dataset]) -> list[Dataset]:
    """Datasets the outputs' column lineage reads from (facets unknown), each once: a wide
    output names the same few sources in every column's mapping."""
    keys = dict.fromkeys(
        (source.namespace, source.name)
        for dataset in outputs
        if dataset.facets.column_lineage is not None
        for column in dataset.facets.column_lineage.fields.values()
        for source in column.input_fields
    )
    return [Dataset(namespace=namespace, name=name) for namespace, name in keys]


def named_datasets(inputs: list[Dataset], outputs: list[Dataset]) -> list[Dataset]:
    """Every dataset an event names: inputs, outputs and what the outputs' column lineage reads
    (those only when the event does not name them otherwise)."""
    named = [*inputs, *outputs]
    known = {key(dataset) for dataset in named}
    return [*named, *(dataset for dataset in referenced_datasets(outputs) if key(dataset) not in known)]


def run_datasets(event: RunEvent, asset_ids: Mapping[Key, UUID]) -> list[dict[str, Any]]:
    """What the event's run read (inputs, and what its outputs' column lineage reads) and wrote,
    as ``run_datasets`` rows for the datasets resolved to assets in ``asset_ids``."""
    rows: dict[tuple[UUID, str], dict[str, Any]] = {}
    for direction, datasets in (("input", [*event.inputs, *referenced_datasets(event.outputs)]), ("output", event.outputs)):
        for dataset in datasets:
            asset_id = asset_ids.get(key(dataset))
            if asset_id is not None:
                rows[(asset_id, direction)] = {
                    "run_id": event.run.run_id, "asset_id": asset_id, "direction": direction, "observed_at": event.event_time,
                }
    return list(rows.values())


def observations(process_id: UUID, inputs: list[Dataset], outputs: list[Dataset], assets: dict[Key, Any]) -> list[Observation]:
    """The edges one event reports: every input (and every dataset its column lineage reads)
    -> process, process -> every live output with its column mappings. ``assets`` holds the
    live asset (anything with an ``id``) of each dataset name."""
    dropped = {key(d) for d in outputs if lifecycle(d) == "DROP"}
    observed: dict[tuple[UUID, UUID], Observation] = {}
    node = (process_id, PROCESS)
    # Datasets named only by column lineage are read too, or the mappings would dangle.
    for dataset in [*inputs, *referenced_datasets(outputs)]:
        asset = assets.get(key(dataset))
        if asset is not None:
            observed.setdefault((asset.id, process_id), ((asset.id, ASSET), node, []))
    for dataset in outputs:
        asset = assets.get(key(dataset))
        if asset is None or key(dataset) in dropped:
            continue
        entry = observed.setdefault((process_id, asset.id), (node, (asset.id, ASSET), []))
        entry[2].extend(_column_mappings(dataset, assets))
    return list(observed.values())


def _column_mappings(dataset: Dataset, assets: dict[Key, Any]) -> list[ColumnMapping]:
    facet = dataset.facets.column_lineage
    if facet is None:
        return []
    mappings = []
    for target, column in facet.fields.items():
        for source in column.input_fields:
            asset = assets.get(key(source))
            mappings.append(
                ColumnMapping(
                    source_field=source.field,
                    target_field=target,
                    transformation=_transformation(column, source.transformations),
                    source_asset_id=asset.id if asset is not None else None,
                    origin="sql" if source.origin == "sql" else None,
                )
            )
    return mappings


def _with_tags(fields: list[dict[str, Any]], before: Any) -> list[dict[str, Any]]:
    """A new schema keeps the tags admins put on its columns (by column name)."""
    tags = {item.get("name"): item["tags"] for item in before or [] if isinstance(item, dict) and item.get("tags")}
    return [{**item, "tags": tags[item["name"]]} if item["name"] in tags else item for item in fields]


def _flatten(fields: Iterable[SchemaField], prefix: str = "") -> list[dict[str, Any]]:
    """Nested schema fields (structs) become dotted names, the way column lineage names them."""
    flat: list[dict[str, Any]] = []
    for item in fields:
        name = f"{prefix}{item.name}" if prefix else item.name
        if len(name) > FIELD_NAME_MAX:  # each part fits, the dotted path does not: kept in the raw event only
            continue
        column: dict[str, Any] = {"name": name}
        if item.type:
            column["type"] = item.type
        if item.description:
            column["description"] = item.description
        flat.append(column)
        if item.fields:
            flat.extend(_flatten(item.fields, f"{name}."))
    return flat


def _transformation(column: ColumnLineageField, transformations: Sequence[Any]) -> str | None:
    if transformations:
        named = (f"{item.type}/{item.subtype}" if item.subtype else item.type for item in transformations)
        return ", ".join(dict.fromkeys(named))
    return column.transformation_type or None


def _owner(facet: Any) -> str | None:
    if facet is None or not facet.owners:
        return None
    return ", ".join(owner.name for owner in facet.owners)[:OWNER_MAX]
