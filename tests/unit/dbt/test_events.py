"""A dbt project's artifacts as dbt-ol's events: names, run states, idempotent run ids."""

from __future__ import annotations

from typing import Any

import pytest

from dlv.dbt import EventBuilder, load
from dlv.lib.exceptions import InvalidFields


def node(unique_id: str, kind: str, name: str, schema: str = "analytics", **extra: Any) -> dict[str, Any]:
    return {"unique_id": unique_id, "resource_type": kind, "name": name, "database": "shop", "schema": schema, **extra}


MANIFEST = {
    "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json", "adapter_type": "postgres", "invocation_id": "inv-1"},
    "nodes": {
        "model.p.orders": node("model.p.orders", "model", "orders", compiled_code="select id from shop.raw.orders"),
        "snapshot.p.snap": node("snapshot.p.snap", "snapshot", "snap", schema="snapshots", compiled_code="select * from shop.analytics.orders"),
        "test.p.not_null_orders_id": node("test.p.not_null_orders_id", "test", "not_null_orders_id",
                                          test_metadata={"name": "not_null", "kwargs": {"column_name": "id"}}),
    },
    "sources": {"source.p.raw.orders": node("source.p.raw.orders", "source", "orders", schema="raw")},
    "parent_map": {
        "model.p.orders": ["source.p.raw.orders"], "snapshot.p.snap": ["model.p.orders"],
        "test.p.not_null_orders_id": ["model.p.orders"], "source.p.raw.orders": [],
    },
}


def results(*items: tuple[str, str]) -> dict[str, Any]:
    return {"metadata": {"invocation_id": "inv-1"}, "results": [
        {"unique_id": uid, "status": status, "message": "relation does not exist" if status == "error" else None,
         "timing": [{"name": "execute", "started_at": "2024-05-01T12:00:00Z", "completed_at": "2024-05-01T12:00:05Z"}]}
        for uid, status in items
    ]}


def build(run_results: dict[str, Any] | None) -> list[dict[str, Any]]:
    return EventBuilder(load(MANIFEST, run_results), "postgres://db:5432", "default").events()


def test_names_are_dbt_ols() -> None:
    events = build(results(("model.p.orders", "success"), ("snapshot.p.snap", "success"), ("test.p.not_null_orders_id", "fail")))
    jobs = {event["job"]["name"] for event in events if "job" in event}
    assert jobs == {"shop.analytics.p.orders", "shop.snapshots.p.snap.snapshot", "shop.analytics.p.orders.test"}
    model = next(e for e in events if e.get("job", {}).get("name") == "shop.analytics.p.orders" and e["eventType"] == "COMPLETE")
    assert model["inputs"][0]["name"] == "shop.raw.orders" and model["outputs"][0]["name"] == "shop.analytics.orders"
    assert model["job"]["facets"]["sql"]["dialect"] == "postgres"
    test = next(e for e in events if e.get("job", {}).get("name") == "shop.analytics.p.orders.test")
    assert test["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"] == [{"assertion": "not_null", "success": False, "column": "id"}]


def test_run_states_and_idempotent_run_ids() -> None:
    failed = build(results(("model.p.orders", "error"), ("snapshot.p.snap", "skipped")))
    model = [e for e in failed if e.get("job", {}).get("name") == "shop.analytics.p.orders"]
    assert [e["eventType"] for e in model] == ["START", "FAIL"]
    assert model[1]["run"]["facets"]["errorMessage"]["message"] == "relation does not exist"
    snapshot = [e for e in failed if e.get("job", {}).get("name") == "shop.snapshots.p.snap.snapshot"]
    assert len(snapshot) == 1 and "eventType" not in snapshot[0]  # skipped: its lineage, no run
    again = build(results(("model.p.orders", "error"), ("snapshot.p.snap", "skipped")))
    assert [e.get("run") for e in again] == [e.get("run") for e in failed]


def test_without_run_results_every_model_is_lineage_only() -> None:
    events = build(None)
    assert all("eventType" not in e for e in events)
    assert sum(1 for e in events if "dataset" in e) == 1  # the source


@pytest.mark.parametrize(("document", "where"), [
    ({**MANIFEST, "nodes": {"model.p.x": {"unique_id": "model.p.x", "resource_type": "model"}}}, 'manifest.nodes["model.p.x"].name'),
    ({"nodes": {}}, "manifest.metadata"),
    ({**MANIFEST, "parent_map": []}, "manifest.parent_map"),
])
def test_malformed_manifests_name_the_value(document: dict[str, Any], where: str) -> None:
    with pytest.raises(InvalidFields) as refused:
        load(document)
    assert where in refused.value.detail
