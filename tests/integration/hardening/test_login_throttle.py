"""Login throttling: password guessing against one user, or from one address, is cut off
with a 429 that says when to come back; the rightful user's success clears their count."""

from __future__ import annotations

import pytest

from dlv.auth._throttle import MAX_ADDRESS_BACKOFF_SECONDS, LoginThrottle, login_throttle
from dlv.config import SettingsError, load_settings
from tests.conftest import create_user
from tests.integration.hardening.conftest import Client

ALICE_PASSWORD = "amber-kettle-orbit-7"
BOB_PASSWORD = "copper-lantern-fjord-3"
CAROL_PASSWORD = "silver-meadow-pylon-5"


async def _login(client: Client, username: str, password: str):
    return await client.post("/api/auth/login", json={"username": username, "password": password})


def _assert_throttled(response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 300
    assert f"retry in {retry_after} seconds" in response.json()["detail"]


async def test_five_wrong_passwords_lock_that_user_out_even_with_the_right_password(client: Client, session_factory) -> None:
    await create_user(session_factory, "alice", ALICE_PASSWORD, "viewer")
    await create_user(session_factory, "bob", BOB_PASSWORD, "viewer")

    for _ in range(5):
        assert (await _login(client, "alice", "guess-guess")).status_code == 401

    _assert_throttled(await _login(client, "alice", ALICE_PASSWORD))
    _assert_throttled(await _login(client, "ALICE", ALICE_PASSWORD))  # the count is not dodged by case
    # Other users on the same address are not affected.
    assert (await _login(client, "bob", BOB_PASSWORD)).status_code == 200


async def test_a_successful_login_resets_the_users_count(client: Client, session_factory) -> None:
    await create_user(session_factory, "alice", ALICE_PASSWORD, "viewer")

    for _ in range(4):
        assert (await _login(client, "alice", "typo-typo")).status_code == 401
    assert (await _login(client, "alice", ALICE_PASSWORD)).status_code == 200
    for _ in range(4):
        assert (await _login(client, "alice", "typo-typo")).status_code == 401

    assert (await _login(client, "alice", ALICE_PASSWORD)).status_code == 200


async def test_twenty_failures_from_one_address_make_every_login_from_it_wait(client: Client, session_factory) -> None:
    await create_user(session_factory, "carol", CAROL_PASSWORD, "admin")

    for index in range(20):
        assert (await _login(client, f"user{index}", "spray-spray")).status_code == 401
    # Ten more failures, as a sprayer that waited out each backoff would have: the wait grows.
    throttle = login_throttle(client.app.state)
    for index in range(10):
        throttle.failed(f"more{index}", "testclient")

    response = await _login(client, "carol", CAROL_PASSWORD)
    _assert_throttled(response)
    assert int(response.headers["retry-after"]) == MAX_ADDRESS_BACKOFF_SECONDS


def test_an_address_past_its_limit_backs_off_instead_of_locking_out_for_the_window() -> None:
    now = [1000.0]
    throttle = LoginThrottle(per_user=100, per_address=3, window_seconds=300, clock=lambda: now[0])
    for index in range(3):
        throttle.failed(f"sprayed{index}", "10.0.0.9")

    waits = []
    for index in range(9):
        waits.append(throttle.retry_after("someone", "10.0.0.9"))
        now[0] += waits[-1]
        throttle.failed(f"again{index}", "10.0.0.9")

    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    # A colleague behind the same proxy, after the attacker's latest guess, waits at most a minute, never the window.
    now[0] += 60
    assert throttle.retry_after("colleague", "10.0.0.9") is None


def test_failures_age_out_of_the_sliding_window() -> None:
    now = [1000.0]
    throttle = LoginThrottle(per_user=2, per_address=100, window_seconds=60, clock=lambda: now[0])

    throttle.failed("dave", "10.0.0.1")
    now[0] += 30
    throttle.failed("dave", "10.0.0.1")
    assert throttle.retry_after("dave", "10.0.0.1") == 30  # the first failure leaves the window in 30 s

    now[0] += 30
    assert throttle.retry_after("dave", "10.0.0.1") is None
    throttle.failed("dave", "10.0.0.1")
    assert throttle.retry_after("dave", "10.0.0.1") == 30
    assert throttle.retry_after("erin", "10.0.0.2") is None


@pytest.mark.parametrize("variable", ["DLV_LOGIN_MAX_FAILURES_PER_USER", "DLV_LOGIN_MAX_FAILURES_PER_ADDRESS", "DLV_LOGIN_THROTTLE_WINDOW_SECONDS"])
def test_throttle_settings_must_be_positive(variable: str, tmp_path) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings({variable: "0", "DLV_DATA_DIR": str(tmp_path)})
    assert getattr(load_settings({variable: "7", "DLV_DATA_DIR": str(tmp_path)}), variable[4:].lower()) == 7
