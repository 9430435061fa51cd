"""Parsing events: the spec's shapes, lenient where real producers are, strict where DLV maps."""

from __future__ import annotations

import json

import pytest

from dlv.lib.exceptions import BadRequest
from dlv.lineage.rules import merge_columns
from dlv.openlineage import parse_event
from dlv.openlineage._spec import DatasetEvent, JobEvent, RunEvent

BASE = {"eventTime": "2021-11-03T10:53:52.427343", "producer": "p"}


def test_the_three_event_kinds_are_told_apart_and_naive_times_are_utc() -> None:
    run = parse_event(json.dumps({**BASE, "run": {"runId": "run_id"}, "job": {"namespace": "n", "name": "j"}}).encode())
    job = parse_event(json.dumps({**BASE, "job": {"namespace": "n", "name": "j"}}).encode())
    dataset = parse_event(json.dumps({**BASE, "dataset": {"namespace": "n", "name": "d"}}).encode())

    assert isinstance(run.event, RunEvent) and run.event.event_type == "OTHER"
    assert isinstance(job.event, JobEvent) and isinstance(dataset.event, DatasetEvent)
    assert run.event.event_time.utcoffset().total_seconds() == 0


def test_custom_facets_are_kept_in_the_payload_and_the_hash_ignores_key_order() -> None:
    event = {**BASE, "run": {"runId": "r", "facets": {"acme": [1, 2]}}, "job": {"namespace": "n", "name": "j"}}
    parsed = parse_event(json.dumps(event).encode())
    reordered = parse_event(json.dumps(dict(reversed(list(event.items())))).encode())

    assert parsed.payload["run"]["facets"]["acme"] == [1, 2]
    assert parsed.event_hash == reordered.event_hash


def test_errors_name_the_json_path() -> None:
    with pytest.raises(BadRequest) as error:
        parse_event(json.dumps({**BASE, "run": {"runId": "r"}, "job": {"namespace": "n", "name": "j"},
                                "inputs": [{"namespace": "n", "name": "d", "facets": {"symlinks": {"identifiers": [{"name": "x"}]}}}]}).encode())
    assert "$.inputs[0].facets.symlinks.identifiers[0].namespace" in error.value.detail
    assert error.value.extra["errors"][0]["field"] == "$.inputs[0].facets.symlinks.identifiers[0].namespace"


def test_merged_column_mappings_do_not_depend_on_arrival_order() -> None:
    start = [{"source_field": "a", "target_field": "x"}, {"source_field": "b", "target_field": "x", "transformation": "DIRECT"}]
    complete = [{"source_field": "a", "target_field": "x", "transformation": "DIRECT/IDENTITY"}, {"source_field": "c", "target_field": "y"}]

    assert merge_columns(start, complete) == merge_columns(complete, start)
    assert merge_columns(start, complete)[0] == {"source_field": "a", "target_field": "x", "transformation": "DIRECT/IDENTITY"}
