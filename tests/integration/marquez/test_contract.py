"""The shapes the Marquez web UI reads, on SQLite and PostgreSQL: graph nodes {id, type, data,
inEdges, outEdges}, camelCase everywhere, Marquez's run states, UUID version ids; Marquez-like
404s, 401 without a token, 403 for a viewer's tag, 405 and a pointer for REST writes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote
from uuid import UUID, uuid4

from tests.integration.marquez.conftest import AIRFLOW_COLUMNS, CORPUS, DEMO, FAILED, load
from tests.integration.openlineage.conftest import fixture_events, issue_token, run_event

STATES = {"NEW", "RUNNING", "COMPLETED", "ABORTED", "FAILED"}
NODE_KEYS = {"id", "type", "data", "inEdges", "outEdges"}


def snake_keys(value: Any, path: str = "$") -> list[str]:
    """Keys with an underscore outside facets (which are OpenLineage's own, as sent)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if "_" in key:
                found.append(f"{path}.{key}")
            if key not in ("facets", "event"):
                found.extend(snake_keys(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(snake_keys(item, f"{path}[{index}]"))
    return found


def segment(name: str) -> str:
    return quote(name, safe="")


async def test_the_lineage_graph_has_the_shape_the_web_ui_reads(client, session_factory) -> None:
    await load(client, await issue_token(session_factory, "ingest"), DEMO)
    viewer = await issue_token(session_factory, "viewer")
    demo = fixture_events(DEMO)
    writer = next(event for event in demo if event["job"]["name"] == "etl_orders_7_days" and event.get("outputs"))

    response = await client.get("/api/v1/lineage", params={"nodeId": "job:food_delivery:etl_orders_7_days", "depth": 1}, headers=viewer)

    assert response.status_code == 200, response.text
    graph = response.json()["graph"]
    assert all(node.keys() == NODE_KEYS for node in graph)
    assert not snake_keys(graph)
    nodes = {node["id"]: node for node in graph}
    job = nodes["job:food_delivery:etl_orders_7_days"]
    assert job["type"] == "JOB" and job["data"]["latestRun"]["state"] == "COMPLETED"
    read = {f"dataset:{item['namespace']}:{item['name']}" for item in writer["inputs"]}
    written = {f"dataset:{item['namespace']}:{item['name']}" for item in writer["outputs"]}
    assert {edge["origin"] for edge in job["inEdges"]} >= read
    assert {edge["destination"] for edge in job["outEdges"]} == written
    for dataset_id in read | written:
        assert nodes[dataset_id]["type"] == "DATASET" and nodes[dataset_id]["data"]["id"]["name"] == dataset_id.split(":", 2)[2]
    for edge in job["outEdges"]:
        assert edge in nodes[edge["destination"]]["inEdges"]


async def test_lineage_as_of_a_past_moment_leaves_out_what_came_later(client, session_factory) -> None:
    ingest, viewer = await issue_token(session_factory, "ingest"), await issue_token(session_factory, "viewer")
    first = datetime.now(timezone.utc) - timedelta(hours=2)
    await client.post("/api/v1/lineage", headers=ingest, json=run_event("load", str(uuid4()), "COMPLETE", first.isoformat(), inputs=["raw.a"], outputs=["mart.b"]))
    between = first + timedelta(hours=1)
    later = between + timedelta(minutes=30)
    await client.post("/api/v1/lineage", headers=ingest, json=run_event("publish", str(uuid4()), "COMPLETE", later.isoformat(), inputs=["mart.b"], outputs=["mart.c"]))
    node = "dataset:postgres://db:5432:mart.b"

    now = await client.get("/api/v1/lineage", params={"nodeId": node}, headers=viewer)
    then = await client.get("/api/v1/lineage", params={"nodeId": node, "asOf": between.isoformat()}, headers=viewer)

    assert {item["id"] for item in now.json()["graph"]} >= {"job:spark://jobs:load", "job:spark://jobs:publish", "dataset:postgres://db:5432:mart.c"}
    assert {item["id"] for item in then.json()["graph"]} == {"job:spark://jobs:load", node, "dataset:postgres://db:5432:raw.a"}


async def test_runs_carry_marquez_states_and_datasets_uuid_versions(client, session_factory) -> None:
    await load(client, await issue_token(session_factory, "ingest"), FAILED)
    ingest, viewer = await issue_token(session_factory, "ingest", "second-ingest"), await issue_token(session_factory, "viewer")
    started = str(uuid4())
    await client.post("/api/v1/lineage", headers=ingest, json=run_event("nightly", started, "START", datetime.now(timezone.utc).isoformat(), outputs=["mart.nightly"]))
    failed = fixture_events(FAILED)[0]
    output = failed["outputs"][0]

    failed_run = (await client.get(f"/api/v1/jobs/runs/{failed['run']['runId']}", headers=viewer)).json()
    running = (await client.get("/api/v1/namespaces/spark%3A%2F%2Fjobs/jobs/nightly/runs", headers=viewer)).json()
    versions = (await client.get(f"/api/v1/namespaces/{segment(output['namespace'])}/datasets/{segment(output['name'])}/versions", headers=viewer)).json()
    failing_jobs = (await client.get("/api/v1/jobs", params={"lastRunStates": "FAILED"}, headers=viewer)).json()
    running_jobs = (await client.get("/api/v1/jobs", params={"lastRunStates": ["RUNNING", "COMPLETED"]}, headers=viewer)).json()

    assert failed_run["state"] == "FAILED" and failed_run["durationMs"] is None or failed_run["durationMs"] >= 0
    assert [run["state"] for run in running["runs"]] == ["RUNNING"] and running["totalCount"] == 1
    assert not snake_keys(running) and not snake_keys(versions)
    version = versions["versions"][0]
    assert UUID(version["version"]) == UUID(version["id"]["version"])
    assert version["createdByRun"]["state"] in STATES and version["lifecycleState"] == "OVERWRITE"
    assert failed_run["outputDatasetVersions"] == [{"namespace": output["namespace"], "name": output["name"], "version": version["version"]}]
    assert [job["name"] for job in failing_jobs["jobs"]] == [failed["job"]["name"]]
    assert [job["name"] for job in running_jobs["jobs"]] == ["nightly"]


async def test_run_facets_by_type(client, session_factory) -> None:
    await load(client, await issue_token(session_factory, "ingest"), DEMO)
    viewer = await issue_token(session_factory, "viewer")
    start = fixture_events(DEMO)[0]
    run_id = start["run"]["runId"]

    run_facets = await client.get(f"/api/v1/jobs/runs/{run_id}/facets", params={"type": "run"}, headers=viewer)
    job_facets = await client.get(f"/api/v1/jobs/runs/{run_id}/facets", params={"type": "job"}, headers=viewer)
    wrong = await client.get(f"/api/v1/jobs/runs/{run_id}/facets", params={"type": "dataset"}, headers=viewer)

    assert run_facets.json() == {"runId": run_id, "facets": start["run"]["facets"]}
    assert job_facets.json()["facets"].keys() == start["job"]["facets"].keys()
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "type"


async def test_unknown_names_are_404s_in_marquez_words(client, session_factory) -> None:
    await load(client, await issue_token(session_factory, "ingest"), DEMO)
    viewer = await issue_token(session_factory, "viewer")

    answers = {
        "namespace": await client.get("/api/v1/namespaces/nowhere", headers=viewer),
        "datasets": await client.get("/api/v1/namespaces/nowhere/datasets", headers=viewer),
        "dataset": await client.get("/api/v1/namespaces/food_delivery/datasets/public.nothing", headers=viewer),
        "job": await client.get("/api/v1/namespaces/food_delivery/jobs/no_job", headers=viewer),
        "run": await client.get(f"/api/v1/jobs/runs/{uuid4()}", headers=viewer),
        "version": await client.get(f"/api/v1/namespaces/food_delivery/datasets/public.menus/versions/{uuid4()}", headers=viewer),
        "node": await client.get("/api/v1/lineage", params={"nodeId": "dataset:food_delivery:public.nothing"}, headers=viewer),
    }

    assert {name: response.status_code for name, response in answers.items()} == dict.fromkeys(answers, 404)
    assert answers["namespace"].json()["detail"].startswith("Namespace 'nowhere' not found")
    assert answers["dataset"].json()["detail"].startswith("Dataset 'public.nothing' not found")
    assert answers["job"].json()["detail"].startswith("Job 'no_job' not found")


async def test_bad_node_ids_and_parameters_are_400s_naming_them(client, session_factory) -> None:
    viewer = await issue_token(session_factory, "viewer")

    answers = [
        (await client.get("/api/v1/lineage", params={"nodeId": "table:x:y"}, headers=viewer), "nodeId"),
        (await client.get("/api/v1/lineage", params={"nodeId": "dataset:only"}, headers=viewer), "nodeId"),
        (await client.get("/api/v1/lineage", params={"nodeId": "dataset:a:b", "depth": 100000}, headers=viewer), "depth"),
        (await client.get("/api/v1/jobs", params={"lastRunStates": "DONE"}, headers=viewer), "lastRunStates"),
        (await client.get("/api/v1/search", params={"q": "a", "filter": "TABLE"}, headers=viewer), "filter"),
        (await client.get("/api/v1/stats/lineage-events", params={"period": "YEAR"}, headers=viewer), "period"),
        (await client.get("/api/v1/events/lineage", params={"sortDirection": "up"}, headers=viewer), "sortDirection"),
        (await client.get("/api/v1/namespaces", params={"limit": 0}, headers=viewer), "limit"),
    ]

    assert [(response.status_code, response.json()["errors"][0]["field"]) for response, _ in answers] == [(400, field) for _, field in answers]


async def test_tags_need_an_admin_and_a_field_tag_survives_a_new_schema(client, session_factory, admin_headers) -> None:
    ingest = await issue_token(session_factory, "ingest")
    await load(client, ingest, DEMO)
    viewer = await issue_token(session_factory, "viewer")
    dataset = "/api/v1/namespaces/food_delivery/datasets/public.menus"

    refused = await client.post(f"{dataset}/tags/pii", headers=viewer)
    anonymous = await client.get("/api/v1/namespaces")
    tagged = await client.post(f"{dataset}/tags/pii", headers=admin_headers)
    field_tagged = await client.post(f"{dataset}/fields/name/tags/public", headers=admin_headers)
    missing_field = await client.post(f"{dataset}/fields/nope/tags/public", headers=admin_headers)
    menus = next(event for event in fixture_events(DEMO) if any(item["name"] == "public.menus" for item in event.get("outputs") or []))
    menus["eventTime"], menus["run"]["runId"] = datetime.now(timezone.utc).isoformat(), str(uuid4())
    await client.post("/api/v1/lineage", json=menus, headers=ingest)
    read = (await client.get(dataset, headers=viewer)).json()
    untagged = await client.delete(f"{dataset}/tags/pii", headers=admin_headers)
    tags = (await client.get("/api/v1/tags", headers=viewer)).json()["tags"]
    asset = (await client.get("/api/lineage/assets", params={"searchString": "public.menus"}, headers=viewer)).json()["items"][0]

    assert refused.status_code == 403 and anonymous.status_code == 401
    assert tagged.status_code == 200 and tagged.json()["tags"] == ["pii"]
    assert next(field for field in field_tagged.json()["fields"] if field["name"] == "name")["tags"] == ["public"]
    assert missing_field.status_code == 404
    assert read["tags"] == ["pii"] and next(field for field in read["fields"] if field["name"] == "name")["tags"] == ["public"]
    assert untagged.json()["tags"] == []
    assert tags == [{"name": "public", "description": None}]
    assert next(field for field in asset["fields"] if field["name"] == "name")["tags"] == ["public"]


async def test_rest_writes_answer_405_pointing_to_openlineage(client, session_factory) -> None:
    viewer = await issue_token(session_factory, "viewer")

    answers = [
        await client.put("/api/v1/namespaces/food_delivery", json={"ownerName": "me"}, headers=viewer),
        await client.put("/api/v1/namespaces/food_delivery/datasets/public.x", json={"type": "DB_TABLE"}, headers=viewer),
        await client.put("/api/v1/namespaces/food_delivery/jobs/job", json={"type": "BATCH"}, headers=viewer),
        await client.post("/api/v1/namespaces/food_delivery/jobs/job/runs", json={}, headers=viewer),
        await client.post(f"/api/v1/jobs/runs/{uuid4()}/complete", headers=viewer),
        await client.put("/api/v1/sources/pg", json={}, headers=viewer),
    ]

    assert [response.status_code for response in answers] == [405] * len(answers)
    assert all("POST /api/v1/lineage" in response.json()["detail"] for response in answers)


async def test_search_events_and_stats(client, session_factory) -> None:
    events = await load(client, await issue_token(session_factory, "ingest"), *CORPUS)
    viewer = await issue_token(session_factory, "viewer")
    now = datetime.now(timezone.utc)
    fresh = run_event("fresh", str(uuid4()), "FAIL", now.isoformat(), outputs=["mart.fresh"])
    await client.post("/api/v1/lineage", json=fresh, headers=await issue_token(session_factory, "ingest", "fresh"))

    jobs = (await client.get("/api/v1/search", params={"q": "etl_order", "filter": "JOB"}, headers=viewer)).json()
    newest = (await client.get("/api/v1/search", params={"q": "public", "sort": "UPDATE_AT", "limit": 2}, headers=viewer)).json()
    page = (await client.get("/api/v1/events/lineage", params={"limit": 3, "sortDirection": "asc"}, headers=viewer)).json()
    recent = (await client.get("/api/v1/events/lineage", params={"after": (now - timedelta(minutes=1)).isoformat()}, headers=viewer)).json()
    day = (await client.get("/api/v1/stats/lineage-events", params={"period": "DAY"}, headers=viewer)).json()
    week = (await client.get("/api/v1/stats/lineage-events", params={"period": "WEEK", "timezone": "Europe/Paris"}, headers=viewer)).json()

    assert {item["name"] for item in jobs["results"]} == {"etl_orders", "etl_orders_7_days", "etl_order_status"}
    assert {item["type"] for item in jobs["results"]} == {"JOB"} and jobs["results"][0]["nodeId"].startswith("job:food_delivery:")
    assert newest["totalCount"] > 2 and len(newest["results"]) == 2
    assert newest["results"][0]["updatedAt"] >= newest["results"][1]["updatedAt"]
    assert page["totalCount"] == len(events) + 1 and page["events"] == [event for event in events[:3]]
    assert recent["events"] == [fresh] and recent["totalCount"] == 1
    assert len(day) == 24 and sum(bucket["fail"] for bucket in day) == 1 and day[-1]["fail"] + day[-2]["fail"] == 1
    assert len(week) == 7 and sum(bucket["fail"] + bucket["start"] + bucket["complete"] for bucket in week) == 1
    assert not snake_keys(day)


async def test_names_with_colons_and_slashes_in_node_ids_and_paths(client, session_factory, admin_headers) -> None:
    await load(client, await issue_token(session_factory, "ingest"), AIRFLOW_COLUMNS, FAILED)
    viewer = await issue_token(session_factory, "viewer")
    failed = fixture_events(FAILED)[0]
    output = failed["outputs"][0]
    node = f"dataset:{output['namespace']}:{output['name']}"

    graph = (await client.get("/api/v1/lineage", params={"nodeId": node, "depth": 1}, headers=viewer)).json()["graph"]
    path = f"/api/v1/namespaces/{segment(output['namespace'])}/datasets/{segment(output['name'])}"
    dataset = await client.get(path, headers=viewer)
    tagged = await client.post(f"{path}/tags/{segment('team/ops')}", headers=admin_headers)
    read_back = await client.get(path, headers=viewer)

    assert tagged.status_code == 200 and read_back.json()["tags"] == ["team/ops"]
    assert node in {item["id"] for item in graph} and f"job:default:{failed['job']['name']}" in {item["id"] for item in graph}
    assert dataset.status_code == 200 and dataset.json()["id"] == {"namespace": output["namespace"], "name": output["name"]}
