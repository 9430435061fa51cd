"""Login throttling: too many failed logins for one username, or from one client address,
within a sliding window get 429 with Retry-After instead of another password check.

A username past its limit waits until its failures leave the window. An address past its
limit backs off instead (1, 2, 4 ... at most MAX_ADDRESS_BACKOFF_SECONDS after its latest
failure): guessing from it slows to a crawl, while the other people behind the same proxy
or NAT are only ever delayed by seconds, never locked out for the whole window. The
address is the TCP peer unless DLV_TRUSTED_PROXIES names the proxy in front of DLV.

In memory, per process: it slows password guessing down; it is not shared between workers
(each `dlv serve --workers N` process counts on its own).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from litestar.datastructures import State

# Past this many tracked usernames/addresses the oldest are forgotten, so a flood of
# made-up usernames cannot grow memory without bound.
MAX_TRACKED_KEYS = 10_000
MAX_ADDRESS_BACKOFF_SECONDS = 60.0


class LoginThrottle:
    def __init__(self, per_user: int, per_address: int, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_user = per_user
        self.per_address = per_address
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def _wait(self, key: str, limit: int, now: float) -> float:
        failures = self._recent(key, now)
        if len(failures) < limit:
            return 0.0
        # Blocked until enough of the failures in the window have aged out of it.
        return failures[-limit] + self.window - now

    def _backoff(self, key: str, limit: int, now: float) -> float:
        failures = self._recent(key, now)
        excess = len(failures) - limit
        if excess < 0:
            return 0.0
        return failures[-1] + min(MAX_ADDRESS_BACKOFF_SECONDS, 2.0**excess) - now

    def retry_after(self, username: str, address: str) -> int | None:
        """Whole seconds to wait before this login may be tried, or None when it may be now."""
        now = self.clock()
        wait = max(self._wait(_user_key(username), self.per_user, now), self._backoff(_address_key(address), self.per_address, now))
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, username: str, address: str) -> None:
        now = self.clock()
        for key in (_user_key(username), _address_key(address)):
            self._recent(key, now)
            self._failures.setdefault(key, deque()).append(now)
        while len(self._failures) > MAX_TRACKED_KEYS:
            del self._failures[next(iter(self._failures))]

    def succeeded(self, username: str) -> None:
        """A correct password clears that user's failures (the address keeps its count)."""
        self._failures.pop(_user_key(username), None)


def _user_key(username: str) -> str:
    return "user:" + username.casefold()


def _address_key(address: str) -> str:
    return "address:" + address


def login_throttle(state: State) -> LoginThrottle:
    """The app's one throttle, made from its settings on first use (kept in app state)."""
    throttle = state.get("login_throttle")
    if throttle is None:
        settings = state.settings
        throttle = LoginThrottle(
            settings.login_max_failures_per_user, settings.login_max_failures_per_address, settings.login_throttle_window_seconds
        )
        state["login_throttle"] = throttle
    return throttle
