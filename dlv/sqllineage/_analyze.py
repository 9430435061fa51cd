"""From SQL text to ``SqlLineage`` with sqlglot: which statement writes what, table names
qualified with the defaults the connection would apply, and column lineage (``_columns``).

SQL that does not parse, or that DLV cannot follow, gives None: lineage from SQL is a bonus
on top of what producers state, never a reason to refuse an event or a discovery. The
statement is never logged (SQL can carry passwords: ``CREATE USER ... PASSWORD``, literals),
only a digest of it to find it in the event log.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.qualify import qualify

from dlv.sqllineage._columns import Tracer
from dlv.sqllineage._model import ColumnLineage, SqlLineage

log = logging.getLogger(__name__)
# sqlglot warns with the statement's text when it falls back to an opaque command.
logging.getLogger("sqlglot").setLevel(logging.ERROR)
CACHE_SIZE = 2048
# Past this, a statement is not parsed at all (sqlglot's time grows with it; generated SQL of
# megabytes is rarely lineage anyone reads).
MAX_SQL_CHARS = 1_000_000
_cache: OrderedDict[tuple[object, ...], SqlLineage | None] = OrderedDict()
_stats = {"parsed": 0, "failed": 0}
# Discovery and dbt imports parse in worker threads while ingestion parses on the event loop.
_lock = threading.Lock()


def stats() -> dict[str, int]:
    """How many distinct statements were parsed and how many gave nothing (since start)."""
    return dict(_stats)


def analyze(
    sql: str,
    dialect: str | None = None,
    *,
    database: str | None = None,
    schema: str | None = None,
    tables: Mapping[str, Sequence[str]] | None = None,
) -> SqlLineage | None:
    """The lineage of ``sql`` (one or several statements). Unqualified table names get
    ``schema`` and ``database`` (the connection's defaults); ``tables`` names the columns of
    known tables (qualified names), which resolves ``SELECT *`` and unqualified columns.
    Parsed once per distinct text and context; None when nothing could be read."""
    digest = hashlib.sha256(sql.encode()).hexdigest()
    cache_key = (digest, dialect, database, schema, tuple(sorted((name, tuple(cols)) for name, cols in (tables or {}).items())))
    with _lock:
        if cache_key in _cache:
            _cache.move_to_end(cache_key)
            return _cache[cache_key]
    result = _analyze(sql, dialect, database, schema, tables or {}, digest)
    with _lock:
        _stats["parsed" if result is not None else "failed"] += 1
        _cache[cache_key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def _analyze(
    sql: str, dialect: str | None, database: str | None, schema: str | None, tables: Mapping[str, Sequence[str]], digest: str
) -> SqlLineage | None:
    if len(sql) > MAX_SQL_CHARS:
        log.info("SQL lineage skipped: statement of %d characters (sha256 %s)", len(sql), digest[:16])
        return None
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
        lineage = SqlLineage(inputs=[], outputs=[], columns=[])
        for statement in statements:
            _statement(statement, dialect, database, schema, tables, lineage)
    except Exception as exc:  # noqa: BLE001 - any parser failure means "no lineage from this SQL"
        log.info("SQL lineage: statement not understood (sha256 %s): %s", digest[:16], type(exc).__name__)
        return None
    if lineage.empty:
        return None
    lineage.inputs = list(dict.fromkeys(lineage.inputs))
    lineage.outputs = list(dict.fromkeys(lineage.outputs))
    return lineage


def _statement(
    statement: exp.Expression, dialect: str | None, database: str | None, schema: str | None,
    tables: Mapping[str, Sequence[str]], lineage: SqlLineage,
) -> None:
    qualified = _qualified(statement, dialect, database, schema, tables)
    target, target_columns, query = _parts(qualified)
    name = _table_name
    outputs = [name(target)] if target is not None else []
    ctes = {cte.alias_or_name for cte in qualified.find_all(exp.CTE)}
    reads = [
        table for table in qualified.find_all(exp.Table)
        if table is not target and _physical(table) and not (not table.db and table.name in ctes)
    ]
    lineage.inputs.extend(name(table) for table in reads if name(table) not in outputs)
    lineage.outputs.extend(outputs)
    if query is not None:
        known = {table: {column for column in columns} for table, columns in tables.items()}
        traced = Tracer(name, known).lineage(query, outputs[0] if outputs else None, target_columns)
        read = {name(table) for table in reads}
        lineage.columns.extend(column for column in traced if column.source_table in read)


def _qualified(
    statement: exp.Expression, dialect: str | None, database: str | None, schema: str | None, tables: Mapping[str, Sequence[str]],
) -> exp.Expression:
    """Tables qualified with the defaults, columns with their tables and stars expanded where
    the schema allows; when sqlglot cannot place a column (a table of unknown schema among
    several), tables only, and ``Tracer`` places what it can."""
    options = {
        "dialect": dialect, "db": schema, "catalog": database, "schema": _schema(tables),
        "validate_qualify_columns": False, "quote_identifiers": False, "identify": False,
    }
    try:
        return qualify(statement.copy(), **options)
    except OptimizeError:
        return qualify(statement, **options, qualify_columns=False, expand_stars=False)


def _parts(statement: exp.Expression) -> tuple[exp.Table | None, list[str] | None, exp.Expression | None]:
    """(table written, its column list when the statement names one, the query that feeds it)."""
    if isinstance(statement, exp.Query):
        return None, None, statement
    if isinstance(statement, (exp.Insert, exp.Create)):
        target, query = statement.this, statement.expression
        ctes = statement.args.get("with_")
        if isinstance(query, exp.Query) and ctes is not None and query.args.get("with_") is None:
            query.set("with_", ctes.copy())  # WITH ... INSERT INTO t SELECT: the CTEs are the query's
        columns = None
        if isinstance(target, exp.Schema):
            columns = [column.name for column in target.expressions] or None
            target = target.this
        if isinstance(statement, exp.Create) and statement.kind not in ("TABLE", "VIEW", "MATERIALIZED VIEW"):
            return None, None, None
        if isinstance(statement, exp.Create) and columns and not isinstance(query, exp.Query):
            columns = None  # CREATE TABLE t (a int): a definition, not a mapping
        return (target if isinstance(target, exp.Table) else None), columns, (query if isinstance(query, exp.Query) else None)
    if isinstance(statement, (exp.Merge, exp.Update, exp.Delete)):
        target = statement.this
        return (target if isinstance(target, exp.Table) else None), None, None
    return None, None, None


def _physical(table: exp.Table) -> bool:
    """A table the query reads, not a function in FROM (``generate_series(...)``)."""
    return isinstance(table.this, exp.Identifier)


def _table_name(table: exp.Table) -> str:
    return ".".join(part.name for part in table.parts)


def _schema(tables: Mapping[str, Sequence[str]]) -> dict[str, object] | None:
    """Known tables as sqlglot's nested schema; only the most qualified names (sqlglot wants
    one depth)."""
    if not tables:
        return None
    depth = max(name.count(".") for name in tables)
    nested: dict[str, object] = {}
    for name, columns in tables.items():
        if name.count(".") != depth or not columns:
            continue
        level = nested
        *parents, leaf = name.split(".")
        for part in parents:
            level = level.setdefault(part, {})  # type: ignore[assignment]
        level[leaf] = {column: "UNKNOWN" for column in columns}
    return nested or None
