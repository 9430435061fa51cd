"""Login throttling: password guessing against one user, or from one address, is cut off
with a 429 that says when to come back; the rightful user's success clears their count."""

from __future__ import annotations

import pytest

from dlv.auth._throttle import LoginThrottle
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


async def test_twenty_failures_from_one_address_block_every_login_from_it(client: Client, session_factory) -> None:
    await create_user(session_factory, "carol", CAROL_PASSWORD, "admin")

    for index in range(20):
        assert (await _login(client, f"user{index}", "spray-spray")).status_code == 401

    _assert_throttled(await _login(client, "carol", CAROL_PASSWORD))


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
