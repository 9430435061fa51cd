"""Shapes of the run and dataset-version API (snake_case JSON, as the rest of the lineage API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec


class JobRef(msgspec.Struct):
    namespace: str
    name: str


class RunSummary(msgspec.Struct, kw_only=True):
    """One execution of a process, as its OpenLineage events describe it together."""

    run_id: str
    process_id: UUID
    state: str
    started_at: datetime | None
    ended_at: datetime | None
    duration_ms: int | None
    nominal_start_time: str | None = None
    nominal_end_time: str | None = None
    parent_run_id: str | None = None
    parent_job: JobRef | None = None
    error_message: str | None = None


class RunDatasetRead(msgspec.Struct, kw_only=True):
    """A dataset a run read or wrote, with the version it read or made and its facets as the
    run's events stated them (input/output facets included)."""

    asset_id: UUID
    namespace: str
    name: str
    version: str | None
    facets: dict[str, Any]


class ProcessRef(msgspec.Struct):
    id: UUID
    namespace: str
    name: str


class RunDetail(RunSummary, kw_only=True):
    process: ProcessRef
    run_facets: dict[str, Any]
    job_facets: dict[str, Any]
    inputs: list[RunDatasetRead]
    outputs: list[RunDatasetRead]
    event_count: int


class SchemaField(msgspec.Struct, omit_defaults=True):
    name: str
    type: str | None = None
    description: str | None = None


class DatasetVersion(msgspec.Struct, kw_only=True):
    """What one run wrote to an asset: the version (the ``version`` facet's datasetVersion, else
    a hash of the facets), its schema, its row and byte counts and its lifecycle change."""

    version: str
    run_id: str
    process_id: UUID
    run_state: str
    created_at: datetime
    fields: list[SchemaField]
    row_count: int | None = None
    byte_count: int | None = None
    lifecycle_state_change: str | None = None
    facets: dict[str, Any]


class TypeChange(msgspec.Struct):
    name: str
    from_type: str | None
    to_type: str | None


class SchemaDiff(msgspec.Struct, kw_only=True):
    from_version: DatasetVersion
    to_version: DatasetVersion
    added: list[SchemaField]
    removed: list[SchemaField]
    type_changed: list[TypeChange]


class BreakingChange(msgspec.Struct, kw_only=True):
    """Columns an asset's newest version dropped or retyped, against the version before."""

    run_id: str
    at: datetime
    removed: list[str]
    type_changed: list[TypeChange]

    def columns(self) -> list[str]:
        return [*self.removed, *(item.name for item in self.type_changed)]

    def reason(self) -> str:
        parts = [f"dropped {', '.join(self.removed)}"] if self.removed else []
        parts += [f"changed {item.name} from {item.from_type} to {item.to_type}" for item in self.type_changed]
        return f"its schema changed (run {self.run_id}): {'; '.join(parts)}"
