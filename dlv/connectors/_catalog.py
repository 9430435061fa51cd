"""The catalog shapes a connector's ``discover`` returns (a connector-neutral catalog of
datasets and the dependencies between them), and the schema scope it honours. DLV turns
them into assets and ``discovery`` edges (``dlv.nodes``); a plugin's node type returns the
same shapes, imported from ``dlv.connectors`` like everything else a plugin needs.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Annotated, Literal

import msgspec

from dlv.connectors._checklist import TestReport

RelationKind = Literal["table", "view", "materialized_view"]
# Globs, not regular expressions: what people write for schema names (``sales_*``).
SchemaPattern = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
SchemaPatterns = Annotated[list[SchemaPattern], msgspec.Meta(max_length=200)]
SYSTEM_SCHEMAS = ("pg_*", "information_schema")


class DiscoveryScope(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Which schemas to read. System schemas stay out unless ``include_schemas`` names one
    literally: a ``*`` should never drag pg_catalog's hundreds of tables in."""

    include_schemas: SchemaPatterns = msgspec.field(default_factory=lambda: ["*"])
    exclude_schemas: SchemaPatterns = msgspec.field(default_factory=list)

    def covers(self, schema: str) -> bool:
        if any(fnmatchcase(schema, pattern) for pattern in SYSTEM_SCHEMAS) and schema not in self.include_schemas:
            return False
        if any(fnmatchcase(schema, pattern) for pattern in self.exclude_schemas):
            return False
        return any(fnmatchcase(schema, pattern) for pattern in self.include_schemas)


class CatalogColumn(msgspec.Struct, frozen=True):
    name: str
    type: str


class Relation(msgspec.Struct, kw_only=True):
    """A dataset, named the OpenLineage way (``name`` is ``database.schema.table``)."""

    schema: str
    name: str
    kind: RelationKind
    columns: list[CatalogColumn] = msgspec.field(default_factory=list)


class ColumnUse(msgspec.Struct, frozen=True):
    """``source_column`` is read by the dependent; ``target_column`` is the column it feeds,
    or None when it only shapes the result (a join key, a filter, an expression).
    ``transformation``, when the dependent's SQL was read, is how (OpenLineage's type/subtype,
    ``DIRECT/AGGREGATION``)."""

    source_column: str
    target_column: str | None
    transformation: str | None = None


class Dependency(msgspec.Struct, kw_only=True):
    """``target`` (a view) reads ``source``; ``source_schema`` may lie outside the scope."""

    source: str
    source_schema: str
    source_kind: RelationKind
    target: str
    columns: list[ColumnUse] = msgspec.field(default_factory=list)


class Catalog(msgspec.Struct, kw_only=True):
    namespace: str
    database: str
    # The schemas that were read: only assets in these are retired when missing.
    schemas: list[str]
    relations: list[Relation]
    dependencies: list[Dependency]


class Discovery(msgspec.Struct, kw_only=True):
    """The connection steps (the same report as test connection) and, when they passed, the catalog."""

    report: TestReport
    catalog: Catalog | None = None
