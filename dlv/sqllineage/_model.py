"""What SQL lineage is, independent of the parser: the tables a statement reads and writes
and, per output column, the input columns that feed it, typed the way OpenLineage's
``columnLineage`` facet types them (spec 1-2-0: DIRECT IDENTITY/TRANSFORMATION/AGGREGATION,
INDIRECT JOIN/GROUP_BY/FILTER/SORT/WINDOW/CONDITIONAL).
"""

from __future__ import annotations

import msgspec

DIRECT, INDIRECT = "DIRECT", "INDIRECT"
IDENTITY, TRANSFORMATION, AGGREGATION = "IDENTITY", "TRANSFORMATION", "AGGREGATION"
JOIN, GROUP_BY, FILTER, SORT, WINDOW, CONDITIONAL = "JOIN", "GROUP_BY", "FILTER", "SORT", "WINDOW", "CONDITIONAL"
# The target column of INDIRECT lineage that shapes every row of the output (a join key, a
# filter, a grouping), the way DLV's discovery edges already spell "the whole dataset".
WHOLE_DATASET = "*"
# Direct kinds from the weakest to the strongest: through several steps, the strongest wins
# (an aggregate of a renamed column is an aggregation).
_DIRECT_RANK = {IDENTITY: 0, TRANSFORMATION: 1, AGGREGATION: 2}


class Kind(msgspec.Struct, frozen=True):
    type: str
    subtype: str

    @property
    def label(self) -> str:
        """How DLV's column mappings spell a transformation (``DIRECT/AGGREGATION``)."""
        return f"{self.type}/{self.subtype}"

    def then(self, inner: Kind) -> Kind:
        """This kind applied to a column that ``inner`` produced one step upstream."""
        if self.type == INDIRECT:
            return self
        if inner.type == INDIRECT:
            return inner
        return self if _DIRECT_RANK[self.subtype] >= _DIRECT_RANK[inner.subtype] else inner


class ColumnLineage(msgspec.Struct, frozen=True, order=True):
    """``source_table.source_column`` feeds ``target_table.target_column`` (``*``: every row)."""

    target_table: str | None
    target_column: str
    source_table: str
    source_column: str
    type: str
    subtype: str


class SqlLineage(msgspec.Struct):
    inputs: list[str]
    outputs: list[str]
    columns: list[ColumnLineage]

    @property
    def empty(self) -> bool:
        return not (self.inputs or self.outputs or self.columns)


# OpenLineage ``sql`` facet dialects and dataset namespace schemes -> sqlglot dialects.
_DIALECTS = {
    "postgres": "postgres", "postgresql": "postgres", "redshift": "redshift", "mysql": "mysql", "mariadb": "mysql",
    "bigquery": "bigquery", "snowflake": "snowflake", "spark": "spark", "databricks": "databricks", "hive": "hive",
    "trino": "trino", "presto": "presto", "athena": "athena", "duckdb": "duckdb", "sqlite": "sqlite", "mssql": "tsql",
    "sqlserver": "tsql", "tsql": "tsql", "oracle": "oracle", "clickhouse": "clickhouse", "teradata": "teradata",
    "awsathena": "athena",
}


def dialect_for(*hints: str | None) -> str | None:
    """The sqlglot dialect of the first hint DLV knows (a facet's ``dialect``, a namespace like
    ``postgres://db:5432``, a node type); None (sqlglot's generic SQL) when none is known."""
    for hint in hints:
        if hint:
            name = hint.split("://", 1)[0].lower() if "://" in hint else hint.lower()
            if name in _DIALECTS:
                return _DIALECTS[name]
    return None
