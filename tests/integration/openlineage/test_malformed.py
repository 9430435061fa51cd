"""Bad input: every variant is a 4xx problem naming what is wrong, and nothing is stored."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.openlineage.conftest import row_counts, run_event

Event = dict[str, Any]


def valid() -> Event:
    return run_event(
        "load", "run-1", "COMPLETE", "2024-06-01T10:00:00Z",
        inputs=["orders"],
        outputs=[{"namespace": "postgres://db:5432", "name": "totals", "facets": {
            "schema": {"fields": [{"name": "total", "type": "numeric"}]},
            "columnLineage": {"fields": {"total": {"inputFields": [{"namespace": "postgres://db:5432", "name": "orders", "field": "amount"}]}}},
        }}],
    )


def change(edit: Callable[[Event], Any]) -> bytes:
    event = valid()
    edit(event)
    return json.dumps(event).encode()


def dataset_facet(name: str, value: Any) -> Callable[[Event], Any]:
    return lambda e: e["outputs"][0]["facets"].__setitem__(name, value)


def job_facet(name: str, value: Any) -> Callable[[Event], Any]:
    return lambda e: e["job"]["facets"].__setitem__(name, value)


def run_facet(name: str, value: Any) -> Callable[[Event], Any]:
    return lambda e: e["run"]["facets"].__setitem__(name, value)


# (body, the JSON path the answer must name)
MALFORMED: list[tuple[str, bytes, str]] = [
    ("empty body", b"", "$"),
    ("not json", b"eventType=START", "$"),
    ("truncated json", json.dumps(valid()).encode()[:-5], "$"),
    ("a list of events", json.dumps([valid()]).encode(), "$"),
    ("a string", b'"START"', "$"),
    ("null", b"null", "$"),
    ("empty object", b"{}", "$.job"),
    ("missing eventTime", change(lambda e: e.pop("eventTime")), "$.eventTime"),
    ("eventTime not a time", change(lambda e: e.__setitem__("eventTime", "yesterday")), "$.eventTime"),
    ("eventTime a number", change(lambda e: e.__setitem__("eventTime", 1717236000)), "$.eventTime"),
    ("eventTime null", change(lambda e: e.__setitem__("eventTime", None)), "$.eventTime"),
    ("unknown eventType", change(lambda e: e.__setitem__("eventType", "FINISHED")), "$.eventType"),
    ("lower-case eventType", change(lambda e: e.__setitem__("eventType", "complete")), "$.eventType"),
    ("eventType a number", change(lambda e: e.__setitem__("eventType", 3)), "$.eventType"),
    ("missing job", change(lambda e: e.pop("job")), "$.job"),
    ("job a string", change(lambda e: e.__setitem__("job", "load")), "$.job"),
    ("missing job name", change(lambda e: e["job"].pop("name")), "$.job.name"),
    ("missing job namespace", change(lambda e: e["job"].pop("namespace")), "$.job.namespace"),
    ("job name a number", change(lambda e: e["job"].__setitem__("name", 7)), "$.job.name"),
    ("empty job name", change(lambda e: e["job"].__setitem__("name", "")), "$.job.name"),
    ("job namespace too long", change(lambda e: e["job"].__setitem__("namespace", "n" * 501)), "$.job.namespace"),
    ("missing run", change(lambda e: e.pop("run")), "$.run"),
    ("missing runId", change(lambda e: e["run"].pop("runId")), "$.run.runId"),
    ("runId a number", change(lambda e: e["run"].__setitem__("runId", 42)), "$.run.runId"),
    ("runId null", change(lambda e: e["run"].__setitem__("runId", None)), "$.run.runId"),
    ("empty runId", change(lambda e: e["run"].__setitem__("runId", "")), "$.run.runId"),
    ("runId too long", change(lambda e: e["run"].__setitem__("runId", "r" * 101)), "$.run.runId"),
    ("run a list", change(lambda e: e.__setitem__("run", [])), "$.run"),
    ("producer a number", change(lambda e: e.__setitem__("producer", 1)), "$.producer"),
    ("schemaURL an object", change(lambda e: e.__setitem__("schemaURL", {})), "$.schemaURL"),
    ("inputs an object", change(lambda e: e.__setitem__("inputs", {})), "$.inputs"),
    ("input a string", change(lambda e: e.__setitem__("inputs", ["orders"])), "$.inputs[0]"),
    ("input without name", change(lambda e: e["inputs"][0].pop("name")), "$.inputs[0].name"),
    ("output without namespace", change(lambda e: e["outputs"][0].pop("namespace")), "$.outputs[0].namespace"),
    ("output name null", change(lambda e: e["outputs"][0].__setitem__("name", None)), "$.outputs[0].name"),
    ("dataset facets a list", change(lambda e: e["outputs"][0].__setitem__("facets", [])), "$.outputs[0].facets"),
    ("schema fields an object", change(dataset_facet("schema", {"fields": {"total": "numeric"}})), "$.outputs[0].facets.schema.fields"),
    ("schema field without name", change(dataset_facet("schema", {"fields": [{"type": "int"}]})), "$.outputs[0].facets.schema.fields[0].name"),
    ("schema field type a number", change(dataset_facet("schema", {"fields": [{"name": "a", "type": 4}]})), "$.outputs[0].facets.schema.fields[0].type"),
    ("columnLineage fields a list", change(dataset_facet("columnLineage", {"fields": []})), "$.outputs[0].facets.columnLineage.fields"),
    ("columnLineage without inputFields", change(dataset_facet("columnLineage", {"fields": {"total": {}}})), "$.outputs[0].facets.columnLineage.fields[...].inputFields"),
    ("columnLineage input without field", change(dataset_facet("columnLineage", {"fields": {"total": {"inputFields": [{"namespace": "n", "name": "orders"}]}}})), "$.outputs[0].facets.columnLineage.fields[...].inputFields[0].field"),
    ("transformations not a list", change(dataset_facet("columnLineage", {"fields": {"total": {"inputFields": [{"namespace": "n", "name": "o", "field": "a", "transformations": "DIRECT"}]}}})), "transformations"),
    ("symlinks identifiers a string", change(dataset_facet("symlinks", {"identifiers": "db.orders"})), "$.outputs[0].facets.symlinks.identifiers"),
    ("unknown lifecycle state", change(dataset_facet("lifecycleStateChange", {"lifecycleStateChange": "EXPLODE"})), "$.outputs[0].facets.lifecycleStateChange.lifecycleStateChange"),
    ("dataSource uri a number", change(dataset_facet("dataSource", {"name": "db", "uri": 5432})), "$.outputs[0].facets.dataSource.uri"),
    ("ownership owners an object", change(dataset_facet("ownership", {"owners": {"name": "me"}})), "$.outputs[0].facets.ownership.owners"),
    ("sql facet without query", change(job_facet("sql", {"_producer": "x"})), "$.job.facets.sql.query"),
    ("documentation a string", change(job_facet("documentation", "docs")), "$.job.facets.documentation"),
    ("parent without job", change(run_facet("parent", {"run": {"runId": "p"}})), "$.run.facets.parent.job"),
    ("errorMessage without message", change(run_facet("errorMessage", {"programmingLanguage": "java"})), "$.run.facets.errorMessage.message"),
    # Longer than the asset's field list and the edges' column mappings keep (and serve back).
    ("schema field name too long", change(dataset_facet("schema", {"fields": [{"name": "f" * 1001}]})), "$.outputs[0].facets.schema.fields[0].name"),
    ("empty schema field name", change(dataset_facet("schema", {"fields": [{"name": ""}]})), "$.outputs[0].facets.schema.fields[0].name"),
    ("columnLineage output field too long", change(dataset_facet("columnLineage", {"fields": {"t" * 1001: {"inputFields": []}}})), "$.outputs[0].facets.columnLineage.fields"),
    ("columnLineage input field too long", change(dataset_facet("columnLineage", {"fields": {"total": {"inputFields": [{"namespace": "n", "name": "o", "field": "a" * 1001}]}}})), "inputFields[0].field"),
    ("symlink type too long", change(dataset_facet("symlinks", {"identifiers": [{"namespace": "n", "name": "o", "type": "T" * 51}]})), "$.outputs[0].facets.symlinks.identifiers[0].type"),
    ("dataset event without name", json.dumps({"eventTime": "2024-06-01T10:00:00Z", "dataset": {"namespace": "n"}}).encode(), "$.dataset.name"),
]


@pytest.mark.parametrize(("body", "path"), [pytest.param(body, path, id=name) for name, body, path in MALFORMED])
async def test_malformed_events_are_refused_naming_the_path_and_store_nothing(client, session_factory, ingest_headers, body: bytes, path: str) -> None:
    before = await row_counts(session_factory)

    response = await client.post("/api/v1/lineage", content=body, headers={**ingest_headers, "Content-Type": "application/json"})

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert path in response.json()["detail"]
    assert await row_counts(session_factory) == before


async def test_a_run_id_reused_by_another_job_is_refused_and_the_event_not_stored(client, session_factory, ingest_headers) -> None:
    first = valid()
    assert (await client.post("/api/v1/lineage", json=first, headers=ingest_headers)).status_code == 201
    before = await row_counts(session_factory)
    other = copy.deepcopy(first)
    other["job"]["name"] = "another_job"

    response = await client.post("/api/v1/lineage", json=other, headers=ingest_headers)

    assert response.status_code == 400 and "$.run.runId" in response.json()["detail"]
    assert await row_counts(session_factory) == before  # not even the raw log row, nor the new job
