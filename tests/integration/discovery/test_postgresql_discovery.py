"""Discovery of a real PostgreSQL database (a fresh one per test on the session's server):
assets, fields and view lineage, then what a rediscovery does after the schema changed."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timezone
from typing import Any

import asyncpg
from click.testing import CliRunner
import pytest

from dlv.cli import main
from tests.integration.nodes.conftest import Client, create_node, failed_step, postgres_config, ssh_peer  # noqa: F401 - fixture

SCHEMA = """
    CREATE SCHEMA sales;
    CREATE SCHEMA hidden;
    CREATE TABLE sales.customers (id integer PRIMARY KEY, name text NOT NULL, country_code char(2));
    CREATE TABLE sales.orders (id bigint PRIMARY KEY, customer_id integer, amount numeric(10, 2), created_at timestamptz);
    CREATE TABLE sales.legacy_orders (id bigint);
    CREATE TABLE hidden.fx (currency text, rate numeric);
    CREATE VIEW sales.order_details AS
        SELECT o.id, o.amount, c.name FROM sales.orders o JOIN sales.customers c ON c.id = o.customer_id;
    CREATE VIEW sales.big_orders AS SELECT id, amount FROM sales.order_details WHERE amount > 100;
    CREATE MATERIALIZED VIEW sales.revenue_by_customer AS
        SELECT customer_id, sum(amount) AS total FROM sales.orders GROUP BY customer_id;
    CREATE VIEW sales.fx_rates AS SELECT currency, rate FROM hidden.fx;
"""
# The second state: a dropped table, a view with another column, a view whose source went.
CHANGES = """
    DROP TABLE sales.legacy_orders;
    CREATE OR REPLACE VIEW sales.big_orders AS SELECT id, amount, name FROM sales.order_details WHERE amount > 100;
    DROP TABLE hidden.fx CASCADE;
"""


@pytest.fixture
async def source_database(postgres_server) -> dict[str, Any]:
    """A new database with schemas, tables, views and a materialized view; the config of a node for it."""
    name = f"shop_{secrets.token_hex(4)}"
    postgres_server.create_database(name)
    connection = await asyncpg.connect(postgres_server.url(name, "postgresql"))
    try:
        await connection.execute(SCHEMA)
    finally:
        await connection.close()
    return {"name": name, "config": postgres_config(postgres_server, database=name)}


async def execute(postgres_server, database: str, sql: str) -> None:
    connection = await asyncpg.connect(postgres_server.url(database, "postgresql"))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def discover(client: Client, headers: dict[str, str], node_id: str, body: Any = None) -> dict[str, Any]:
    response = await client.post(f"/api/nodes/{node_id}/discover", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def assets_by_name(client: Client, headers: dict[str, str], namespace: str, **params: Any) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/lineage/assets", params={"namespace": namespace, "pageSize": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return {asset["name"]: asset for asset in response.json()["items"]}


async def upstream(client: Client, headers: dict[str, str], asset_id: str, **params: Any) -> dict[str, Any]:
    response = await client.get(
        "/api/lineage/graph",
        params={"node_id": asset_id, "direction": "upstream", "depth": 1, "columns": "true", **params},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def columns_from(graph: dict[str, Any], source_id: str) -> set[tuple[str, str]]:
    [edge] = [edge for edge in graph["edges"] if edge["source_id"] == source_id]
    return {(column["source_field"], column["target_field"]) for column in edge["columns"]}


def typed_columns_from(graph: dict[str, Any], source_id: str) -> set[tuple[str, str, str | None, str | None]]:
    """(source field, target field, transformation, origin) of the edge from ``source_id``."""
    [edge] = [edge for edge in graph["edges"] if edge["source_id"] == source_id]
    return {(c["source_field"], c["target_field"], c.get("transformation"), c.get("origin")) for c in edge["columns"]}


async def test_discovery_creates_assets_fields_and_view_lineage_then_follows_changes(
    client: Client, admin_headers, postgres_server, source_database
) -> None:
    node = await create_node(client, admin_headers, "shop", "postgresql", source_database["config"])
    namespace = f"postgres://{postgres_server.host}:{postgres_server.port}"
    db = source_database["name"]

    first = await discover(client, admin_headers, node["id"], {"exclude_schemas": ["hidden"]})

    assert first["status"] == "ok", first
    assert first["steps"][-2:][0]["name"] == "read catalog" and first["steps"][-1]["name"] == "store assets"
    assert first["summary"] == {
        "relations": 7, "created": 8, "updated": 0, "unchanged": 0, "retired": 0, "placeholders": 1,
        "edges_created": 5, "edges_updated": 0, "edges_unchanged": 0, "edges_retired": 0,
    }  # fmt: skip  (7 relations in sales, plus hidden.fx as a placeholder)
    assets = await assets_by_name(client, admin_headers, namespace)
    assert {name: asset["kind"] for name, asset in assets.items()} == {
        f"{db}.sales.customers": "table",
        f"{db}.sales.orders": "table",
        f"{db}.sales.legacy_orders": "table",
        f"{db}.sales.order_details": "view",
        f"{db}.sales.big_orders": "view",
        f"{db}.sales.revenue_by_customer": "materialized_view",
        f"{db}.sales.fx_rates": "view",
        f"{db}.hidden.fx": "table",
    }
    assert all(asset["node_id"] == node["id"] for asset in assets.values())
    assert assets[f"{db}.sales.orders"]["fields"] == [
        {"name": "id", "type": "bigint"},
        {"name": "customer_id", "type": "integer"},
        {"name": "amount", "type": "numeric(10,2)"},
        {"name": "created_at", "type": "timestamp with time zone"},
    ]
    assert assets[f"{db}.hidden.fx"]["tags"] == ["placeholder"]
    assert assets[f"{db}.sales.orders"]["tags"] == []
    ids = {name.split(".", 1)[1]: asset["id"] for name, asset in assets.items()}

    details = await upstream(client, admin_headers, ids["sales.order_details"])
    assert {"source_id": ids["sales.orders"], "origin": "discovery"}.items() <= next(
        edge for edge in details["edges"] if edge["source_id"] == ids["sales.orders"]
    ).items()
    # The views' SQL is read: each column says how it feeds the view (origin sql).
    assert typed_columns_from(details, ids["sales.orders"]) == {
        ("id", "id", "DIRECT/IDENTITY", "sql"), ("amount", "amount", "DIRECT/IDENTITY", "sql"), ("customer_id", "*", "INDIRECT/JOIN", "sql"),
    }
    assert ("name", "name") in columns_from(details, ids["sales.customers"])
    big = await upstream(client, admin_headers, ids["sales.big_orders"])  # a view of a view
    assert columns_from(big, ids["sales.order_details"]) == {("id", "id"), ("amount", "amount"), ("amount", "*")}
    assert ("amount", "*", "INDIRECT/FILTER", "sql") in typed_columns_from(big, ids["sales.order_details"])
    revenue = await upstream(client, admin_headers, ids["sales.revenue_by_customer"])  # materialized
    # sum(amount) AS total: amount -> total as an aggregation, not amount -> * (issue: before
    # the SQL was read, the catalog alone could only say "amount shapes the rows").
    assert typed_columns_from(revenue, ids["sales.orders"]) == {
        ("customer_id", "customer_id", "DIRECT/IDENTITY", "sql"), ("customer_id", "*", "INDIRECT/GROUP_BY", "sql"),
        ("amount", "total", "DIRECT/AGGREGATION", "sql"),
    }
    fx = await upstream(client, admin_headers, ids["sales.fx_rates"])
    assert columns_from(fx, ids["hidden.fx"]) == {("currency", "currency"), ("rate", "rate")}

    again = await discover(client, admin_headers, node["id"], {"exclude_schemas": ["hidden"]})
    assert again["summary"] == {
        "relations": 7, "created": 0, "updated": 0, "unchanged": 8, "retired": 0, "placeholders": 1,
        "edges_created": 0, "edges_updated": 0, "edges_unchanged": 5, "edges_retired": 0,
    }  # fmt: skip  (idempotent: nothing written)

    before_changes = datetime.now(timezone.utc)
    await asyncio.sleep(0.05)
    await execute(postgres_server, db, CHANGES)
    changed = await discover(client, admin_headers, node["id"], {"exclude_schemas": ["hidden"]})

    assert changed["status"] == "ok", changed
    summary = changed["summary"]
    # legacy_orders dropped; fx_rates dropped with hidden.fx, whose placeholder nothing reads now.
    assert (summary["retired"], summary["edges_updated"], summary["edges_retired"]) == (3, 1, 1)
    live = await assets_by_name(client, admin_headers, namespace)
    assert f"{db}.sales.legacy_orders" not in live and f"{db}.sales.fx_rates" not in live and f"{db}.hidden.fx" not in live
    everything = await assets_by_name(client, admin_headers, namespace, include_deleted="true")
    assert everything[f"{db}.sales.legacy_orders"]["deleted_at"] is not None
    assert [field["name"] for field in live[f"{db}.sales.big_orders"]["fields"]] == ["id", "amount", "name"]
    big_now = await upstream(client, admin_headers, ids["sales.big_orders"])
    assert columns_from(big_now, ids["sales.order_details"]) == {("id", "id"), ("amount", "amount"), ("name", "name"), ("amount", "*")}
    big_then = await upstream(client, admin_headers, ids["sales.big_orders"], as_of=before_changes.isoformat())
    assert columns_from(big_then, ids["sales.order_details"]) == {("id", "id"), ("amount", "amount"), ("amount", "*")}
    fx_then = await upstream(client, admin_headers, ids["sales.fx_rates"], as_of=before_changes.isoformat())
    assert {node_["id"] for node_ in fx_then["nodes"]} == {ids["sales.fx_rates"], ids["hidden.fx"]}
    fx_now = await upstream(client, admin_headers, ids["sales.fx_rates"])
    assert fx_now["edges"] == []

    checks = (await client.get(f"/api/nodes/{node['id']}/checks", headers=admin_headers)).json()
    assert [check["trigger"] for check in checks] == ["discovery"] * 3
    assert "3 retired" in checks[0]["message"]


async def test_include_patterns_limit_the_schemas_and_retire_nothing_outside_them(
    client: Client, admin_headers, postgres_server, source_database
) -> None:
    node = await create_node(client, admin_headers, "shop", "postgresql", source_database["config"])
    namespace = f"postgres://{postgres_server.host}:{postgres_server.port}"
    await discover(client, admin_headers, node["id"])  # default scope: every non-system schema

    narrowed = await discover(client, admin_headers, node["id"], {"include_schemas": ["hid*"]})

    assert narrowed["summary"]["relations"] == 1 and narrowed["summary"]["retired"] == 0
    names = set(await assets_by_name(client, admin_headers, namespace))
    assert f"{source_database['name']}.hidden.fx" in names and len(names) == 8
    assert not any(".pg_catalog." in name or ".information_schema." in name for name in names)


async def test_bad_credentials_give_the_test_connection_steps_and_change_nothing(
    client: Client, admin_headers, postgres_server, source_database
) -> None:
    config = source_database["config"] | {"password": "not-the-password"}
    node = await create_node(client, admin_headers, "shop", "postgresql", config)

    result = await discover(client, admin_headers, node["id"])

    assert result["status"] == "error" and result["summary"] is None
    assert failed_step(result)["name"] == "authenticate"
    assert "not-the-password" not in str(result)
    namespace = f"postgres://{postgres_server.host}:{postgres_server.port}"
    assert await assets_by_name(client, admin_headers, namespace, include_deleted="true") == {}
    stored = (await client.get(f"/api/nodes/{node['id']}", headers=admin_headers)).json()
    assert stored["status"] == "error"


async def test_viewers_cannot_discover_and_other_types_say_they_cannot(
    client: Client, admin_headers, viewer_headers, source_database
) -> None:
    node = await create_node(client, admin_headers, "shop", "postgresql", source_database["config"])
    api = await create_node(client, admin_headers, "web", "api", {"base_url": "http://127.0.0.1:9"})

    forbidden = await client.post(f"/api/nodes/{node['id']}/discover", headers=viewer_headers)
    unsupported = await client.post(f"/api/nodes/{api['id']}/discover", headers=admin_headers)
    bad_scope = await client.post(f"/api/nodes/{node['id']}/discover", json={"schemas": ["x"]}, headers=admin_headers)

    assert forbidden.status_code == 403
    assert unsupported.status_code == 400 and "discovery works for: postgresql" in unsupported.json()["detail"]
    assert bad_scope.status_code == 400


async def test_discovery_through_an_ssh_tunnel(client: Client, admin_headers, postgres_server, source_database, ssh_peer) -> None:
    tunnel = {"host": ssh_peer.host, "port": ssh_peer.port, "user": ssh_peer.user, "known_hosts": ssh_peer.known_hosts}
    config = source_database["config"] | {"ssh_tunnel": tunnel | {"password": ssh_peer.password}}
    node = await create_node(client, admin_headers, "shop", "postgresql", config)

    result = await discover(client, admin_headers, node["id"])

    assert result["status"] == "ok", result
    assert [step["name"] for step in result["steps"]][2:4] == ["SSH login", "SSH tunnel"]
    assert result["summary"]["created"] == 8
    namespace = f"postgres://{postgres_server.host}:{postgres_server.port}"  # the database's address, not the tunnel's
    assert f"{source_database['name']}.sales.orders" in await assets_by_name(client, admin_headers, namespace)


async def test_the_cli_discovers_a_node_by_name(client: Client, admin_headers, settings, postgres_server, source_database) -> None:
    await create_node(client, admin_headers, "shop", "postgresql", source_database["config"])
    env = {"DLV_DATABASE_URL": settings.database_url, "DLV_DATA_DIR": str(settings.data_dir), "DLV_SECRET_KEY": settings.secret_key}
    runner = CliRunner()

    # The CLI runs its own event loop, so it gets a worker thread of its own here.
    done = await asyncio.to_thread(runner.invoke, main, ["discover", "shop", "--exclude-schema", "hidden"], env=env)
    missing = await asyncio.to_thread(runner.invoke, main, ["discover", "nope"], env=env)

    assert done.exit_code == 0, done.output
    assert "Discovering shop" in done.output and "8 created" in done.output
    namespace = f"postgres://{postgres_server.host}:{postgres_server.port}"
    assert len(await assets_by_name(client, admin_headers, namespace)) == 8
    assert missing.exit_code == 1 and "No node named 'nope'" in missing.output


VIEWS_FROM_SQL = """
    CREATE SCHEMA sales;
    CREATE TABLE sales.orders (id bigint PRIMARY KEY, customer_id integer, amount numeric(10, 2), created_at timestamptz);
    CREATE VIEW sales.everything AS SELECT * FROM sales.orders;
    CREATE VIEW sales.ranked AS
        WITH recent AS (SELECT customer_id, amount, created_at FROM sales.everything WHERE created_at > now() - interval '30 days')
        SELECT customer_id, row_number() OVER (PARTITION BY customer_id ORDER BY created_at DESC) AS recency,
               CASE WHEN amount > 100 THEN 'big' ELSE 'small' END AS size
        FROM recent;
    CREATE TABLE sales.totals (customer_id integer, total numeric);
    CREATE FUNCTION sales.refresh_totals() RETURNS void LANGUAGE sql AS $$
        INSERT INTO sales.totals (customer_id, total) SELECT customer_id, sum(amount) FROM sales.orders GROUP BY customer_id
    $$;
    CREATE PROCEDURE sales.keep_big() LANGUAGE sql BEGIN ATOMIC
        INSERT INTO sales.totals (customer_id, total) SELECT o.customer_id, o.amount FROM sales.orders o WHERE o.amount > 100;
    END;
    CREATE FUNCTION sales.customer_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM sales.orders $$;
"""


async def test_view_sql_gives_column_lineage_through_stars_ctes_windows_and_cases(client: Client, admin_headers, postgres_server) -> None:
    name = f"shop_{secrets.token_hex(4)}"
    postgres_server.create_database(name)
    await execute(postgres_server, name, VIEWS_FROM_SQL)
    node = await create_node(client, admin_headers, "shop", "postgresql", postgres_config(postgres_server, database=name))
    assert (await discover(client, admin_headers, node["id"]))["status"] == "ok"
    assets = await assets_by_name(client, admin_headers, f"postgres://{postgres_server.host}:{postgres_server.port}")
    ids = {full.split(".", 1)[1]: asset["id"] for full, asset in assets.items()}

    everything = await upstream(client, admin_headers, ids["sales.everything"])  # SELECT * (PostgreSQL expands it)
    assert {(s, t, kind) for s, t, kind, _ in typed_columns_from(everything, ids["sales.orders"])} == {
        (column, column, "DIRECT/IDENTITY") for column in ("id", "customer_id", "amount", "created_at")
    }
    ranked = await upstream(client, admin_headers, ids["sales.ranked"])  # a view of a view, through a CTE
    assert typed_columns_from(ranked, ids["sales.everything"]) >= {
        ("customer_id", "customer_id", "DIRECT/IDENTITY", "sql"),
        ("customer_id", "recency", "INDIRECT/WINDOW", "sql"),
        ("created_at", "recency", "INDIRECT/WINDOW", "sql"),
        ("amount", "size", "INDIRECT/CONDITIONAL", "sql"),
        ("created_at", "*", "INDIRECT/FILTER", "sql"),
    }
    # SQL-language routines that write a table: a function's text body and a procedure's
    # BEGIN ATOMIC one, both into sales.totals (a function that only returns rows adds nothing).
    totals = await upstream(client, admin_headers, ids["sales.totals"])
    assert typed_columns_from(totals, ids["sales.orders"]) == {
        ("customer_id", "customer_id", "DIRECT/IDENTITY", "sql"), ("customer_id", "*", "INDIRECT/GROUP_BY", "sql"),
        ("amount", "total", "DIRECT/AGGREGATION", "sql"), ("amount", "total", "DIRECT/IDENTITY", "sql"),
        ("amount", "*", "INDIRECT/FILTER", "sql"),
    }
