"""Test-connection reports: named steps that each pass or say exactly why they failed.

Every connector runs its checks through a :class:`Checklist`, which gives each step what
is left of the connector's time budget, stops at the first failing step and turns the
failure into a sentence ("connection refused at db:5432", "timed out after 5 s").
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

import msgspec

T = TypeVar("T")


class Step(msgspec.Struct):
    name: str
    passed: bool
    message: str


class TestReport(msgspec.Struct):
    """What "test connection" answers: ok or error, why, how long it took, and each step."""

    __test__ = False  # not a pytest test class, despite the name

    status: Literal["ok", "error"]
    message: str
    latency_ms: float | None
    steps: list[Step] = msgspec.field(default_factory=list)


class StepError(Exception):
    """Raise inside a step to fail it with this message (shown to the user as is)."""


class _Stopped(Exception):
    """A step failed; the checklist stops and reports it."""


def describe_error(exc: BaseException, target: str | None = None) -> str:
    """A sentence for the common network failures; connectors add their own on top."""
    where = f" at {target}" if target else ""
    if isinstance(exc, StepError):
        return str(exc)
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused{where}"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve {target or 'the host name'}: {exc.strerror}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate verification failed{where}: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed{where}: {exc.reason or exc}"
    if isinstance(exc, ConnectionResetError):
        return f"the connection was reset by the peer{where}"
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return f"host unreachable{where}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}{where}"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def seconds(value: float) -> str:
    return f"{value:g} s"


class Checklist:
    """Runs a connector's steps within one time budget and records each outcome."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.steps: list[Step] = []
        self._started = time.monotonic()

    def elapsed_ms(self) -> float:
        return round((time.monotonic() - self._started) * 1000, 1)

    def remaining(self) -> float:
        return self.timeout - (time.monotonic() - self._started)

    async def step(
        self,
        name: str,
        action: Callable[[], Awaitable[T]],
        *,
        success: str | Callable[[T], str],
        describe: Callable[[BaseException], str] = describe_error,
    ) -> T:
        """Run ``action`` as step ``name``; on failure record why and stop the checklist."""
        try:
            if self.remaining() <= 0:
                raise TimeoutError
            async with asyncio.timeout(self.remaining()):
                result = await action()
        except TimeoutError:
            self._record(name, False, f"timed out after {seconds(self.timeout)}")
            raise _Stopped from None
        except Exception as exc:  # every failure of a step is reported, never raised to the caller
            self._record(name, False, describe(exc))
            raise _Stopped from None
        self._record(name, True, success(result) if callable(success) else success)
        return result

    def pass_step(self, name: str, message: str) -> None:
        """Record a step that needs no I/O (e.g. a measurement)."""
        self._record(name, True, message)

    def _record(self, name: str, passed: bool, message: str) -> None:
        self.steps.append(Step(name=name, passed=passed, message=message))

    def report(self, message: str) -> TestReport:
        failed = next((step for step in self.steps if not step.passed), None)
        if failed is not None:
            return TestReport(
                status="error", message=f"{failed.name}: {failed.message}", latency_ms=None, steps=self.steps
            )
        return TestReport(status="ok", message=message, latency_ms=self.elapsed_ms(), steps=self.steps)


async def run_checklist(timeout: float, checks: Callable[[Checklist], Awaitable[str]]) -> TestReport:
    """Run ``checks`` (which returns the success message) and turn the outcome into a report."""
    checklist = Checklist(timeout)
    try:
        message = await checks(checklist)
    except _Stopped:
        message = ""
    return checklist.report(message)
