"""Whatever an ingest token gets stored, every reader can read back: events at the edges of
what is accepted (the longest names, owners longer than the column, nested schema fields whose
dotted path outgrows a column name, a long dataset type) answer 201, and then every list and
graph that shows them answers 200."""

from __future__ import annotations

from tests.integration.openlineage.conftest import post, run_event

LONGEST = "f" * 1000


def edge_of_what_is_accepted() -> dict:
    nested = {"name": "s" * 600, "type": "struct", "fields": [{"name": "t" * 600, "type": "int"}]}
    output = {"namespace": "postgres://db:5432", "name": "n" * 1000, "facets": {
        "schema": {"fields": [{"name": LONGEST, "type": "x" * 2000, "description": "d" * 5000}, nested]},
        "columnLineage": {"fields": {LONGEST: {"inputFields": [{"namespace": "postgres://db:5432", "name": "orders", "field": LONGEST,
                                                                "transformations": [{"type": "T" * 300, "subtype": "S" * 300}]}]}}},
        "ownership": {"owners": [{"name": "team:" + "o" * 300}]},
        "datasetType": {"datasetType": "A Very Long Dataset Type " * 10},
        "symlinks": {"identifiers": [{"namespace": "hive://metastore", "name": "db.totals", "type": "T" * 50}]},
    }}
    event = run_event("j" * 1000, "r" * 100, "COMPLETE", "2024-06-01T10:00:00Z", inputs=["orders"], outputs=[output], namespace="n" * 500)
    event["job"]["facets"]["ownership"] = {"owners": [{"name": "o" * 400}]}
    return event


async def test_an_event_at_the_edges_of_what_is_accepted_is_readable_everywhere(client, ingest_headers, reader_headers) -> None:
    assert (await post(client, ingest_headers, edge_of_what_is_accepted())).status_code == 201

    assets = await client.get("/api/lineage/assets", params={"pageSize": 100}, headers=reader_headers)
    processes = await client.get("/api/lineage/processes", params={"pageSize": 100}, headers=reader_headers)
    edges = await client.get("/api/lineage/edges", headers=reader_headers)
    search = await client.get("/api/search", params={"q": "nnnn"}, headers=reader_headers)
    events = await client.get("/api/v1/events/lineage", headers=reader_headers)
    for response in (assets, processes, edges, search, events):
        assert response.status_code == 200, response.text
    written = next(item for item in assets.json()["items"] if item["name"] == "n" * 1000)
    # The nested field's dotted path (1,201 characters) does not fit a column name: left out.
    assert [field["name"] for field in written["fields"]] == [LONGEST, "s" * 600]
    assert len(written["owner"]) <= 200 and len(written["kind"]) <= 50
    one = await client.get(f"/api/lineage/assets/{written['id']}", headers=reader_headers)
    graph = await client.get("/api/lineage/graph", headers=reader_headers, params={
        "node_id": written["id"], "direction": "upstream", "depth": 3, "columns": True})
    traced = await client.get("/api/lineage/graph", headers=reader_headers, params={
        "node_id": written["id"], "direction": "upstream", "depth": 3, "field": LONGEST})
    impact = await client.get("/api/lineage/impact", headers=reader_headers, params={"node_id": written["id"]})
    for response in (one, graph, traced, impact):
        assert response.status_code == 200, response.text
    assert {node["name"] for node in traced.json()["nodes"]} == {"n" * 1000, "j" * 1000, "orders"}
