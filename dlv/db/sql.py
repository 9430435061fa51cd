"""SQL helpers every package shares: membership tests per dialect, chunks of long parameter
lists, and the one builder of ``INSERT ... ON CONFLICT`` statements.

Why per dialect: on PostgreSQL a list is bound as one array parameter (``= ANY(:ids)``), so the
statement's text, and the statement asyncpg prepared for it, stays the same whatever the
list's length (an ``IN`` list of n items is a new statement for every n), and the list does
not count against asyncpg's limit of 32,767 parameters per statement. SQLite has no arrays:
it gets an ``IN`` list, which its own limit (32,766 variables) bounds; ``chunks`` keeps lists
under both.
"""

from __future__ import annotations

import os
import re

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import String, bindparam, func, literal, select, text, tuple_
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import TextClause

T = TypeVar("T")

# Items per statement when a list is bound one parameter per item (SQLite's IN lists, multi-row
# VALUES): well under SQLite's 32,766 and asyncpg's 32,767 parameters even with a few columns.
CHUNK = 5000


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def among(column: Any, name: str, dialect: str, item_type: Any) -> Any:
    """``column IN (:name)`` for a list bound at execution: ``= ANY(:name)`` on PostgreSQL."""
    if dialect == "postgresql":
        return column == func.any(bindparam(name, type_=ARRAY(item_type)))
    return column.in_(bindparam(name, expanding=True))


def not_among(column: Any, name: str, dialect: str, item_type: Any) -> Any:
    """``column NOT IN (:name)``, as ``among`` (``<> ALL`` on PostgreSQL: negating ``= ANY``
    would give ``<> ANY``, true for any list of two or more)."""
    if dialect == "postgresql":
        return column != func.all(bindparam(name, type_=ARRAY(item_type)))
    return column.not_in(bindparam(name, expanding=True))


def among_values(column: Any, values: Sequence[Any], dialect: str, item_type: Any) -> Any:
    """``column IN values`` with the values in the statement (callers chunk them on SQLite)."""
    if dialect == "postgresql":
        return column == func.any(literal(list(values), ARRAY(item_type)))
    return column.in_(list(values))


def pairs_among(first: Any, second: Any, dialect: str) -> Any:
    """``(first, second) IN`` the pairs bound by ``pair_params`` (strings, e.g. namespace and
    name): on PostgreSQL two arrays unnested side by side, so the statement stays one."""
    pair = tuple_(first, second)
    if dialect == "postgresql":
        keys = select(
            func.unnest(bindparam("firsts", type_=ARRAY(String))).label("first"),
            func.unnest(bindparam("seconds", type_=ARRAY(String))).label("second"),
        ).subquery()
        return pair.in_(select(keys.c.first, keys.c.second))
    return pair.in_(bindparam("pairs", expanding=True))


def pair_params(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The parameters of ``pairs_among`` (both dialects' forms)."""
    return {"pairs": list(pairs), "firsts": [pair[0] for pair in pairs], "seconds": [pair[1] for pair in pairs]}


def insert_on_conflict(
    table: Any,
    columns: Sequence[str],
    conflict: Sequence[str],
    *,
    update: Sequence[str] = (),
    update_where: str | None = None,
    returning: Sequence[str] = (),
    values: Mapping[str, str] | None = None,
    types: Mapping[str, Any] | None = None,
    from_arrays: bool = False,
) -> TextClause:
    """``INSERT INTO table (columns) VALUES (...) ON CONFLICT (conflict) DO NOTHING`` (or ``DO
    UPDATE SET`` the ``update`` columns to the new values ``[WHERE update_where]``, where the
    stored row is ``table.column`` and the new one ``excluded.column``) ``[RETURNING returning]``, as typed
    text: the same SQL on PostgreSQL and SQLite (3.35+), compiled once (SQLAlchemy 2.0 does
    not cache its dialect INSERT constructs, so built with them every execution compiles the
    statement again). Run it with a list of rows (``with_defaults``) to insert many.

    ``values`` replaces a column's ``:name`` with an expression (a cast) and ``types`` the
    type its parameter is bound with (the column's by default); ``from_arrays``
    (PostgreSQL only) takes every column as one array parameter and inserts the rows of
    ``unnest``: one statement and one prepared plan whatever the number of rows.
    """
    values = dict(values or {})
    bound = {name: (types or {}).get(name, table.c[name].type) for name in columns}
    if from_arrays:
        arrays = ", ".join(f"CAST(:{name} AS {_array_type(bound[name])})" for name in columns)
        selected = ", ".join(values.get(name, name).replace(f":{name}", name) for name in columns)
        source = f"SELECT {selected} FROM unnest({arrays}) AS received({', '.join(columns)})"
    else:
        source = f"VALUES ({', '.join(values.get(name, ':' + name) for name in columns)})"
    action = "DO UPDATE SET " + ", ".join(f"{name} = excluded.{name}" for name in update) if update else "DO NOTHING"
    if update and update_where:
        action += f" WHERE {update_where}"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) {source} ON CONFLICT ({', '.join(conflict)}) {action}"
    if returning:
        sql += " RETURNING " + ", ".join(returning)
    statement = text(sql).bindparams(
        *(bindparam(name, type_=ARRAY(bound[name]) if from_arrays else bound[name]) for name in columns)
    )
    return statement.columns(*(table.c[name] for name in returning)) if returning else statement


def _array_type(column_type: Any) -> str:
    # Without a length: an explicit cast to varchar(n) would cut longer values silently, where
    # the INSERT must refuse them as it does for a plain VALUES row.
    return re.sub(r"\(\d+\)", "", column_type.compile(dialect=postgresql.dialect())) + "[]"


def new_ids(count: int) -> list[UUID]:
    """``count`` random (version 4) UUIDs, like the models' ``uuid4`` default, from one read of
    the system's random source: ``uuid4()`` reads it once per id, which in a VM is a system
    call costing more than the row's insert when a bulk request writes 100,000 rows."""
    pool = os.urandom(16 * count)
    return [UUID(bytes=pool[start : start + 16], version=4) for start in range(0, 16 * count, 16)]


def with_defaults(table: Any, rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> list[dict[str, Any]]:
    """``rows`` completed with the table's Python-side defaults (ids, timestamps, empty lists)
    for the ``columns`` they lack, as the ORM would fill them: text statements get none."""
    defaults = [(name, table.c[name].default) for name in columns]  # a column lookup costs more than a row
    completed = []
    for row in rows:
        values = dict(row)
        for name, default in defaults:
            if name not in values:
                values[name] = None if default is None else default.arg(None) if default.is_callable else default.arg
        completed.append(values)
    return completed


__all__ = [
    "CHUNK",
    "among",
    "among_values",
    "chunks",
    "insert_on_conflict",
    "new_ids",
    "not_among",
    "pair_params",
    "pairs_among",
    "with_defaults",
]
