"""OpenLineage events (spec 2-0-x) as msgspec Structs, in the spec's own camelCase.

Only the facets DLV maps are typed; every other facet is accepted as any JSON value and
survives in the raw event log. Unknown keys are ignored everywhere, so newer producers'
additions never break ingestion.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

import msgspec

from dlv.lib.exceptions import InvalidFields, validation_location

RunState = Literal["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]
# The column sizes of the tables they land in.
Namespace = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
RunId = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
# A column name, as the asset's field list and the edges' column mappings store and serve it.
FIELD_NAME_MAX = 1000
FieldName = Annotated[str, msgspec.Meta(min_length=1, max_length=FIELD_NAME_MAX)]
AliasType = Annotated[str, msgspec.Meta(max_length=50)]
# The length of the event log's producer column (dlv.db.models).
Producer = Annotated[str, msgspec.Meta(max_length=1000)]


class _Facet(msgspec.Struct, kw_only=True):
    producer: str | None = msgspec.field(default=None, name="_producer")
    schema_url: str | None = msgspec.field(default=None, name="_schemaURL")


# --- run facets


class RunRef(msgspec.Struct, rename="camel"):
    run_id: RunId


class JobRef(msgspec.Struct):
    namespace: Namespace
    name: Name


class ParentRunFacet(_Facet):
    job: JobRef
    run: RunRef | None = None


class ErrorMessageRunFacet(_Facet, rename="camel"):
    message: str
    programming_language: str | None = None
    stack_trace: str | None = None


class LegacyExceptionRunFacet(_Facet):
    """The ``spark.exception`` facet older Spark integrations send instead of ``errorMessage``."""

    message: str | None = None


class RunFacets(msgspec.Struct, rename="camel"):
    parent: ParentRunFacet | None = None
    error_message: ErrorMessageRunFacet | None = None
    spark_exception: LegacyExceptionRunFacet | None = msgspec.field(default=None, name="spark.exception")


class Run(msgspec.Struct, rename="camel"):
    run_id: RunId
    facets: RunFacets = msgspec.field(default_factory=RunFacets)


# --- job facets


class SqlJobFacet(_Facet):
    query: str
    # Facet 1-1-0: the SQL dialect (``postgres``, ``snowflake``...), read to parse the query.
    dialect: str | None = None


class DocumentationFacet(_Facet):
    description: str


class Owner(msgspec.Struct):
    name: str
    type: str | None = None


class OwnershipFacet(_Facet):
    owners: list[Owner] = []


class JobTypeJobFacet(_Facet, rename="camel"):
    job_type: str | None = None
    integration: str | None = None
    processing_type: str | None = None


class Tag(msgspec.Struct):
    key: str
    value: str | None = None
    source: str | None = None
    # A tag of one column (dataset tags facet): kept in the event, not on the asset.
    field: str | None = None


class TagsFacet(_Facet):
    """The ``tags`` job, dataset and run facet (spec facet 1-0-0)."""

    tags: list[Tag] = []


class JobFacets(msgspec.Struct, rename="camel"):
    sql: SqlJobFacet | None = None
    documentation: DocumentationFacet | None = None
    ownership: OwnershipFacet | None = None
    job_type: JobTypeJobFacet | None = None
    tags: TagsFacet | None = None


class Job(msgspec.Struct):
    namespace: Namespace
    name: Name
    facets: JobFacets = msgspec.field(default_factory=JobFacets)


# --- dataset facets


class SchemaField(msgspec.Struct):
    name: FieldName
    type: str | None = None
    description: str | None = None
    fields: list[SchemaField] = []


class SchemaFacet(_Facet):
    fields: list[SchemaField] = []


class Transformation(msgspec.Struct):
    type: str
    subtype: str | None = None
    description: str | None = None
    masking: bool | None = None


class InputField(msgspec.Struct, omit_defaults=True):
    namespace: Namespace
    name: Name
    field: FieldName
    transformations: list[Transformation] = []
    # Not in the spec: ``sql`` on mappings DLV derived from the job's SQL (``_derive``).
    origin: str | None = None


class ColumnLineageField(msgspec.Struct, rename="camel"):
    input_fields: list[InputField]
    # Deprecated since facet 1-1-0 but still sent (Airflow providers, Marquez demo data).
    transformation_type: str | None = None
    transformation_description: str | None = None


class ColumnLineageFacet(_Facet):
    fields: dict[FieldName, ColumnLineageField] = {}


class DataSourceFacet(_Facet):
    name: str | None = None
    uri: str | None = None


class SymlinkIdentifier(msgspec.Struct):
    namespace: Namespace
    name: Name
    type: AliasType | None = None


class SymlinksFacet(_Facet):
    identifiers: list[SymlinkIdentifier] = []


class PreviousIdentifier(msgspec.Struct):
    namespace: Namespace
    name: Name


class LifecycleStateChangeFacet(_Facet, rename="camel"):
    lifecycle_state_change: Literal["ALTER", "CREATE", "DROP", "OVERWRITE", "RENAME", "TRUNCATE"]
    previous_identifier: PreviousIdentifier | None = None


class DatasetTypeFacet(_Facet, rename="camel"):
    dataset_type: str
    sub_type: str | None = None


class Assertion(msgspec.Struct):
    assertion: str
    success: bool
    column: str | None = None


class DataQualityAssertionsFacet(_Facet):
    assertions: list[Assertion] = []


class InputFacets(msgspec.Struct, rename="camel"):
    """The input dataset facets DLV maps (``inputFacets``)."""

    data_quality_assertions: DataQualityAssertionsFacet | None = None


class DatasetFacets(msgspec.Struct, rename="camel"):
    schema: SchemaFacet | None = None
    column_lineage: ColumnLineageFacet | None = None
    documentation: DocumentationFacet | None = None
    ownership: OwnershipFacet | None = None
    data_source: DataSourceFacet | None = None
    symlinks: SymlinksFacet | None = None
    lifecycle_state_change: LifecycleStateChangeFacet | None = None
    dataset_type: DatasetTypeFacet | None = None
    tags: TagsFacet | None = None
    # An input facet by the spec; Marquez's own demo data sends it among the dataset facets.
    data_quality_assertions: DataQualityAssertionsFacet | None = None


class Dataset(msgspec.Struct, rename="camel"):
    namespace: Namespace
    name: Name
    facets: DatasetFacets = msgspec.field(default_factory=DatasetFacets)
    input_facets: InputFacets = msgspec.field(default_factory=InputFacets)


# --- events


class _Event(msgspec.Struct, kw_only=True, rename="camel"):
    event_time: datetime
    # Required by the spec, but real producers (Marquez's own demo data) omit schemaURL.
    producer: Producer | None = None
    schema_url: str | None = msgspec.field(default=None, name="schemaURL")


class RunEvent(_Event):
    run: Run
    job: Job
    event_type: RunState = "OTHER"
    inputs: list[Dataset] = []
    outputs: list[Dataset] = []


class JobEvent(_Event):
    job: Job
    inputs: list[Dataset] = []
    outputs: list[Dataset] = []


class DatasetEvent(_Event):
    dataset: Dataset


Event = RunEvent | JobEvent | DatasetEvent


class ParsedEvent(msgspec.Struct):
    event: Event
    payload: dict[str, Any]
    event_hash: str
    # The JSON text as received (after gunzip): what the event log stores, without encoding
    # ``payload`` again.
    text: str = ""

    @property
    def kind(self) -> str:
        return {RunEvent: "run", JobEvent: "job", DatasetEvent: "dataset"}[type(self.event)]


def _error_path(error: msgspec.ValidationError) -> tuple[str, str]:
    """msgspec's error -> (JSON path of the offending value, what is wrong with it)."""
    path, message = validation_location(error)
    return (path, "is required") if message.startswith("Object missing required field") else (path, message)


def invalid(path: str, problem: str) -> InvalidFields:
    problem = problem[:1].lower() + problem[1:]
    return InvalidFields(
        [(path, problem)],
        detail=f"Invalid OpenLineage event at {path}: {problem}. Send an event that follows the OpenLineage spec "
        "(https://openlineage.io/spec/2-0-2/OpenLineage.json).",
    )


_BY_SCHEMA_DEF: dict[str, type[Event]] = {"RunEvent": RunEvent, "JobEvent": JobEvent, "DatasetEvent": DatasetEvent}


def _event_type(payload: dict[str, Any]) -> type[Event]:
    """RunEvent, JobEvent or DatasetEvent: what the event's schemaURL names (``...#/$defs/JobEvent``),
    as Marquez decides, else its keys. The schema first, because real JobEvents carry an
    ``eventType`` too (Marquez's own test fixture does), which would otherwise read as a RunEvent."""
    schema_url = payload.get("schemaURL")
    if isinstance(schema_url, str):
        named = _BY_SCHEMA_DEF.get(schema_url.rpartition("/")[2])
        if named is not None:
            return named
    if "dataset" in payload and "job" not in payload:
        return DatasetEvent
    if "run" in payload or "eventType" in payload:
        return RunEvent
    if "job" in payload:
        return JobEvent
    raise invalid("$.job", "is required (a RunEvent or JobEvent names its job; a DatasetEvent has a dataset)")


def parse_event(body: bytes, *, derive: bool = True) -> ParsedEvent:
    """The event, with what its job's SQL says and it does not (``_derive``); ``derive=False``
    leaves that to the caller (the API does it off the event loop)."""
    try:
        payload = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise invalid("$", f"is not valid JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise invalid("$", "must be a JSON object (one event per request)")
    try:
        event = msgspec.convert(payload, type=_event_type(payload), strict=True)
    except msgspec.ValidationError as exc:
        raise invalid(*_error_path(exc)) from None
    if event.event_time.tzinfo is None:  # some producers omit the offset; the spec means UTC
        event.event_time = event.event_time.replace(tzinfo=timezone.utc)
    try:
        event.event_time.astimezone(timezone.utc)
    except OverflowError:
        raise invalid("$.eventTime", "lies outside the years 1 to 9999 in UTC (send a real instant)") from None
    if derive:
        from dlv.openlineage._derive import derive_from_sql  # it reads these Structs; here so every path derives

        derive_from_sql(event)
    # Sorted keys make the hash independent of how the producer ordered the JSON.
    digest = hashlib.sha256(msgspec.json.encode(payload, order="sorted")).hexdigest()
    return ParsedEvent(event=event, payload=payload, event_hash=digest, text=body.decode())
