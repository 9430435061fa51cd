"""Data quality: the newest assertions a run reported on a dataset give its asset a quality
status, shown on the asset and in graphs, and a failing one is a root-cause candidate of
everything downstream."""

from __future__ import annotations

from tests.integration.openlineage.conftest import fixture_events, post, run_event

T = "2024-06-01T10:{:02d}:00Z"


def checked(run_id: str, minute: int, *results: bool) -> dict:
    orders = {"namespace": "postgres://db:5432", "name": "orders", "inputFacets": {"dataQualityAssertions": {"assertions": [
        {"assertion": "not_null", "success": result, "column": f"c{index}"} for index, result in enumerate(results)
    ]}}}
    return run_event("load", run_id, "COMPLETE", T.format(minute), inputs=[orders], outputs=["totals"])


async def asset(client, headers, name: str) -> dict:
    listing = (await client.get("/api/lineage/assets", params={"searchString": name}, headers=headers)).json()
    return next(item for item in listing["items"] if item["name"] == name)


async def test_marquez_demo_assertions_make_a_failing_asset_and_a_root_cause(client, ingest_headers, reader_headers) -> None:
    for event in fixture_events("marquez_demo_metadata.template.json"):
        assert (await post(client, ingest_headers, event)).status_code == 201
    listing = (await client.get("/api/lineage/assets", params={"pageSize": 200}, headers=reader_headers)).json()
    failing = [item for item in listing["items"] if (item["quality"] or {}).get("status") == "failing"]

    assert failing, "the demo reports a failing not_null on driver_id"
    broken = failing[0]
    assert {"assertion": "not_null", "column": "driver_id"} in broken["quality"]["failing"]
    downstream = (await client.get("/api/lineage/graph", params={"node_id": broken["id"], "direction": "downstream", "depth": 2},
                                   headers=reader_headers)).json()
    reached = next(node for node in downstream["nodes"] if node["type"] == "asset" and node["depth"] == 2)
    impact = (await client.get("/api/lineage/impact", params={"node_id": reached["id"]}, headers=reader_headers)).json()
    assert any(cause["id"] == broken["id"] and "quality" in cause["reason"] for cause in impact["root_causes"])
    start = next(node for node in downstream["nodes"] if node["id"] == broken["id"])
    assert start["quality"] == "failing"


async def test_the_newest_assertions_win_whatever_the_arrival_order(client, ingest_headers, reader_headers) -> None:
    for event in (checked("r2", 20, True, True), checked("r1", 10, True, False)):  # the older, failing run arrives last
        assert (await post(client, ingest_headers, event)).status_code == 201

    orders = await asset(client, reader_headers, "orders")

    assert orders["quality"] == {"status": "passing", "failing": [], "total": 2}
    assert (await post(client, ingest_headers, checked("r3", 30, False, True))).status_code == 201
    assert (await asset(client, reader_headers, "orders"))["quality"]["failing"] == [{"assertion": "not_null", "column": "c0"}]
