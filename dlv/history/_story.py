"""A run's story: its OpenLineage events (from the raw event log) merged into one account of
the run, the same whatever order they arrived in: events in time order (ties: START, RUNNING,
then the terminal state, then the event's hash), and a later event's facet replaces an
earlier one's of the same name, one facet at a time."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

STATE_ORDER = {"START": 0, "RUNNING": 1, "OTHER": 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2}
Key = tuple[str, str]


@dataclass
class LoggedEvent:
    event_time: datetime
    event_type: str | None
    event_hash: str
    payload: dict[str, Any]


@dataclass
class RunStory:
    run_facets: dict[str, Any] = field(default_factory=dict)
    job_facets: dict[str, Any] = field(default_factory=dict)
    inputs: dict[Key, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[Key, dict[str, Any]] = field(default_factory=dict)
    event_count: int = 0

    @property
    def nominal_times(self) -> tuple[str | None, str | None]:
        nominal = _object(self.run_facets.get("nominalTime"))
        return _text(nominal.get("nominalStartTime")), _text(nominal.get("nominalEndTime"))

    @property
    def parent(self) -> tuple[str | None, Key | None]:
        parent = _object(self.run_facets.get("parent"))
        run, job = _object(parent.get("run")), _object(parent.get("job"))
        named = (job["namespace"], job["name"]) if isinstance(job.get("namespace"), str) and isinstance(job.get("name"), str) else None
        return _text(run.get("runId")), named


def tell(events: Iterable[LoggedEvent]) -> RunStory:
    story = RunStory()
    ordered = sorted(events, key=lambda event: (event.event_time, STATE_ORDER.get(event.event_type or "", 1), event.event_hash))
    for event in ordered:
        story.event_count += 1
        story.run_facets.update(_object(_object(event.payload.get("run")).get("facets")))
        story.job_facets.update(_object(_object(event.payload.get("job")).get("facets")))
        for side, extra, into in (("inputs", "inputFacets", story.inputs), ("outputs", "outputFacets", story.outputs)):
            for dataset in event.payload.get(side) or []:
                if isinstance(dataset, dict) and isinstance(dataset.get("namespace"), str) and isinstance(dataset.get("name"), str):
                    facets = into.setdefault((dataset["namespace"], dataset["name"]), {})
                    facets.update(_object(dataset.get("facets")))
                    facets.update(_object(dataset.get(extra)))
    return story


def version_of(facets: dict[str, Any]) -> str:
    """The version a run's facets of an output name: the ``version`` facet's datasetVersion
    when the producer sent one, else a hash of the facets (producer bookkeeping left out)."""
    given = _object(facets.get("version")).get("datasetVersion")
    if isinstance(given, str) and given:
        return given
    content = {name: _without_meta(value) for name, value in facets.items()}
    return "sha256:" + hashlib.sha256(msgspec.json.encode(content, order="sorted")).hexdigest()[:16]


def schema_fields(facets: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """The schema facet's fields, nested ones as dotted names (as assets list them)."""
    return _flatten(_object(facets.get("schema")).get("fields"), prefix)


def _flatten(fields: Any, prefix: str) -> list[dict[str, Any]]:
    flat: list[dict[str, Any]] = []
    for item in fields if isinstance(fields, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            name = prefix + item["name"]
            flat.append({"name": name, "type": _text(item.get("type")), "description": _text(item.get("description"))})
            flat.extend(_flatten(item.get("fields"), name + "."))
    return flat


def count(facets: dict[str, Any], facet: str, *names: str) -> int | None:
    value = _object(facets.get(facet))
    for name in names:
        if isinstance(value.get(name), int) and not isinstance(value.get(name), bool):
            return value[name]
    return None


def _without_meta(value: Any) -> Any:
    return {key: item for key, item in value.items() if not key.startswith("_")} if isinstance(value, dict) else value


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
