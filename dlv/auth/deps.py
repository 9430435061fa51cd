"""The auth domain's dependencies: the process's login throttle."""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import Provide

from dlv.auth._throttle import LoginThrottle, login_throttle


def provide_login_throttle(state: State) -> LoginThrottle:
    return login_throttle(state)


LOGIN_THROTTLE = {"throttle": Provide(provide_login_throttle, sync_to_thread=False)}
