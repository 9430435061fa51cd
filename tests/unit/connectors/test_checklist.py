"""Step reports: each step passes or says why it failed; the budget is the connector's timeout."""

from __future__ import annotations

import asyncio
import socket
import time

from dlv.connectors import Checklist, StepError, describe_error, run_checklist


async def _ok() -> int:
    return 42


async def test_passing_steps_make_an_ok_report_with_latency() -> None:
    async def checks(checklist: Checklist) -> str:
        value = await checklist.step("first", _ok, success=lambda v: f"got {v}")
        await checklist.step("second", _ok, success="fine")
        return f"all good ({value})"

    report = await run_checklist(5, checks)

    assert report.status == "ok" and report.message == "all good (42)"
    assert [(s.name, s.passed, s.message) for s in report.steps] == [("first", True, "got 42"), ("second", True, "fine")]
    assert report.latency_ms is not None and report.latency_ms >= 0


async def test_the_first_failing_step_stops_the_checks_and_names_itself() -> None:
    ran_after_failure = False

    async def refuse() -> None:
        raise StepError("the door is locked")

    async def checks(checklist: Checklist) -> str:
        nonlocal ran_after_failure
        await checklist.step("knock", refuse, success="opened")
        ran_after_failure = True
        return "unreachable"

    report = await run_checklist(5, checks)

    assert report.status == "error" and report.message == "knock: the door is locked"
    assert report.latency_ms is None
    assert not ran_after_failure


async def test_a_step_gets_only_what_is_left_of_the_budget() -> None:
    async def slow() -> None:
        await asyncio.sleep(10)

    async def checks(checklist: Checklist) -> str:
        await checklist.step("wait", lambda: asyncio.sleep(0.15), success="waited")
        await checklist.step("hang", slow, success="never")
        return "unreachable"

    started = time.monotonic()
    report = await run_checklist(0.3, checks)

    assert time.monotonic() - started < 0.6
    assert report.steps[-1].message == "timed out after 0.3 s"


def test_common_network_errors_become_sentences() -> None:
    assert describe_error(ConnectionRefusedError(), "db:5432") == "connection refused at db:5432"
    assert describe_error(socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "nowhere") == (
        "cannot resolve nowhere: Name or service not known"
    )
    assert describe_error(ValueError("odd")) == "ValueError: odd"
