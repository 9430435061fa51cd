"""A real dbt project (tests/fixtures/dbt_project, built with dbt-core and dbt-postgres on the
session's PostgreSQL) imported through the API and the CLI: models, sources, seeds and
snapshots become assets and processes named as dbt-ol names them, with column lineage from the
compiled SQL, health from run results and quality from test results; dbt-ol's own events for
the same models afterwards land on the same assets."""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from typing import Any

from click.testing import CliRunner
from openlineage_sql import parse as parse_sql

from dlv.cli import main
from tests.integration.openlineage.conftest import fixture_events, issue_token, post

SCHEMA = "analytics"
MODELS = ("stg_orders", "customer_totals", "customer_orders")


def request(dbt_target: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {key: dbt_target[key] for key in ("manifest", "run_results", "catalog", "namespace")}
    return {**body, **changes}


async def assets(client, headers, namespace: str) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/lineage/assets", params={"namespace": namespace, "pageSize": 100}, headers=headers)
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()["items"]}


async def processes(client, headers) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/lineage/processes", params={"namespace": "default", "pageSize": 100}, headers=headers)
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()["items"]}


async def upstream_columns(client, headers, namespace: str, name: str) -> set[tuple[str, str, str, str | None, str | None]]:
    response = await client.get("/api/lineage/graph", headers=headers, params={
        "type": "asset", "namespace": namespace, "name": name, "direction": "upstream", "depth": 2, "columns": "true",
    })
    assert response.status_code == 200, response.text
    graph = response.json()
    names = {node["id"]: node["name"] for node in graph["nodes"]}
    return {
        (names.get(c.get("source_asset_id"), ""), c["source_field"], c["target_field"], c.get("transformation"), c.get("origin"))
        for edge in graph["edges"] for c in edge.get("columns") or []
    }


async def test_a_dbt_project_imports_with_table_and_column_lineage_health_and_quality(client, admin_headers, dbt_target) -> None:
    response = await client.post("/api/import/dbt", json=request(dbt_target), headers=admin_headers)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["models"], summary["sources"], summary["seeds"], summary["snapshots"], summary["tests"]) == (3, 1, 1, 1, 4)

    db, namespace = dbt_target["database"], dbt_target["namespace"]
    found = await assets(client, admin_headers, namespace)
    assert set(found) == {
        f"{db}.raw.orders", f"{db}.{SCHEMA}.customers", f"{db}.snapshots.customers_snapshot",
        *(f"{db}.{SCHEMA}.{model}" for model in MODELS),
    }
    # catalog.json's columns and types; the manifest's descriptions.
    totals = found[f"{db}.{SCHEMA}.customer_totals"]
    assert {field["name"] for field in totals["fields"]} == {"customer_id", "total", "orders"}
    assert totals["description"] == "Revenue per customer."
    # The failing accepted_values test on total; the passing ones elsewhere.
    assert totals["quality"]["status"] == "failing" and totals["quality"]["failing"] == [{"assertion": "accepted_values", "column": "total"}]
    assert found[f"{db}.{SCHEMA}.stg_orders"]["quality"]["status"] == "passing"
    assert found[f"{db}.raw.orders"]["quality"]["status"] == "passing"

    jobs = await processes(client, admin_headers)
    assert {f"{db}.{SCHEMA}.shop.{model}" for model in MODELS} | {f"{db}.snapshots.shop.customers_snapshot.snapshot"} <= set(jobs)
    assert all(jobs[f"{db}.{SCHEMA}.shop.{model}"]["last_run_state"] == "COMPLETE" for model in MODELS)

    # Column lineage from the compiled SQL: an aggregation, a join, a filter, a rename.
    assert (f"{db}.{SCHEMA}.stg_orders", "amount", "total", "DIRECT/AGGREGATION", "sql") in await upstream_columns(
        client, admin_headers, namespace, f"{db}.{SCHEMA}.customer_totals"
    )
    joined = await upstream_columns(client, admin_headers, namespace, f"{db}.{SCHEMA}.customer_orders")
    assert (f"{db}.{SCHEMA}.customers", "name", "customer_name", "DIRECT/IDENTITY", "sql") in joined  # from the seed
    assert (f"{db}.{SCHEMA}.customers", "id", "*", "INDIRECT/JOIN", "sql") in joined
    staged = await upstream_columns(client, admin_headers, namespace, f"{db}.{SCHEMA}.stg_orders")
    assert (f"{db}.raw.orders", "id", "order_id", "DIRECT/IDENTITY", "sql") in staged
    assert (f"{db}.raw.orders", "status", "*", "INDIRECT/FILTER", "sql") in staged

    # The same artifacts again: nothing changes.
    again = await client.post("/api/import/dbt", json=request(dbt_target), headers=admin_headers)
    assert again.status_code == 200 and again.json()["unchanged"] == again.json()["events"]
    assert set(await assets(client, admin_headers, namespace)) == set(found)


def dbt_ol_events(dbt_target: dict[str, Any], model: str) -> list[dict[str, Any]]:
    """What dbt-ol sends for one model run: the corpus's real dbt model events (openlineage-dbt
    1.34.0) with this project's names, SQL and columns, named as its processor names them."""
    manifest, db, namespace = dbt_target["manifest"], dbt_target["database"], dbt_target["namespace"]
    node = manifest["nodes"][f"model.shop.{model}"]
    run_id = str(uuid.uuid4())

    def dataset(unique_id: str) -> dict[str, Any]:
        item = manifest["nodes"].get(unique_id) or manifest["sources"][unique_id]
        return {"namespace": namespace, "name": f"{item['database']}.{item['schema']}.{item['name']}",
                "facets": {"dataSource": {"name": namespace, "uri": namespace}}}

    parsed = parse_sql([node["compiled_code"]])
    columns = {
        item.descendant.name: {"inputFields": [
            {"namespace": namespace, "name": ".".join(p for p in (meta.origin.database, meta.origin.schema, meta.origin.name) if p), "field": meta.name}
            for meta in item.lineage if meta.origin
        ]}
        for item in parsed.column_lineage
    }
    events = []
    for template in fixture_events("dbt_spark_adapter_run_events.jsonl")[1:3]:  # the model's START and COMPLETE
        event = copy.deepcopy(template)
        event["run"]["runId"] = run_id
        event["run"]["facets"]["parent"]["job"] = {"namespace": "default", "name": "dbt-run-shop"}
        event["job"]["namespace"], event["job"]["name"] = "default", f"{db}.{SCHEMA}.shop.{model}"
        event["job"]["facets"]["sql"]["query"] = node["compiled_code"]
        event["inputs"] = [dataset(uid) for uid in manifest["parent_map"][node["unique_id"]] if not uid.startswith("seed.")]
        output = dataset(node["unique_id"])
        output["facets"]["columnLineage"] = {"fields": columns}
        event["outputs"] = [output]
        events.append(event)
    return events


async def test_dbt_ol_events_after_an_import_land_on_the_same_assets(client, admin_headers, session_factory, dbt_target) -> None:
    assert (await client.post("/api/import/dbt", json=request(dbt_target), headers=admin_headers)).status_code == 200
    namespace = dbt_target["namespace"]
    before_assets, before_jobs = await assets(client, admin_headers, namespace), await processes(client, admin_headers)

    ingest = await issue_token(session_factory, "ingest")
    for model in MODELS:
        for event in dbt_ol_events(dbt_target, model):
            assert (await post(client, ingest, event)).status_code == 201

    after_assets, after_jobs = await assets(client, admin_headers, namespace), await processes(client, admin_headers)
    assert set(after_assets) == set(before_assets)  # zero duplicates: one asset per model, source, seed, snapshot
    assert {name: item["id"] for name, item in after_assets.items()} == {name: item["id"] for name, item in before_assets.items()}
    # The same model jobs; dbt-ol adds only its parent job for the whole invocation.
    assert set(after_jobs) - set(before_jobs) == {"dbt-run-shop"}


async def test_the_cli_imports_the_same_files(client, admin_headers, settings, dbt_target) -> None:
    target = dbt_target["dir"]
    env = {"DLV_DATABASE_URL": settings.database_url, "DLV_DATA_DIR": str(settings.data_dir), "DLV_SECRET_KEY": settings.secret_key}
    args = ["import", "dbt", "--manifest", str(target / "manifest.json"), "--catalog", str(target / "catalog.json"),
            "--namespace", dbt_target["namespace"]]
    done = await asyncio.to_thread(CliRunner().invoke, main, args, env=env)
    assert done.exit_code == 0, done.output
    assert "Imported 3 models, 1 sources, 1 seeds, 1 snapshots and 4 tests" in done.output
    found = await assets(client, admin_headers, dbt_target["namespace"])
    assert f"{dbt_target['database']}.{SCHEMA}.customer_totals" in found
    # Without run results: lineage, no runs (health unknown).
    jobs = await processes(client, admin_headers)
    assert jobs[f"{dbt_target['database']}.{SCHEMA}.shop.customer_totals"]["last_run_state"] is None


async def test_a_malformed_manifest_is_refused_naming_the_value_and_nothing_is_stored(client, admin_headers, dbt_target) -> None:
    manifest = copy.deepcopy(dbt_target["manifest"])
    manifest["nodes"]["model.shop.customer_totals"]["schema"] = 42
    response = await client.post("/api/import/dbt", json=request(dbt_target, manifest=manifest), headers=admin_headers)
    assert response.status_code == 400, response.text
    assert 'manifest.nodes["model.shop.customer_totals"].schema' in response.json()["detail"]
    missing = await client.post("/api/import/dbt", json=request(dbt_target, manifest={"nodes": {}}), headers=admin_headers)
    assert missing.status_code == 400 and "manifest.metadata" in missing.json()["detail"]
    assert await assets(client, admin_headers, dbt_target["namespace"]) == {}


async def test_viewers_cannot_import(client, viewer_headers, dbt_target) -> None:
    response = await client.post("/api/import/dbt", json=request(dbt_target), headers=viewer_headers)
    assert response.status_code == 403
