"""Following one column through jobs, from real OpenLineage column-lineage events: Spark's
CTAS event (OpenLineage's own integration test) makes tbl1 from two sources, and a second job
shaped like it aggregates tbl1.agg into tbl2.total. A user asking where tbl2.total comes from
must reach the source columns two jobs upstream, and every edge in the answer joins two nodes
of the answer."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from tests.integration.openlineage.conftest import fixture_events, post

SOURCE_1, SOURCE_2, TBL1, TBL2 = "/tmp/cll_test/cll_source1", "/tmp/cll_test/cll_source2", "/tmp/cll_test/tbl1", "/tmp/cll_test/tbl2"
# Spark declares each file's table name as a symlink: the assets carry those names, the paths
# are their aliases (and still find them).
TABLE_NAMES = {SOURCE_1: "default.cll_source1", SOURCE_2: "default.cll_source2", TBL1: "default.tbl1", TBL2: TBL2}


def second_job(first: dict[str, Any]) -> dict[str, Any]:
    """The first job's event with its output as the only input, writing tbl2.total from tbl1.agg."""
    event = copy.deepcopy(first)
    event["run"]["runId"] = str(uuid.uuid4())
    event["job"]["name"] = "aggregate_tbl1_into_tbl2"
    produced = event["outputs"][0]
    event["inputs"] = [{"namespace": produced["namespace"], "name": TBL1, "facets": {"schema": produced["facets"]["schema"]}}]
    lineage = copy.deepcopy(produced["facets"]["columnLineage"])
    lineage["fields"] = {
        "total": {"inputFields": [{"namespace": "file", "name": TBL1, "field": "agg",
                                   "transformations": [{"type": "DIRECT", "subtype": "AGGREGATION", "description": "", "masking": False}]}]}
    }
    schema = copy.deepcopy(produced["facets"]["schema"])
    schema["fields"] = [{"name": "total", "type": "long"}]
    event["outputs"] = [{"namespace": "file", "name": TBL2, "facets": {"schema": schema, "columnLineage": lineage}}]
    return event


async def trace(client, headers, name: str, field: str, direction: str) -> dict[str, Any]:
    response = await client.get("/api/lineage/graph", headers=headers, params={
        "type": "asset", "namespace": "file", "name": name, "direction": direction, "depth": 6, "field": field,
    })
    assert response.status_code == 200, response.text
    return response.json()


def fields_by_name(graph: dict[str, Any]) -> dict[str, set[str]]:
    by_table_name = {table: path for path, table in TABLE_NAMES.items()}
    return {by_table_name[node["name"]]: set(node["fields"]) for node in graph["nodes"] if node["type"] == "asset"}


def assert_no_dangling_edges(graph: dict[str, Any]) -> None:
    ids = {node["id"] for node in graph["nodes"]}
    assert all(edge["source_id"] in ids and edge["target_id"] in ids for edge in graph["edges"])


async def test_a_column_traced_upstream_through_two_jobs_reaches_its_source_columns(client, ingest_headers, reader_headers) -> None:
    first = fixture_events("spark_column_lineage_complete.json")[0]
    for event in (first, second_job(first)):
        assert (await post(client, ingest_headers, event)).status_code == 201

    graph = await trace(client, reader_headers, TBL2, "total", "upstream")

    assert fields_by_name(graph) == {TBL2: {"total"}, TBL1: {"agg"}, SOURCE_1: {"a", "b"}, SOURCE_2: {"a", "c"}}
    assert {node["name"] for node in graph["nodes"] if node["type"] == "process"} == {first["job"]["name"], "aggregate_tbl1_into_tbl2"}
    assert_no_dangling_edges(graph)
    mapped = {(m["source_field"], m["target_field"]) for edge in graph["edges"] for m in edge["columns"] or []}
    assert ("agg", "total") in mapped and ("c", "agg") in mapped and ("ident", "total") not in mapped


async def test_a_column_traced_downstream_follows_only_what_it_feeds(client, ingest_headers, reader_headers) -> None:
    first = fixture_events("spark_column_lineage_complete.json")[0]
    for event in (first, second_job(first)):
        assert (await post(client, ingest_headers, event)).status_code == 201

    graph = await trace(client, reader_headers, SOURCE_2, "c", "downstream")

    # source2.c feeds only tbl1.agg (an aggregation), which feeds tbl2.total; source1 is not downstream.
    assert fields_by_name(graph) == {SOURCE_2: {"c"}, TBL1: {"agg"}, TBL2: {"total"}}
    assert_no_dangling_edges(graph)
