"""Which kind an event is: its schemaURL decides first, as Marquez does, then its keys."""

from __future__ import annotations

import copy

import pytest

from tests.integration.openlineage.conftest import fixture_events, post

JOB_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent"


@pytest.mark.parametrize("schema_url", [JOB_EVENT_SCHEMA, "https://openlineage.io/spec/1-0-5/OpenLineage.json#/definitions/JobEvent"])
async def test_a_job_event_that_also_carries_an_event_type_is_taken_as_a_job_event(client, ingest_headers, reader_headers, schema_url) -> None:
    # The official client's JobEvent, with the eventType key Marquez's own test fixture sends.
    event = copy.deepcopy(fixture_events("client_job_event.json")[0])
    event.update(schemaURL=schema_url, eventType="COMPLETE")
    assert "run" not in event

    response = await post(client, ingest_headers, event)

    assert response.status_code == 201, response.text
    graph = await client.get("/api/lineage/graph", headers=reader_headers, params={
        "type": "process", "namespace": event["job"]["namespace"], "name": event["job"]["name"], "direction": "both", "depth": 1,
    })
    assert graph.status_code == 200, graph.text
    assert {node["name"] for node in graph.json()["nodes"]} == {"name", "dataset_a", "dataset_b"}


async def test_an_event_whose_schema_url_names_no_kind_is_told_apart_by_its_keys(client, ingest_headers) -> None:
    event = copy.deepcopy(fixture_events("client_job_event.json")[0])
    event.update(schemaURL="https://example.com/not-openlineage.json", eventType="COMPLETE")

    response = await post(client, ingest_headers, event)

    # Without a schema naming the kind, eventType makes it a RunEvent, which needs its run.
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "$.run"
