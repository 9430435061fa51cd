"""Lineage that PostgreSQL's SQL-language functions and procedures write in their bodies: a
body that writes a table (``INSERT ... SELECT``, ``CREATE TABLE ... AS``) links each table it
reads to the table it writes, with column lineage, like a view and its sources.

What is left out: PL/pgSQL and other procedural languages (their bodies are code around SQL,
often dynamic: ``EXECUTE format(...)``), and SQL functions that only return rows (they write
nothing; whoever calls them does).
"""

from __future__ import annotations

import asyncio
import re

import asyncpg

from dlv.connectors._catalog import ColumnUse, Dependency, DiscoveryScope, Relation
from dlv.sqllineage import WHOLE_DATASET, SqlLineage, analyze

ROUTINES = """
    SELECT n.nspname AS schema, {body} AS sql
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    JOIN pg_catalog.pg_language l ON l.oid = p.prolang
    WHERE l.lanname = 'sql' AND has_schema_privilege(n.oid, 'USAGE')
    ORDER BY n.nspname, p.proname, p.oid
"""
# Since PostgreSQL 14 a BEGIN ATOMIC body is kept parsed (prosrc is empty) and printed by
# pg_get_function_sqlbody, with relation names qualified against the current search_path.
BODY_SINCE_14 = "COALESCE(pg_catalog.pg_get_function_sqlbody(p.oid), p.prosrc)"
_ATOMIC = re.compile(r"^\s*BEGIN\s+ATOMIC\b|\bEND\s*;?\s*$", re.IGNORECASE)
# A body written as text resolves its tables when it runs, through the caller's search_path:
# ``public`` is the one DLV assumes.
DEFAULT_SCHEMA = "public"


async def routine_dependencies(
    connection: asyncpg.Connection, database: str, scope: DiscoveryScope, every: dict[int, Relation], wanted: dict[int, Relation]
) -> list[Dependency]:
    """A dependency per (table read, table written) of the functions in scope; the written table
    must be in scope, the read one visible (a placeholder when outside the scope)."""
    body = BODY_SINCE_14 if connection.get_server_version().major >= 14 else "p.prosrc"
    bodies = [row["sql"] for row in await connection.fetch(ROUTINES.format(body=body)) if row["sql"] and scope.covers(row["schema"])]
    parsed = await asyncio.to_thread(lambda: [_parse(sql, database) for sql in bodies])
    by_name = {relation.name: relation for relation in every.values()}
    targets = {relation.name for relation in wanted.values()}
    uses: dict[tuple[str, str], set[ColumnUse]] = {}
    for lineage in parsed:
        if lineage is None:
            continue
        for target in (name for name in lineage.outputs if name in targets):
            for source in (name for name in lineage.inputs if name in by_name and name != target):
                found = uses.setdefault((source, target), set())
                found.update(
                    ColumnUse(c.source_column, None if c.target_column == WHOLE_DATASET else c.target_column, f"{c.type}/{c.subtype}")
                    for c in lineage.columns
                    if c.source_table == source and c.target_table == target
                )
    return [
        Dependency(
            source=source, source_schema=by_name[source].schema, source_kind=by_name[source].kind, target=target,
            columns=sorted(columns, key=lambda use: (use.source_column, use.target_column or "", use.transformation or "")),
        )
        for (source, target), columns in uses.items()
    ]


def _parse(sql: str, database: str) -> SqlLineage | None:
    return analyze(_ATOMIC.sub("", sql), "postgres", database=database, schema=DEFAULT_SCHEMA)
