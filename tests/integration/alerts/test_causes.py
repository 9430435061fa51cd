"""Every condition fires from where it happens: schema changes and failing quality checks
from OpenLineage ingestion (the batch writer and the one-event mapper alike), node errors
from a check, staleness from the dispatcher's clock; and only for subjects in scope."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.integration.alerts.conftest import alerts, create, wait_for
from tests.integration.openlineage.conftest import run_event
from tests.services.peers import closed_port

DB = "postgres://db:5432"


def _with_schema(name: str, columns: dict[str, str]) -> dict:
    return {"namespace": DB, "name": name, "facets": {"schema": {"fields": [{"name": n, "type": t} for n, t in columns.items()]}}}


def _dataset_event(dataset: dict, time: str) -> dict:
    return {
        "eventTime": time, "producer": "https://example.com/test-producer", "dataset": dataset,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
    }  # fmt: skip


async def _post(client, headers, event) -> None:
    response = await client.post("/api/v1/lineage", json=event, headers=headers)
    assert response.status_code == 201, response.text


async def test_a_removed_or_retyped_column_fires_schema_changed_from_either_ingest_path(client, admin_headers) -> None:
    await create(client, admin_headers, "/api/alerts/rules", {"name": "schemas", "condition": {"kind": "schema_changed"}, "scope": {"namespaces": [DB]}})
    await _post(client, admin_headers, run_event("load", "a1111111-1111-4111-8111-111111111111", "COMPLETE", "2026-01-05T09:00:00Z",
                                                 outputs=[_with_schema("orders", {"id": "int", "total": "numeric", "note": "text"})]))  # fmt: skip
    # A column added is no alert.
    await _post(client, admin_headers, run_event("load", "a2222222-2222-4222-8222-222222222222", "COMPLETE", "2026-01-05T09:10:00Z",
                                                 outputs=[_with_schema("orders", {"id": "int", "total": "numeric", "note": "text", "x": "int"})]))  # fmt: skip
    assert await alerts(client, admin_headers) == []

    # A run event goes through the batch writer; a dataset event through the one-event mapper.
    await _post(client, admin_headers, run_event("load", "a3333333-3333-4333-8333-333333333333", "COMPLETE", "2026-01-05T09:20:00Z",
                                                 outputs=[_with_schema("orders", {"id": "bigint", "total": "numeric", "x": "int"})]))  # fmt: skip
    await _post(client, admin_headers, _dataset_event(_with_schema("orders", {"id": "bigint", "x": "int"}), "2026-01-05T09:30:00Z"))

    second, first = await alerts(client, admin_headers)
    assert first["kind"] == second["kind"] == "schema_changed" and first["subject_name"] == f"{DB}/orders"
    assert first["detail"] == {"removed": ["note"], "retyped": [{"name": "id", "before": "int", "after": "bigint"}]}
    assert second["detail"] == {"removed": ["total"], "retyped": []}
    assert "total removed" in second["message"]


async def test_a_failing_assertion_fires_quality_failed_once_per_new_result(client, admin_headers) -> None:
    await create(client, admin_headers, "/api/alerts/rules", {"name": "quality", "condition": {"kind": "quality_failed"}})

    def checked(run_id: str, minute: int, *results: bool) -> dict:
        orders = {"namespace": DB, "name": "orders", "inputFacets": {"dataQualityAssertions": {"assertions": [
            {"assertion": "not_null", "success": result, "column": f"c{index}"} for index, result in enumerate(results)
        ]}}}  # fmt: skip
        return run_event("check", run_id, "COMPLETE", f"2026-01-05T10:{minute:02d}:00Z", inputs=[orders])

    await _post(client, admin_headers, checked("b1111111-1111-4111-8111-111111111111", 1, True, True))
    await _post(client, admin_headers, checked("b2222222-2222-4222-8222-222222222222", 2, True, False))
    await _post(client, admin_headers, checked("b3333333-3333-4333-8333-333333333333", 3, True, False))  # the same result again

    [alert] = await alerts(client, admin_headers)
    assert alert["kind"] == "quality_failed" and alert["message"] == "1 of 2 quality assertions failing"
    assert alert["detail"]["failing"] == [{"assertion": "not_null", "column": "c1"}]


async def test_rules_fire_only_for_subjects_in_scope(client, admin_headers) -> None:
    await create(client, admin_headers, "/api/alerts/rules", {"name": "finance jobs", "condition": {"kind": "run_failed"}, "scope": {"tags": ["finance"]}})
    await _post(client, admin_headers, run_event("other", "c1111111-1111-4111-8111-111111111111", "FAIL", "2026-01-05T09:00:00Z"))
    await _post(client, admin_headers, run_event("billing", "c2222222-2222-4222-8222-222222222222", "START", "2026-01-05T09:00:00Z"))
    processes = (await client.get("/api/lineage/processes", headers=admin_headers)).json()["items"]
    billing = next(item for item in processes if item["name"] == "billing")
    assert (await client.patch(f"/api/lineage/processes/{billing['id']}", json={"tags": ["finance"]}, headers=admin_headers)).status_code == 200
    await _post(client, admin_headers, run_event("billing", "c2222222-2222-4222-8222-222222222222", "FAIL", "2026-01-05T09:05:00Z"))

    [alert] = await alerts(client, admin_headers)
    assert alert["subject_id"] == billing["id"] and alert["detail"]["run_id"] == "c2222222-2222-4222-8222-222222222222"


async def test_a_node_whose_check_fails_fires_node_error_once(client, admin_headers) -> None:
    await create(client, admin_headers, "/api/alerts/rules", {"name": "nodes", "condition": {"kind": "node_error"}})
    node = await create(client, admin_headers, "/api/nodes", {"name": "billing api", "type": "api", "config": {"base_url": f"http://127.0.0.1:{closed_port()}"}})

    for _ in range(2):  # still in error the second time: no new alert
        report = await client.post(f"/api/nodes/{node['id']}/test", headers=admin_headers)
        assert report.status_code == 200 and report.json()["status"] == "error"

    [alert] = await alerts(client, admin_headers)
    assert alert["kind"] == "node_error" and alert["subject_id"] == node["id"] and alert["subject_name"] == "billing api"
    assert alert["message"] == report.json()["message"]


async def test_an_asset_not_written_for_too_long_fires_freshness_once_per_stale_period(client, admin_headers) -> None:
    await _post(client, admin_headers, run_event("load", "d1111111-1111-4111-8111-111111111111", "COMPLETE", "2026-01-05T09:00:00Z", outputs=["orders", "fresh"]))
    assets = {item["name"]: item for item in (await client.get("/api/lineage/assets", headers=admin_headers)).json()["items"]}
    await create(client, admin_headers, "/api/alerts/rules", {
        "name": "orders daily", "condition": {"kind": "freshness", "max_age_seconds": 3600},
        "scope": {"asset_ids": [assets["orders"]["id"], assets["fresh"]["id"]]},
    })  # fmt: skip
    # orders was last written by the run above, dated long ago; fresh is written now.
    await _post(client, admin_headers, run_event("touch", "d2222222-2222-4222-8222-222222222222", "COMPLETE",
                                                 datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"), outputs=["fresh"]))  # fmt: skip
    found = await wait_for(lambda: alerts(client, admin_headers), 30, "a freshness alert")
    await wait_for(lambda: True, 1, "a few more dispatcher rounds")
    [alert] = await alerts(client, admin_headers)
    assert alert["kind"] == "freshness" and alert["subject_id"] == assets["orders"]["id"] == found[0]["subject_id"]
    assert "not written for" in alert["message"] and alert["detail"]["max_age_seconds"] == 3600
