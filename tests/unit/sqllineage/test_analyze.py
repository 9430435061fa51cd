"""SQL -> table and column lineage (dlv.sqllineage), statement by statement."""

from __future__ import annotations

import logging

import pytest

from dlv.sqllineage import analyze, dialect_for


def columns(sql: str, **kwargs: object) -> set[tuple[str, str, str, str]]:
    """(target column, source table.column, type, subtype) of every mapping."""
    lineage = analyze(sql, "postgres", **kwargs)
    assert lineage is not None
    return {(c.target_column, f"{c.source_table}.{c.source_column}", c.type, c.subtype) for c in lineage.columns}


def test_identity_transformation_and_aggregation() -> None:
    found = columns(
        "CREATE VIEW sales.totals AS SELECT o.customer_id, upper(o.region) AS region, sum(o.amount) AS total "
        "FROM sales.orders o GROUP BY o.customer_id, upper(o.region)"
    )
    assert ("customer_id", "sales.orders.customer_id", "DIRECT", "IDENTITY") in found
    assert ("region", "sales.orders.region", "DIRECT", "TRANSFORMATION") in found
    assert ("total", "sales.orders.amount", "DIRECT", "AGGREGATION") in found
    assert ("*", "sales.orders.customer_id", "INDIRECT", "GROUP_BY") in found


def test_join_filter_and_sort_shape_every_row() -> None:
    found = columns(
        "INSERT INTO mart.report (name, amount) SELECT c.name, o.amount FROM orders o JOIN customers c ON o.customer_id = c.id "
        "WHERE o.status = 'paid' ORDER BY o.created_at"
    )
    assert ("name", "customers.name", "DIRECT", "IDENTITY") in found
    assert ("amount", "orders.amount", "DIRECT", "IDENTITY") in found
    assert ("*", "orders.customer_id", "INDIRECT", "JOIN") in found
    assert ("*", "customers.id", "INDIRECT", "JOIN") in found
    assert ("*", "orders.status", "INDIRECT", "FILTER") in found
    assert ("*", "orders.created_at", "INDIRECT", "SORT") in found


def test_window_and_conditional_affect_their_own_column() -> None:
    found = columns(
        "SELECT row_number() OVER (PARTITION BY e.dept ORDER BY e.salary DESC) AS rank, "
        "CASE WHEN e.active THEN e.salary ELSE 0 END AS pay, sum(e.salary) OVER (PARTITION BY e.dept) AS dept_total FROM emp e"
    )
    assert ("rank", "emp.dept", "INDIRECT", "WINDOW") in found
    assert ("rank", "emp.salary", "INDIRECT", "WINDOW") in found
    assert ("pay", "emp.active", "INDIRECT", "CONDITIONAL") in found
    assert ("pay", "emp.salary", "DIRECT", "TRANSFORMATION") in found
    assert ("dept_total", "emp.salary", "DIRECT", "AGGREGATION") in found


def test_ctes_and_subqueries_are_traced_to_the_tables() -> None:
    lineage = analyze(
        "WITH paid AS (SELECT customer_id, amount FROM orders WHERE status = 'paid'), "
        "per AS (SELECT customer_id, sum(amount) AS total FROM paid GROUP BY customer_id) "
        "INSERT INTO summary SELECT t.customer_id, t.total * 2 AS doubled FROM (SELECT * FROM per) t",
        "postgres",
    )
    assert lineage is not None
    assert lineage.inputs == ["orders"] and lineage.outputs == ["summary"]
    found = {(c.target_column, c.source_column, c.subtype) for c in lineage.columns}
    # An identity of an aggregate of a column is an aggregation; the CTE's filter reaches the output.
    assert ("customer_id", "customer_id", "IDENTITY") in found
    assert ("doubled", "amount", "AGGREGATION") in found
    assert ("*", "status", "FILTER") in found
    assert not {c.source_table for c in lineage.columns} - {"orders"}  # never a CTE name


def test_union_maps_by_position_into_the_insert_column_list() -> None:
    found = columns("INSERT INTO everyone (who) SELECT name FROM staff UNION ALL SELECT login FROM contractors")
    assert found == {("who", "staff.name", "DIRECT", "IDENTITY"), ("who", "contractors.login", "DIRECT", "IDENTITY")}


def test_unqualified_names_take_the_connection_defaults() -> None:
    lineage = analyze("INSERT INTO out SELECT id FROM public.a JOIN b USING (id)", "postgres", database="shop", schema="public")
    assert lineage is not None
    assert lineage.outputs == ["shop.public.out"]
    assert sorted(lineage.inputs) == ["shop.public.a", "shop.public.b"]


def test_select_star_with_a_known_schema_and_unqualified_columns() -> None:
    found = columns("CREATE TABLE copy AS SELECT * FROM src", tables={"src": ["a", "b"]})
    assert found == {("a", "src.a", "DIRECT", "IDENTITY"), ("b", "src.b", "DIRECT", "IDENTITY")}
    # Two tables, unqualified columns: the known schemas say which table has which.
    found = columns("SELECT name, total FROM people, orders WHERE people.id = orders.pid", tables={"people": ["id", "name"], "orders": ["pid", "total"]})
    assert ("name", "people.name", "DIRECT", "IDENTITY") in found and ("total", "orders.total", "DIRECT", "IDENTITY") in found


def test_subquery_in_where_filters() -> None:
    found = columns("SELECT a.x FROM a WHERE a.y IN (SELECT b.k FROM b)")
    assert ("*", "b.k", "INDIRECT", "FILTER") in found and ("*", "a.y", "INDIRECT", "FILTER") in found


@pytest.mark.parametrize("sql", ["this is not sql", "SELECT FROM WHERE (", "", "CREATE USER bob PASSWORD 'hunter2'", "VACUUM"])
def test_unparseable_or_lineage_free_sql_gives_nothing_and_never_logs_the_text(sql: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert analyze(sql, "postgres") is None
    assert "hunter2" not in caplog.text


def test_dialects_from_facets_namespaces_and_node_types() -> None:
    assert dialect_for(None, "postgres://db:5432") == "postgres"
    assert dialect_for("snowflake", "postgres://db") == "snowflake"
    assert dialect_for("postgresql") == "postgres"
    assert dialect_for("made-up", None) is None
