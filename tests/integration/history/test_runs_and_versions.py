"""Runs and dataset versions as a Marquez user reads them: every run of a job with its state,
times, nominal times, parent and facets as received, what it read and wrote with the version
of each; and every version of a dataset with its schema, row counts and schema changes."""

from __future__ import annotations

import copy

from tests.integration.openlineage.conftest import fixture_events, post, run_event

SPARK_RUN = "0192963f-f6f8-71c0-8380-500bc70883ee"
T = "2024-06-01T{}:00Z"


def spark_events() -> list[dict]:
    """A real Dataproc Spark run: RUNNING with output statistics, then COMPLETE."""
    return [*fixture_events("spark_dataproc_bigquery_to_file_running_output_statistics.json"),
            *fixture_events("spark_dataproc_bigquery_to_file_column_lineage_complete.json")]


async def get(client, headers, path: str, **params):
    response = await client.get(path, params=params, headers=headers)
    return response.status_code, response.json()


async def process_id(client, headers, name: str) -> str:
    _, listing = await get(client, headers, "/api/lineage/processes", searchString=name)
    return listing["items"][0]["id"]


async def test_a_run_keeps_every_facet_its_events_sent_whatever_their_order(client, ingest_headers, reader_headers) -> None:
    for event in reversed(spark_events()):  # COMPLETE first
        assert (await post(client, ingest_headers, event)).status_code == 201

    status, run = await get(client, reader_headers, f"/api/lineage/runs/{SPARK_RUN}")

    assert status == 200, run
    assert run["state"] == "COMPLETE" and run["duration_ms"] is not None and run["duration_ms"] >= 0
    assert {"parent", "spark_properties", "processing_engine", "gcp_dataproc_spark"} <= set(run["run_facets"])
    assert run["run_facets"]["processing_engine"]["name"] == "spark"
    assert {"jobType", "gcp_lineage"} <= set(run["job_facets"]) and run["parent_run_id"]
    assert [item["name"] for item in run["inputs"]] == ["bigquery-public-data.samples.shakespeare"]
    (output,) = run["outputs"]
    # The COMPLETE event's statistics (1 row, 9 bytes) win over the RUNNING one's, sent after it.
    assert output["facets"]["outputStatistics"]["rowCount"] == 1 and output["version"].startswith("sha256:")
    assert run["event_count"] == 2

    status, versions = await get(client, reader_headers, f"/api/lineage/assets/{output['asset_id']}/versions")
    assert status == 200 and versions["total"] == 1
    (version,) = versions["items"]
    assert version["run_id"] == SPARK_RUN and version["version"] == output["version"]
    assert version["row_count"] == 1 and version["byte_count"] == 9 and version["fields"]


async def test_a_process_lists_its_runs_newest_first_with_nominal_times_parent_and_error(client, ingest_headers, reader_headers) -> None:
    parent = {"job": {"namespace": "airflow", "name": "nightly"}, "run": {"runId": "dag-run-7"}}
    for number, (state, error) in enumerate([("COMPLETE", None), ("FAIL", "disk full"), ("COMPLETE", None)]):
        facets = {"parent": parent, "nominalTime": {"nominalStartTime": T.format(f"0{number}:00"), "nominalEndTime": T.format(f"0{number}:30")}}
        if error:
            facets["errorMessage"] = {"message": error, "programmingLanguage": "python"}
        for event_type, minute in (("START", 0), (state, 10 + number)):
            event = run_event("load", f"run-{number}", event_type, T.format(f"0{number}:{minute:02d}"), outputs=["totals"])
            event["run"]["facets"] = facets
            assert (await post(client, ingest_headers, event)).status_code == 201
    load = await process_id(client, reader_headers, "load")

    status, page = await get(client, reader_headers, f"/api/lineage/processes/{load}/runs", limit=2)

    assert status == 200 and page["total"] == 3 and page["limit"] == 2
    assert [run["run_id"] for run in page["items"]] == ["run-2", "run-1"]
    failed = page["items"][1]
    assert failed["state"] == "FAIL" and failed["error_message"] == "disk full" and failed["duration_ms"] == 11 * 60_000
    assert failed["nominal_start_time"] == T.format("01:00") and failed["parent_run_id"] == "dag-run-7"
    assert failed["parent_job"] == {"namespace": "airflow", "name": "nightly"}
    _, rest = await get(client, reader_headers, f"/api/lineage/processes/{load}/runs", limit=2, offset=2)
    assert [run["run_id"] for run in rest["items"]] == ["run-0"]


async def test_each_run_that_writes_an_asset_makes_a_version_and_the_schema_diff_names_the_change(client, ingest_headers, reader_headers) -> None:
    def writes(run_id: str, minute: int, fields: list[dict], version: str | None = None) -> dict:
        facets = {"schema": {"fields": fields}}
        if version:
            facets["version"] = {"datasetVersion": version}
        output = {"namespace": "postgres://db:5432", "name": "totals", "facets": facets, "outputFacets": {"outputStatistics": {"rowCount": minute}}}
        return run_event("load", run_id, "COMPLETE", T.format(f"10:{minute:02d}"), inputs=["orders"], outputs=[output])

    first = [{"name": "id", "type": "int"}, {"name": "amount", "type": "int"}, {"name": "note", "type": "text"}]
    second = [{"name": "id", "type": "int"}, {"name": "amount", "type": "numeric"}, {"name": "region", "type": "text"}]
    for event in (writes("v1", 1, first, version="2024-06-01.1"), writes("v2", 2, second)):
        assert (await post(client, ingest_headers, event)).status_code == 201
    # A later run reads totals: the version it read is the newest one written before it started.
    reader = run_event("report", "r1", "COMPLETE", T.format("10:05"), inputs=["totals"], outputs=["report"])
    assert (await post(client, ingest_headers, reader)).status_code == 201
    _, assets = await get(client, reader_headers, "/api/lineage/assets", searchString="totals")
    totals = assets["items"][0]["id"]

    _, versions = await get(client, reader_headers, f"/api/lineage/assets/{totals}/versions")
    status, diff = await get(client, reader_headers, f"/api/lineage/assets/{totals}/versions/diff")
    _, read = await get(client, reader_headers, "/api/lineage/runs/r1")

    assert [v["run_id"] for v in versions["items"]] == ["v2", "v1"] and versions["items"][1]["version"] == "2024-06-01.1"
    assert [v["row_count"] for v in versions["items"]] == [2, 1]
    assert status == 200
    assert [f["name"] for f in diff["added"]] == ["region"] and [f["name"] for f in diff["removed"]] == ["note"]
    assert diff["type_changed"] == [{"name": "amount", "from_type": "int", "to_type": "numeric"}]
    assert read["inputs"][0]["version"] == versions["items"][0]["version"]
    _, explicit = await get(client, reader_headers, f"/api/lineage/assets/{totals}/versions/diff", from_run_id="v2", to_run_id="v1")
    assert [f["name"] for f in explicit["added"]] == ["note"]


async def test_unknown_runs_processes_and_assets_are_404s_and_bad_pages_400s(client, ingest_headers, reader_headers) -> None:
    assert (await post(client, ingest_headers, copy.deepcopy(spark_events()[0]))).status_code == 201
    unknown = "00000000-0000-0000-0000-000000000000"
    for path in (f"/api/lineage/runs/{unknown}", f"/api/lineage/processes/{unknown}/runs", f"/api/lineage/assets/{unknown}/versions"):
        status, body = await get(client, reader_headers, path)
        assert status == 404 and body["errors"][0]["field"], body
    spark = await process_id(client, reader_headers, "shakespeare_on_spark")
    status, body = await get(client, reader_headers, f"/api/lineage/processes/{spark}/runs", limit=0)
    assert status == 400 and body["errors"][0]["field"] == "limit"
    _, assets = await get(client, reader_headers, "/api/lineage/assets", searchString="outputs")
    status, body = await get(client, reader_headers, f"/api/lineage/assets/{assets['items'][0]['id']}/versions/diff")
    assert status == 400 and "fewer than two versions" in body["detail"]
    status, body = await get(client, reader_headers, f"/api/lineage/assets/{assets['items'][0]['id']}/versions/diff", to_run_id="nope")
    assert status == 404 and body["errors"][0]["field"] == "to_run_id"


async def test_the_graph_of_one_run_is_what_it_read_and_wrote(client, ingest_headers, reader_headers) -> None:
    # Run 1 reads orders; run 2 of the same job reads customers instead: each run's graph is its own.
    for run_id, source, minute in (("g1", "orders", 1), ("g2", "customers", 2)):
        event = run_event("load", run_id, "COMPLETE", T.format(f"11:{minute:02d}"), inputs=[source], outputs=["totals"])
        assert (await post(client, ingest_headers, event)).status_code == 201

    status, first = await get(client, reader_headers, "/api/lineage/graph", run_id="g1")
    _, second = await get(client, reader_headers, "/api/lineage/graph", run_id="g2")
    missing, body = await get(client, reader_headers, "/api/lineage/graph", run_id="nope")

    assert status == 200
    assert {node["name"] for node in first["nodes"]} == {"load", "orders", "totals"}
    assert {node["name"] for node in second["nodes"]} == {"load", "customers", "totals"}
    names = {node["id"]: node["name"] for node in first["nodes"]}
    assert {(names[e["source_id"]], names[e["target_id"]]) for e in first["edges"]} == {("orders", "load"), ("load", "totals")}
    assert missing == 404 and body["errors"][0]["field"] == "run_id"
