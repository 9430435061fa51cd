"""Marquez's JSON shapes (camelCase, as the Marquez web UI and clients read them), filled from
DLV's model. Times are ISO-8601; ids of runs are OpenLineage runIds, of versions UUIDs."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec


class Shape(msgspec.Struct, rename="camel", kw_only=True):
    pass


class Namespace(Shape, kw_only=True):
    name: str
    created_at: datetime
    updated_at: datetime
    owner_name: str | None
    description: str | None
    is_hidden: bool = False


class Namespaces(Shape, kw_only=True):
    namespaces: list[Namespace]


class Source(Shape, kw_only=True):
    """DLV has no sources of its own: each dataset namespace is one (Marquez names a source
    after its connection URL the same way when it comes from OpenLineage)."""

    type: str
    name: str
    created_at: datetime
    updated_at: datetime
    connection_url: str
    description: str | None = None


class Sources(Shape, kw_only=True):
    sources: list[Source]


class DatasetId(Shape, kw_only=True):
    namespace: str
    name: str


class DatasetVersionId(Shape, kw_only=True):
    namespace: str
    name: str
    version: UUID


class MarquezField(Shape, kw_only=True):
    name: str
    type: str | None
    tags: list[str]
    description: str | None


class Dataset(Shape, kw_only=True):
    id: DatasetId
    type: str
    name: str
    physical_name: str
    created_at: datetime
    updated_at: datetime
    namespace: str
    source_name: str
    fields: list[MarquezField]
    tags: list[str]
    last_modified_at: datetime | None
    last_lifecycle_state: str | None = None
    description: str | None
    current_version: UUID | None
    facets: dict[str, Any]
    deleted: bool


class Datasets(Shape, kw_only=True):
    total_count: int
    datasets: list[Dataset]


class JobVersionRef(Shape, kw_only=True):
    namespace: str
    name: str
    version: UUID


class Run(Shape, kw_only=True):
    id: str
    created_at: datetime
    updated_at: datetime
    nominal_start_time: str | None
    nominal_end_time: str | None
    state: str
    started_at: datetime | None
    ended_at: datetime | None
    duration_ms: int | None
    args: dict[str, str] = {}
    job_version: JobVersionRef
    input_dataset_versions: list[DatasetVersionId] = []
    output_dataset_versions: list[DatasetVersionId] = []
    context: dict[str, str] = {}
    facets: dict[str, Any]


class Runs(Shape, kw_only=True):
    total_count: int
    runs: list[Run]


class JobId(Shape, kw_only=True):
    namespace: str
    name: str


class Job(Shape, kw_only=True):
    id: JobId
    type: str
    name: str
    simple_name: str
    parent_job_name: str | None
    created_at: datetime
    updated_at: datetime
    namespace: str
    inputs: list[DatasetId]
    outputs: list[DatasetId]
    location: str | None = None
    context: dict[str, str] = {}
    description: str | None
    latest_run: Run | None
    facets: dict[str, Any]
    current_version: UUID | None
    tags: list[str]


class Jobs(Shape, kw_only=True):
    total_count: int
    jobs: list[Job]


class MarquezDatasetVersion(Shape, kw_only=True):
    id: DatasetVersionId
    type: str
    name: str
    physical_name: str
    created_at: datetime
    version: UUID
    namespace: str
    source_name: str
    fields: list[MarquezField]
    tags: list[str]
    lifecycle_state: str | None
    description: str | None
    created_by_run: Run | None
    facets: dict[str, Any]


class DatasetVersions(Shape, kw_only=True):
    total_count: int
    versions: list[MarquezDatasetVersion]


class Edge(Shape, kw_only=True):
    origin: str
    destination: str


class Node(Shape, kw_only=True):
    """A node of ``GET /lineage`` (``data`` is a Dataset or a Job) or of ``GET /column-lineage``."""

    id: str
    type: str
    data: Any
    in_edges: list[Edge]
    out_edges: list[Edge]


class Lineage(Shape, kw_only=True):
    graph: list[Node]


class InputField(Shape, kw_only=True):
    namespace: str
    dataset: str
    dataset_version: UUID | None = None
    field: str
    transformation_description: str | None = None
    transformation_type: str | None = None


class FieldData(Shape, kw_only=True):
    namespace: str
    dataset: str
    dataset_version: UUID | None = None
    field: str
    field_type: str | None
    transformation_description: str | None = None
    transformation_type: str | None = None
    input_fields: list[InputField]


class RunFacets(Shape, kw_only=True):
    run_id: str
    facets: dict[str, Any]


class SearchResult(Shape, kw_only=True):
    type: str
    name: str
    updated_at: datetime
    namespace: str
    node_id: str


class MarquezSearchResults(Shape, kw_only=True):
    total_count: int
    results: list[SearchResult]


class Tag(Shape, kw_only=True):
    name: str
    description: str | None = None


class Tags(Shape, kw_only=True):
    tags: list[Tag]


class Events(Shape, kw_only=True):
    events: list[dict[str, Any]]
    total_count: int


class LineageMetric(Shape, kw_only=True):
    start_interval: datetime
    end_interval: datetime
    fail: int
    start: int
    complete: int
    abort: int
