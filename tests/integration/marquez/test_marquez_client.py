"""The real marquez-python client (PyPI), unchanged, against `dlv serve` on loopback, on SQLite
and PostgreSQL: fed the Marquez demo and two integrations' events through OpenLineage, each of
its read methods returns what those events imply, behind a DLV viewer token (``api_key``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest
import requests
from marquez_client import MarquezClient
from marquez_client.errors import APIError

from dlv.app import create_app
from dlv.config import Settings
from tests.integration.marquez.conftest import AIRFLOW_COLUMNS, CORPUS, FAILED, Implied, load
from tests.integration.openlineage.conftest import fixture_events, issue_token
from tests.integration.hardening.conftest import served_on_loopback

DEMO_NAMESPACE = "food_delivery"


@pytest.fixture
async def served(settings: Settings, session_factory: Any) -> AsyncIterator[str]:
    async with served_on_loopback(create_app(settings)) as url:
        yield url


async def _fed(url: str, session_factory: Any) -> Implied:
    async with httpx.AsyncClient(base_url=url) as http:
        return Implied(await load(http, await issue_token(session_factory, "ingest"), *CORPUS))


async def _client(session_factory: Any, role: str) -> MarquezClient:
    token = (await issue_token(session_factory, role, f"marquez-{role}"))["Authorization"].removeprefix("Bearer ")
    return MarquezClient(URL.get(), api_key=token)


class _Url:
    """The served URL, for clients built in helpers."""

    value = ""

    def get(self) -> str:
        return self.value


URL = _Url()


def call(method: Any, *args: Any, **kwargs: Any) -> Any:
    return asyncio.to_thread(method, *args, **kwargs)


async def test_namespaces_sources_datasets_and_versions_are_what_the_events_imply(served: str, session_factory: Any) -> None:
    URL.value = served
    implied = await _fed(served, session_factory)
    client = await _client(session_factory, "viewer")

    namespaces = {item["name"] for item in (await call(client.list_namespaces))["namespaces"]}
    demo = await call(client.get_namespace, DEMO_NAMESPACE)
    sources = {item["name"] for item in (await call(client.list_sources))["sources"]}
    listed = await call(client.list_datasets, DEMO_NAMESPACE)

    every_dataset = set().union(*implied.inputs.values(), *implied.outputs.values())
    assert {space for space, _ in implied.runs} | {space for space, _ in every_dataset} <= namespaces
    assert demo["name"] == DEMO_NAMESPACE
    assert {space for space, _ in every_dataset} <= sources
    assert {item["name"] for item in listed["datasets"]} == implied.datasets(DEMO_NAMESPACE)
    assert listed["totalCount"] == len(implied.datasets(DEMO_NAMESPACE))
    for (space, name), schema in implied.schemas.items():
        dataset = await call(client.get_dataset, space, name)
        assert [(field["name"], field["type"]) for field in dataset["fields"]][: len(schema)] == schema, name
        versions = await call(client.list_dataset_versions, space, name)
        assert versions["totalCount"] == len(implied.writers[(space, name)]), name
        assert {version["createdByRun"]["id"] for version in versions["versions"]} == implied.writers[(space, name)]
        for version in versions["versions"]:
            one = await call(client.get_dataset_version, space, name, version["version"])
            assert UUID(one["version"]) == UUID(version["version"]) and one["createdByRun"]["id"] == version["createdByRun"]["id"]
        if versions["versions"]:
            assert dataset["currentVersion"] == versions["versions"][0]["version"]


async def test_jobs_and_runs_are_what_the_events_imply(served: str, session_factory: Any) -> None:
    URL.value = served
    implied = await _fed(served, session_factory)
    client = await _client(session_factory, "viewer")
    states = {"START": "RUNNING", "RUNNING": "RUNNING", "COMPLETE": "COMPLETED", "FAIL": "FAILED", "ABORT": "ABORTED"}

    jobs = await call(client.list_jobs, DEMO_NAMESPACE)

    assert {job["name"] for job in jobs["jobs"]} == implied.jobs(DEMO_NAMESPACE)
    for (space, name), run_ids in implied.runs.items():
        job = await call(client.get_job, space, name)
        assert {(item["namespace"], item["name"]) for item in job["inputs"]} == implied.inputs[(space, name)], name
        assert {(item["namespace"], item["name"]) for item in job["outputs"]} == implied.outputs[(space, name)], name
        assert job["latestRun"]["id"] in run_ids
        runs = await call(client.list_job_runs, space, name)
        assert {run["id"] for run in runs["runs"]} == run_ids
        for run_id in run_ids:
            run = await call(client.get_job_run, run_id)
            assert run["state"] == states[implied.last_type[run_id]], (name, run_id)
    failed = fixture_events(FAILED)[0]
    failed_run = await call(client.get_job_run, failed["run"]["runId"])
    assert failed_run["state"] == "FAILED" and "spark.exception" in failed_run["facets"]


async def test_column_lineage_and_tags_through_the_client(served: str, session_factory: Any) -> None:
    URL.value = served
    implied = await _fed(served, session_factory)
    (space, name), columns = next((key, value) for key, value in implied.columns.items() if key[0] == "bigquery")
    client = await _client(session_factory, "viewer")

    by_dataset = await call(client.get_column_lineage_by_dataset, space, name, depth=1)
    target = next(iter(columns))
    by_field = await call(client.get_column_lineage_by_dataset_field, space, name, target, depth=1)
    by_job = await call(client.get_column_lineage_by_job, "airflow", fixture_events(AIRFLOW_COLUMNS)[0]["job"]["name"], depth=1)

    for graph in (by_dataset, by_job):
        nodes = {node["id"]: node for node in graph["graph"]}
        for field, inputs in columns.items():
            node = nodes[f"datasetField:{space}:{name}:{field}"]
            assert {(item["namespace"], item["dataset"], item["field"]) for item in node["data"]["inputFields"]} == set(inputs)
    assert {node["id"] for node in by_field["graph"]} == {f"datasetField:{space}:{name}:{target}"} | {
        f"datasetField:{source_space}:{source}:{field}" for source_space, source, field in columns[target]
    }

    with pytest.raises(APIError) as refused:
        await call(client.tag_dataset, space, name, "pii")
    assert refused.value.__cause__.response.status_code == 403
    admin = await _client(session_factory, "admin")
    tagged = await call(admin.tag_dataset, space, name, "pii")
    field_tagged = await call(admin.tag_dataset_field, space, name, target, "sensitive")
    tags = {tag["name"] for tag in (await call(admin.list_tags))["tags"]}

    assert tagged["tags"] == ["pii"]
    assert next(field for field in field_tagged["fields"] if field["name"] == target)["tags"] == ["sensitive"]
    assert {"pii", "sensitive"} <= tags


async def test_names_with_slashes_and_colons_travel_in_one_path_segment(served: str, session_factory: Any) -> None:
    URL.value = served
    await _fed(served, session_factory)
    failed = fixture_events(FAILED)[0]
    output = failed["outputs"][0]  # s3a://acryl-datahub-offline, /tmp/daily_stats2
    client = await _client(session_factory, "viewer")

    dataset = await call(client.get_dataset, output["namespace"], output["name"])
    listed = await call(client.list_datasets, output["namespace"])
    job = await call(client.get_job, failed["job"]["namespace"], failed["job"]["name"])

    assert (dataset["namespace"], dataset["name"]) == (output["namespace"], output["name"])
    assert [item["name"] for item in listed["datasets"]] == [output["name"]]
    assert job["latestRun"]["state"] == "FAILED"
    assert {(item["namespace"], item["name"]) for item in job["outputs"]} == {(output["namespace"], output["name"])}


async def test_the_client_without_a_token_is_refused(served: str, session_factory: Any) -> None:
    response = await asyncio.to_thread(requests.get, f"{served}/api/v1/namespaces", timeout=10)

    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
