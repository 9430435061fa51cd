"""Lineage an event does not state, read from its job's SQL (the ``sql`` job facet): the
inputs when it names none, the outputs when it names none, and the column lineage of every
output that has none. What the event states is never replaced; what is derived carries
``origin: "sql"`` on its column mappings.

Names are resolved the way OpenLineage's SQL integrations do it (openlineage-sql's
``DbTableMeta`` qualified with the connection's default database and schema): the defaults
are taken from a dataset the event does name (``db.schema.table`` in its namespace). An
event naming no dataset gets them only when its job's namespace is a data source
(``postgres://host:5432``), where the tables keep the qualification the SQL gives them.
"""

from __future__ import annotations

from dlv.openlineage._facets import FILE_SCHEMES, TOPIC_SCHEMES
from dlv.openlineage._spec import (
    ColumnLineageFacet,
    ColumnLineageField,
    Dataset,
    Event,
    InputField,
    JobEvent,
    RunEvent,
    Transformation,
)
from dlv.sqllineage import SqlLineage, analyze, dialect_for

ORIGIN_SQL = "sql"


def needs_sql(event: Event) -> bool:
    """Whether the event has SQL and leaves out something it could say (else nothing is parsed)."""
    if not isinstance(event, (RunEvent, JobEvent)) or event.job.facets.sql is None:
        return False
    return not (event.inputs and event.outputs and all(d.facets.column_lineage is not None for d in event.outputs))


def derive_from_sql(event: Event) -> None:
    """Fill in what ``event`` leaves out from its SQL, in place (nothing when it states it all,
    has no SQL, or the SQL says nothing DLV can read)."""
    if not isinstance(event, (RunEvent, JobEvent)) or not needs_sql(event):
        return
    missing_columns = [d for d in event.outputs if d.facets.column_lineage is None]
    facet = event.job.facets.sql
    source = _database(event)
    if source is None and not (event.inputs and event.outputs):
        return  # datasets are missing, and nothing says which database the SQL ran on
    namespace, known_name = source or (event.outputs[0].namespace, "")
    database, schema = _defaults(known_name)
    tables = {d.name: [f.name for f in d.facets.schema.fields] for d in event.inputs if d.facets.schema is not None}
    lineage = analyze(facet.query, dialect_for(facet.dialect, namespace), database=database, schema=schema, tables=tables)
    if lineage is None:
        return
    if not event.inputs:
        event.inputs = [Dataset(namespace=namespace, name=name) for name in lineage.inputs if name not in lineage.outputs]
    names = _Names(event.inputs)
    if not event.outputs:
        event.outputs = [Dataset(namespace=namespace, name=name) for name in lineage.outputs]
        missing_columns = list(event.outputs)
    for dataset in missing_columns:
        target = _written_as(dataset, lineage, len(event.outputs))
        if target is not _UNMATCHED and (derived := _column_facet(lineage, target, names)) is not None:
            dataset.facets.column_lineage = derived


def _database(event: RunEvent | JobEvent) -> tuple[str, str] | None:
    """(namespace, a table's name there) of the database the SQL ran on: a table the event
    names (not a file or topic: a query exported to ``gs://`` ran elsewhere), else the job's
    namespace when it is a data source (``postgres://host:5432``); None when nothing says (a
    COMPLETE that does not repeat its START's datasets, most often), as tables named in the
    job's namespace would be other assets."""
    for dataset in [*event.outputs, *event.inputs]:
        if _is_database(dataset.namespace):
            return dataset.namespace, dataset.name
    return (event.job.namespace, "") if "://" in event.job.namespace and _is_database(event.job.namespace) else None


def _is_database(namespace: str) -> bool:
    scheme = namespace.split("://", 1)[0].lower()
    return scheme not in FILE_SCHEMES and scheme not in TOPIC_SCHEMES


def _defaults(name: str) -> tuple[str | None, str | None]:
    """(default database, default schema) implied by a dataset named ``database.schema.table``
    (or ``schema.table``)."""
    parts = name.split(".")
    if len(parts) >= 3:
        return parts[-3], parts[-2]
    return (None, parts[0]) if len(parts) == 2 else (None, None)


_UNMATCHED = ""


def _written_as(dataset: Dataset, lineage: SqlLineage, outputs: int) -> str | None:
    """The SQL's name for a stated output: the same name, or the only table the SQL writes;
    None when the SQL is a query that is the event's only output (dbt's compiled model, an
    export); ``_UNMATCHED`` when the SQL does not say how the output is made."""
    if not lineage.outputs:
        return None if outputs == 1 else _UNMATCHED
    if dataset.name in lineage.outputs:
        return dataset.name
    tails = [name for name in lineage.outputs if dataset.name.endswith(f".{name}")]
    if len(tails) == 1:
        return tails[0]
    return lineage.outputs[0] if len(lineage.outputs) == 1 else _UNMATCHED


class _Names:
    """The input a table name in the SQL means: the one with that name, or the only one whose
    name ends with it (``orders`` -> ``shop.public.orders``); None for a table the event's
    inputs do not name (derived lineage never adds a read the event did not state)."""

    def __init__(self, inputs: list[Dataset]) -> None:
        self.inputs = inputs

    def resolve(self, table: str) -> tuple[str, str] | None:
        exact = [d for d in self.inputs if d.name == table]
        ending = exact or [d for d in self.inputs if d.name.endswith(f".{table}")]
        return (ending[0].namespace, ending[0].name) if len(ending) == 1 else None


def _column_facet(lineage: SqlLineage, target: str | None, names: _Names) -> ColumnLineageFacet | None:
    fields: dict[str, ColumnLineageField] = {}
    for column in lineage.columns:
        source = names.resolve(column.source_table)
        if column.target_table != target or source is None:
            continue
        namespace, name = source
        field = InputField(
            namespace=namespace, name=name, field=column.source_column,
            transformations=[Transformation(type=column.type, subtype=column.subtype)], origin=ORIGIN_SQL,
        )
        fields.setdefault(column.target_column, ColumnLineageField(input_fields=[])).input_fields.append(field)
    return ColumnLineageFacet(fields=fields) if fields else None
