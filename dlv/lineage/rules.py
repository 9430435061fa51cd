"""The lineage write rules, each written once: what an observation does to an edge, a run, an
asset. Pure functions over rows (ORM models, or anything with their columns as attributes),
so the single-event applier (``dlv.openlineage.EventMapper``, ORM), the batch applier
(``BatchMapper``, set-based) and manual writes (``EdgeWriter``) all decide the same way and
only differ in how they read and write the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Any
from uuid import UUID

import msgspec

from dlv.db.models import PROCESS
from dlv.lib.exceptions import BadRequest

TERMINAL_STATES = frozenset({"COMPLETE", "ABORT", "FAIL"})


def to_builtins(value: Any) -> Any:
    """msgspec Structs -> plain JSON-able values for JSON columns."""
    return msgspec.to_builtins(value)


# --- edges


def check_edge_shape(source_type: str, target_type: str, source_id: UUID, target_id: UUID) -> None:
    if source_id == target_id:
        raise BadRequest(
            "An edge cannot start and end at the same node: send a source_id and a target_id that differ.",
            field="target_id",
        )
    if source_type == PROCESS and target_type == PROCESS:
        raise BadRequest(
            "An edge cannot join two processes: data flows asset -> process (reads), process -> asset "
            "(writes) or asset -> asset (derivation). Put the asset the processes share between them.",
            field="target_id",
        )


def merge_columns(*mappings: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The union of column mappings (JSON form), one per (source asset, source field, target
    field), in a fixed order so the result does not depend on the order events arrived in."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for group in mappings:
        for mapping in group:
            # Sort key: target field first, then source asset and field.
            key = (mapping["target_field"], str(mapping.get("source_asset_id") or ""), mapping["source_field"])
            known = merged.get(key)
            if known is None:
                merged[key] = mapping
                continue
            # Of two descriptions of one mapping keep the fuller one (ties: the larger), again order-free.
            text, kept = mapping.get("transformation") or "", known.get("transformation") or ""
            if (len(text), text) > (len(kept), kept):
                merged[key] = mapping
    return [merged[key] for key in sorted(merged)]


class EdgeOutcome(Enum):
    EXTENDED = "extended"  # the same run reports more of the edge: columns merged
    CARRIED = "carried"  # another run reports the same columns: the edge moves to it
    REPLACED = "replaced"  # new columns, or no current edge: a new version starts
    STALE = "stale"  # an older run reports it late: the newer current version stays


def observe_edge(edge: Any, columns: list[dict[str, Any]], run_id: str | None, at: datetime) -> EdgeOutcome:
    """What observing ``columns`` (merged, JSON form) on a pair at ``at`` by run ``run_id`` does
    to the pair's current ``edge`` (None if there is none); changes ``edge`` in place.

    A run reports its lineage in several events (START, RUNNING, COMPLETE, in any order), so
    within a run observations accumulate; after ``EXTENDED`` the caller applies
    ``start_earlier`` when ``at`` precedes the edge. ``REPLACED``: the caller ends ``edge``
    with ``end_version`` and adds the next version. ``STALE``: another run's version that
    began after ``at`` is current, so this (older) observation changes nothing: delivered in
    time order it would have been replaced by that version already."""
    if edge is not None and run_id is not None and edge.run_id == run_id:
        if columns == edge.columns:  # the run repeats itself (START, then COMPLETE): nothing to merge
            return EdgeOutcome.EXTENDED
        merged = merge_columns(edge.columns, columns)
        if merged != edge.columns:
            edge.columns = merged
        return EdgeOutcome.EXTENDED
    if edge is not None and run_id is not None and edge.run_id is not None and at < edge.valid_from:
        return EdgeOutcome.STALE
    if edge is not None and edge.columns == columns:
        if run_id is not None:
            edge.run_id = run_id
        return EdgeOutcome.CARRIED
    return EdgeOutcome.REPLACED


def late_end(at: datetime, later_completions: Sequence[datetime]) -> tuple[bool, datetime | None]:
    """For an observation at ``at`` by a run that newer runs of its job (started after it)
    completed at ``later_completions``: whether it shaped the graph at all (delivered in time
    order, one that completed before ``at`` had made the run superseded, and the observation
    ignored) and when the first of them ended what it saw (``RETIRE_SUPERSEDED``)."""
    if any(done <= at for done in later_completions):
        return False, None
    return True, min(later_completions, default=None)


def place_late(versions: Sequence[Any], columns: list[dict[str, Any]], run_id: str, at: datetime, ends_by: datetime | None) -> tuple[datetime, datetime] | None:
    """Where a late observation goes in a pair's history: an older run's, reported after a
    newer run's version of the pair began (``STALE``) or after a newer run completed
    (superseded). The current graph stays; history becomes what time order leaves. Changes
    ``versions`` (all of the pair's, any order) in place; returns the [from, to) of a new
    version to add with ``columns``, or None.

    The version covering ``at``: of this run, it takes the columns (``EXTENDED``); with these
    columns it stays (``CARRIED``); else it ends at ``at`` and the new version fills the rest.
    No version covers ``at``: the new version runs until the next version begins or the
    first newer run completed (``ends_by``), whichever is first. Either way a next version of
    this run or with these columns starts earlier instead, as time order would have carried
    it from ``at``."""
    ordered = sorted(versions, key=lambda version: version.valid_from)
    covering = next((v for v in ordered if v.valid_from <= at and (v.valid_to is None or at < v.valid_to)), None)
    if covering is not None:
        if covering.valid_to is None or covering.valid_from == at:
            return None  # current since before (or from) then: nothing older to tell
        if covering.run_id == run_id or covering.columns == columns:
            if covering.run_id == run_id:
                covering.columns = merge_columns(covering.columns, columns)
            return None
        end: datetime | None = covering.valid_to
        covering.valid_to = at
    else:
        end = next((v.valid_from for v in ordered if v.valid_from > at), None)
        if ends_by is not None and ends_by > at and (end is None or ends_by < end):
            end = ends_by
    if end is None:
        return None
    following = next((v for v in ordered if v.valid_from == end and v is not covering), None)
    if following is not None and (following.run_id == run_id or following.columns == columns):
        if following.run_id == run_id:
            following.columns = merge_columns(following.columns, columns)
        following.valid_from = at
        return None
    return at, end


def end_version(previous: Any, at: datetime) -> datetime:
    """End ``previous`` (if any) where its next version starts: at ``at``, never before
    ``previous`` began. Returns the next version's start."""
    if previous is None:
        return at
    start = max(at, previous.valid_from)
    previous.valid_to = start
    return start


def start_earlier(edge: Any, replaced: Any, at: datetime) -> None:
    """A late-arriving earlier event of the edge's run: move the edge's start back to ``at``
    and the end of the version it ``replaced`` (None if none) with it, so history is what
    in-order delivery leaves."""
    start = at if replaced is None else max(at, replaced.valid_from)
    if replaced is not None:
        replaced.valid_to = start
    edge.valid_from = start


# --- runs


def new_run(run_id: str, process_id: UUID, state: str, at: datetime) -> dict[str, Any]:
    """The columns of a run first seen in an event of ``state`` at ``at``."""
    return {
        "run_id": run_id, "process_id": process_id, "state": state, "started_at": at, "updated_at": at,
        "ended_at": at if state in TERMINAL_STATES else None, "error_message": None,
    }


def advance_run(run: Any, state: str, at: datetime, error_message: str | None) -> bool:
    """Apply one event to its run; return whether the event is the run's newest so far.
    Terminal states win over START and RUNNING, the latest terminal state wins, the run
    starts at its earliest event."""
    fresh = at >= run.updated_at
    if state in TERMINAL_STATES:
        if run.state not in TERMINAL_STATES or run.ended_at is None or at >= run.ended_at:
            run.state, run.ended_at = state, at
    elif state in ("START", "RUNNING"):
        if run.state == "OTHER" or (run.state not in TERMINAL_STATES and at >= run.updated_at):
            run.state = state
    run.started_at = min(run.started_at or at, at)
    run.updated_at = max(run.updated_at, at)
    if error_message:
        run.error_message = error_message
    return fresh


def superseded(latest_completed_start: datetime | None, run: Any) -> bool:
    """A run that started before the latest other completed run of its process no longer
    shapes the current graph: its late events only update the run itself."""
    return latest_completed_start is not None and latest_completed_start > run.started_at


# --- assets and processes


def newer(item: Any, facet: str, at: datetime) -> bool:
    """Whether an observation of ``facet`` made at ``at`` is at least as new as the one ``item``
    (an asset or process) shows; if so it is recorded as the one shown. Decided per facet, so
    a facet only an early event carried (a START's parent or schema) still applies when that
    event arrives last, and an older event, of the same run or an earlier one, never replaces
    what a newer one said: the result does not depend on arrival order."""
    times = item.facet_times or {}
    shown = times.get(facet)
    if shown is not None and datetime.fromisoformat(shown) > at:
        return False
    stamp = at.isoformat()
    if shown != stamp:
        item.facet_times = {**times, facet: stamp}
    return True



def revive(item: Any, at: datetime) -> bool:
    """Whether ``item`` (an asset) is live for an event at ``at``: one deleted before ``at``
    was re-created, and is live again."""
    if item.deleted_at is not None and at >= item.deleted_at:
        item.deleted_at = None
    return item.deleted_at is None


def drop_stands(latest_use: datetime | None, at: datetime) -> bool:
    """A DROP at ``at`` retires its asset unless lineage shows the asset in use after it (the
    drop arrived late)."""
    return latest_use is None or latest_use <= at


__all__ = [
    "TERMINAL_STATES",
    "EdgeOutcome",
    "advance_run",
    "check_edge_shape",
    "drop_stands",
    "end_version",
    "late_end",
    "merge_columns",
    "new_run",
    "newer",
    "observe_edge",
    "place_late",
    "revive",
    "start_earlier",
    "superseded",
    "to_builtins",
]
