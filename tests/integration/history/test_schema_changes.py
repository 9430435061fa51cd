"""Schema changes in impact analysis: a column dropped or retyped upstream is named as a root
cause of what reads it, with the run that changed it; a run that reports no schema is not a
change, and a schema that only grew breaks nothing."""

from __future__ import annotations

from tests.integration.history.test_quality import asset
from tests.integration.openlineage.conftest import post, run_event

T = "2024-06-01T10:{:02d}:00Z"


def load(run_id: str, minute: int, columns: dict[str, str] | None) -> dict:
    orders = {"namespace": "postgres://db:5432", "name": "orders"}
    if columns is not None:
        orders["facets"] = {"schema": {"fields": [{"name": name, "type": kind} for name, kind in columns.items()]}}
    return run_event("load_orders", run_id, "COMPLETE", T.format(minute), inputs=["raw_orders"], outputs=[orders])


async def causes(client, headers, name: str) -> list[dict]:
    start = await asset(client, headers, name)
    response = await client.get("/api/lineage/impact", params={"node_id": start["id"]}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["root_causes"]


async def test_a_dropped_and_a_retyped_column_upstream_are_root_causes(client, ingest_headers, reader_headers) -> None:
    events = [
        load("r1", 10, {"id": "int", "amount": "int", "note": "text"}),
        load("r2", 20, None),  # reports no schema: not a change
        load("r3", 30, {"id": "int", "amount": "decimal", "region": "text"}),
        run_event("revenue", "r4", "COMPLETE", T.format(40), inputs=["orders"], outputs=["revenue"]),
    ]
    for event in reversed(events):  # arrival order does not matter
        assert (await post(client, ingest_headers, event)).status_code == 201

    found = [cause for cause in await causes(client, reader_headers, "revenue") if cause.get("columns")]

    assert len(found) == 1
    assert found[0]["name"] == "orders" and found[0]["distance"] == 2
    assert found[0]["columns"] == ["note", "amount"]
    assert "dropped note" in found[0]["reason"] and "changed amount from int to decimal" in found[0]["reason"]
    assert "r3" in found[0]["reason"]


async def test_a_schema_that_only_grew_is_no_root_cause(client, ingest_headers, reader_headers) -> None:
    for event in (load("r1", 10, {"id": "int"}), load("r2", 20, {"id": "int", "amount": "int"})):
        assert (await post(client, ingest_headers, event)).status_code == 201

    assert [cause for cause in await causes(client, reader_headers, "orders") if cause.get("columns")] == []
