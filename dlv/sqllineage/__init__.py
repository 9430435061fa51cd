"""Table and column lineage read from SQL: the OpenLineage ``sql`` job facet, view
definitions found by discovery, dbt's compiled models. ``analyze`` is the one entry point."""

from dlv.sqllineage._analyze import analyze, stats
from dlv.sqllineage._model import WHOLE_DATASET, ColumnLineage, Kind, SqlLineage, dialect_for

__all__ = ["WHOLE_DATASET", "ColumnLineage", "Kind", "SqlLineage", "analyze", "dialect_for", "stats"]
