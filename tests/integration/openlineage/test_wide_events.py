"""An event naming thousands of datasets (a Spark job reading a partitioned lake, a dbt
project's manifest) is one statement's worth of parameters too many for asyncpg (32,767)
if written naively: it must be stored and read back like any other."""

from __future__ import annotations

from tests.integration.openlineage.conftest import post, row_counts, run_event

INPUTS = 4600


async def test_an_event_with_thousands_of_inputs_is_stored_and_read_back(client, session_factory, ingest_headers, reader_headers) -> None:
    inputs = [f"lake.part_{index:05d}" for index in range(INPUTS)]
    start = run_event("wide_job", "wide-run-1", "START", "2024-06-01T10:00:00Z", inputs=inputs, outputs=["mart.wide"])
    complete = run_event("wide_job", "wide-run-1", "COMPLETE", "2024-06-01T10:05:00Z", inputs=inputs, outputs=["mart.wide"])

    first = await post(client, ingest_headers, start)
    second = await post(client, ingest_headers, complete)

    assert (first.status_code, second.status_code) == (201, 201), (first.text[:300], second.text[:300])
    counts = await row_counts(session_factory)
    assert (counts["assets"], counts["processes"], counts["edges"], counts["runs"]) == (INPUTS + 1, 1, INPUTS + 1, 1)
    graph = await client.get(
        "/api/lineage/graph",
        params={"type": "process", "namespace": "spark://jobs", "name": "wide_job", "direction": "both", "depth": 1},
        headers=reader_headers,
    )
    assert graph.status_code == 200, graph.text[:300]
    body = graph.json()
    assert len(body["nodes"]) == INPUTS + 2 and len(body["edges"]) == INPUTS + 1 and not body["truncated"]
    listed = await client.get("/api/lineage/assets", params={"namespace": "postgres://db:5432", "pageSize": 1}, headers=reader_headers)
    assert listed.status_code == 200 and listed.json()["total"] == INPUTS + 1
    logged = await client.get("/api/v1/events/lineage", params={"run_id": "wide-run-1"}, headers=reader_headers)
    assert logged.status_code == 200 and [len(item["event"]["inputs"]) for item in logged.json()["items"]] == [INPUTS, INPUTS]
