"""Jobs that send only their SQL: DLV reads the ``sql`` job facet for what the event leaves
out (inputs, outputs, column lineage), marks it ``origin: "sql"``, and never replaces what
the event states."""

from __future__ import annotations

from typing import Any

from tests.integration.openlineage.conftest import post, run_event

NS = "postgres://db:5432"
SQL = (
    "INSERT INTO shop.public.customer_totals (customer_id, total) "
    "SELECT o.customer_id, sum(o.amount) FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY o.customer_id"
)


def sql_event(run_id: str, sql: str = SQL, namespace: str = "airflow", **kwargs: Any) -> dict[str, Any]:
    event = run_event("load_totals", run_id, "COMPLETE", "2024-05-01T12:00:00Z", namespace=namespace, **kwargs)
    event["job"]["facets"] = {"sql": {"_producer": "https://example.com", "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json", "query": sql, "dialect": "postgres"}}
    return event


async def upstream(client, headers, namespace: str, name: str) -> dict[str, Any]:
    response = await client.get("/api/lineage/graph", headers=headers, params={
        "type": "asset", "namespace": namespace, "name": name, "direction": "upstream", "depth": 2, "columns": "true",
    })
    assert response.status_code == 200, response.text
    return response.json()


def mappings(graph: dict[str, Any]) -> set[tuple[str, str, str, str | None, str | None]]:
    names = {node["id"]: node["name"] for node in graph["nodes"]}
    return {
        (names.get(column.get("source_asset_id"), ""), column["source_field"], column["target_field"], column.get("transformation"), column.get("origin"))
        for edge in graph["edges"] for column in edge.get("columns") or []
    }


async def test_an_event_with_only_its_output_gets_inputs_and_columns_from_its_sql(client, ingest_headers, reader_headers) -> None:
    event = sql_event("11111111-1111-4111-8111-111111111111", outputs=["shop.public.customer_totals"])
    assert (await post(client, ingest_headers, event)).status_code == 201
    graph = await upstream(client, reader_headers, NS, "shop.public.customer_totals")
    # Unqualified names take the output's database and schema, in its namespace.
    assert {n["name"] for n in graph["nodes"] if n["type"] == "asset"} == {
        "shop.public.customer_totals", "shop.public.orders", "shop.public.customers"
    }
    found = mappings(graph)
    assert ("shop.public.orders", "amount", "total", "DIRECT/AGGREGATION", "sql") in found
    assert ("shop.public.orders", "customer_id", "customer_id", "DIRECT/IDENTITY", "sql") in found
    assert ("shop.public.customers", "id", "*", "INDIRECT/JOIN", "sql") in found
    # The raw event is stored as received: nothing derived is written into it.
    log = (await client.get("/api/v1/events/lineage", headers=reader_headers)).json()
    assert log["items"][0]["event"]["inputs"] == []


async def test_an_event_with_nothing_but_sql_gets_inputs_and_outputs_in_its_data_source_namespace(client, ingest_headers, reader_headers) -> None:
    sql = "CREATE TABLE mart.daily AS SELECT d, count(*) AS n FROM raw.visits GROUP BY d"
    event = sql_event("22222222-2222-4222-8222-222222222222", sql=sql, namespace="postgres://warehouse:5432")
    assert (await post(client, ingest_headers, event)).status_code == 201
    graph = await upstream(client, reader_headers, "postgres://warehouse:5432", "mart.daily")
    assert {n["name"] for n in graph["nodes"]} == {"mart.daily", "raw.visits", "load_totals"}
    assert ("raw.visits", "d", "d", "DIRECT/IDENTITY", "sql") in mappings(graph)


async def test_an_event_naming_no_dataset_in_a_scheduler_namespace_derives_nothing(client, ingest_headers, reader_headers) -> None:
    """A COMPLETE that does not repeat its START's datasets: its SQL's tables would be guesses."""
    event = sql_event("55555555-5555-4555-8555-555555555555", namespace="airflow")
    assert (await post(client, ingest_headers, event)).status_code == 201
    response = await client.get("/api/lineage/assets", headers=reader_headers)
    assert response.json()["items"] == []


async def test_what_the_event_states_is_never_overridden(client, ingest_headers, reader_headers) -> None:
    stated = {"fields": {"total": {"inputFields": [{"namespace": NS, "name": "shop.public.ledger", "field": "credit",
                                                     "transformations": [{"type": "DIRECT", "subtype": "TRANSFORMATION"}]}]}}}
    event = sql_event(
        "33333333-3333-4333-8333-333333333333",
        inputs=["shop.public.ledger"],
        outputs=[{"namespace": NS, "name": "shop.public.customer_totals", "facets": {"columnLineage": stated}}],
    )
    assert (await post(client, ingest_headers, event)).status_code == 201
    graph = await upstream(client, reader_headers, NS, "shop.public.customer_totals")
    assert {n["name"] for n in graph["nodes"] if n["type"] == "asset"} == {"shop.public.customer_totals", "shop.public.ledger"}
    assert mappings(graph) == {("shop.public.ledger", "credit", "total", "DIRECT/TRANSFORMATION", None)}


async def test_sql_that_does_not_parse_stores_the_event_with_what_it_states(client, ingest_headers, reader_headers) -> None:
    event = sql_event("44444444-4444-4444-8444-444444444444", sql="INSERT INTO ((( this is not SQL", outputs=["shop.public.broken"])
    assert (await post(client, ingest_headers, event)).status_code == 201
    graph = await upstream(client, reader_headers, NS, "shop.public.broken")
    assert {n["name"] for n in graph["nodes"]} == {"shop.public.broken", "load_totals"}
    assert mappings(graph) == set()


async def test_a_query_exported_to_files_does_not_name_tables_in_the_bucket(client, ingest_headers, reader_headers) -> None:
    """Airflow's BigQuery-to-GCS export: the SQL ran in BigQuery, not in the bucket it wrote to."""
    event = sql_event("66666666-6666-4666-8666-666666666666", sql="SELECT id, name FROM shop.customers", outputs=[{"namespace": "gs://exports", "name": "customers.csv"}])
    assert (await post(client, ingest_headers, event)).status_code == 201
    response = await client.get("/api/lineage/assets", headers=reader_headers)
    assert {item["name"] for item in response.json()["items"]} == {"customers.csv"}
