"""Late observations enter a pair's history where time order would have put them
(dlv.lineage.rules.place_late, late_end): an older run reported after a newer one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from dlv.lineage.rules import late_end, place_late

T0 = datetime(2024, 6, 1, tzinfo=timezone.utc)
A = [{"source_field": "a", "target_field": "a"}]
B = [{"source_field": "b", "target_field": "b"}]


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@dataclass
class Version:
    valid_from: datetime
    valid_to: datetime | None
    run_id: str
    columns: list = field(default_factory=list)


def test_an_older_run_with_other_columns_fills_the_time_before_the_newer_version() -> None:
    newer = Version(at(20), None, "run-2", B)
    assert place_late([newer], A, "run-1", at(5), None) == (at(5), at(20))
    assert newer.valid_from == at(20)


def test_an_older_run_with_the_same_columns_starts_the_newer_version_earlier() -> None:
    newer = Version(at(20), None, "run-2", A)
    assert place_late([newer], A, "run-1", at(5), None) is None
    assert (newer.valid_from, newer.run_id) == (at(5), "run-2")


def test_the_runs_own_later_event_arrived_first_so_its_version_starts_earlier_with_both_columns() -> None:
    own = Version(at(8), at(20), "run-1", A)
    assert place_late([own, Version(at(20), None, "run-2", B)], B, "run-1", at(5), None) is None
    assert own.valid_from == at(5)
    assert sorted(item["source_field"] for item in own.columns) == ["a", "b"]


def test_a_version_the_late_run_did_not_carry_ends_where_it_began() -> None:
    older = Version(at(0), at(30), "run-0", A)
    assert place_late([older], B, "run-1", at(10), None) == (at(10), at(30))
    assert older.valid_to == at(10)


def test_an_edge_only_the_older_run_saw_ends_when_a_newer_run_completed() -> None:
    assert place_late([], A, "run-1", at(5), at(25)) == (at(5), at(25))


def test_a_current_version_that_began_before_the_late_observation_stays_as_it_is() -> None:
    current = Version(at(0), None, "run-0", A)
    assert place_late([current], B, "run-1", at(5), None) is None
    assert (current.valid_from, current.valid_to, current.columns) == (at(0), None, A)


def test_an_observation_after_a_newer_run_completed_never_counted() -> None:
    assert late_end(at(30), [at(25), at(40)]) == (False, None)
    assert late_end(at(10), [at(40), at(25)]) == (True, at(25))
    assert late_end(at(10), []) == (True, None)
