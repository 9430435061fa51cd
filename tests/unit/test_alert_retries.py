"""A delivery that keeps failing is tried again with exponential backoff for at least a day."""

from __future__ import annotations

from datetime import timedelta

from dlv.alerts._dispatch import RETRY_WINDOW, backoff


def test_alert_deliveries_are_retried_with_backoff_for_at_least_a_day() -> None:
    waited, waits = timedelta(), []
    while waited + backoff(len(waits) + 1) <= RETRY_WINDOW:
        waits.append(backoff(len(waits) + 1))
        waited += waits[-1]

    assert waited >= timedelta(hours=24)
    assert [wait.total_seconds() for wait in waits[:4]] == [2, 4, 8, 16]
    assert max(waits) == timedelta(minutes=15)
