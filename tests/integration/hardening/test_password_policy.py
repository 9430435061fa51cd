"""Password policy for local users: long enough (DLV_PASSWORD_MIN_LENGTH), not the username,
not one of the most common passwords; wherever a password is set, with a 400 naming the rule."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from dlv.auth._passwords import COMMON_PASSWORDS, password_problem
from dlv.cli import _bootstrap_admin, main
from dlv.config import SettingsError, load_settings
from dlv.db.models import User
from tests.conftest import login
from tests.integration.hardening.conftest import Client, client_with

GOOD = "amber-kettle-orbit-7"
REFUSED = {
    "eleven-char": "must have at least 12 characters (DLV_PASSWORD_MIN_LENGTH)",
    "xx-bobby_tables-xx": "must not be or contain the username",
    "BobBy_Tables": "must not be or contain the username",
    "Password1234": "is one of the most common passwords",
}


async def _usernames(session_factory) -> list[str]:
    async with session_factory() as session:
        return sorted((await session.scalars(select(User.username))).all())


@pytest.mark.parametrize("password", list(REFUSED))
async def test_a_weak_password_is_refused_naming_the_rule_and_nothing_is_stored(
    client: Client, admin_headers, session_factory, password: str
) -> None:
    response = await client.post(
        "/api/auth/users", json={"username": "bobby_tables", "password": password, "role": "viewer"}, headers=admin_headers
    )

    assert response.status_code == 400
    assert f"Invalid field password: it {REFUSED[password]}" in response.json()["detail"]
    assert await _usernames(session_factory) == ["admin"]


async def test_changing_a_password_follows_the_same_rules(client: Client, admin_headers) -> None:
    bob = (await client.post("/api/auth/users", json={"username": "bobby_tables", "password": GOOD}, headers=admin_headers)).json()

    weak = await client.patch(f"/api/auth/users/{bob['id']}", json={"password": "bobby_tables_2"}, headers=admin_headers)
    strong = await client.patch(f"/api/auth/users/{bob['id']}", json={"password": "copper-lantern-fjord-3"}, headers=admin_headers)

    assert weak.status_code == 400 and "username" in weak.json()["detail"]
    assert strong.status_code == 200
    await login(client, "bobby_tables", "copper-lantern-fjord-3")


async def test_the_minimum_length_is_a_setting(settings, admin_headers, session_factory) -> None:
    async with client_with(settings, password_min_length=24) as strict:
        short = await strict.post("/api/auth/users", json={"username": "bob", "password": GOOD}, headers=admin_headers)
        long = await strict.post("/api/auth/users", json={"username": "bob", "password": GOOD + "-and-more"}, headers=admin_headers)

    assert short.status_code == 400 and "at least 24 characters" in short.json()["detail"]
    assert long.status_code == 201


async def test_the_cli_applies_the_policy(database_url, session_factory, tmp_path) -> None:
    env = {"DLV_DATABASE_URL": database_url, "DLV_DATA_DIR": str(tmp_path), "DLV_SECRET_KEY": "k" * 40}
    runner = CliRunner()

    refused = await asyncio.to_thread(runner.invoke, main, ["user", "create", "carol", "--password", "carol-rocks-123"], env=env)
    created = await asyncio.to_thread(runner.invoke, main, ["user", "create", "carol", "--password", GOOD], env=env)
    reset = await asyncio.to_thread(runner.invoke, main, ["user", "set-password", "carol", "--password", "qwerty123456"], env=env)

    assert refused.exit_code == 1 and "must not be or contain the username" in refused.output
    assert created.exit_code == 0, created.output
    assert reset.exit_code == 1 and "most common passwords" in reset.output
    assert await _usernames(session_factory) == ["carol"]


async def test_a_weak_bootstrap_admin_password_stops_start_up_naming_the_variable(settings, session_factory, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        await _bootstrap_admin(msgspec.structs.replace(settings, admin_password="admin-password"))

    assert stopped.value.code == 2
    assert "DLV_ADMIN_PASSWORD is not accepted" in capsys.readouterr().err
    assert await _usernames(session_factory) == []


async def test_a_generated_bootstrap_password_meets_a_high_minimum(client: Client, settings, session_factory, capsys) -> None:
    await _bootstrap_admin(msgspec.structs.replace(settings, admin_password=None, password_min_length=40))

    generated = capsys.readouterr().err.split("with password: ")[1].split()[0]
    assert len(generated) >= 40
    await login(client, "admin", generated)


def test_the_common_list_is_checked_case_insensitively_and_holds_long_entries() -> None:
    assert password_problem("QWERTYUIOP123", "bob") is not None
    assert sum(len(entry) >= 12 for entry in COMMON_PASSWORDS) >= 30


def test_a_minimum_below_eight_stops_start_up(tmp_path) -> None:
    with pytest.raises(SettingsError, match="DLV_PASSWORD_MIN_LENGTH=6 is not valid: expected 8 to 1024"):
        load_settings({"DLV_PASSWORD_MIN_LENGTH": "6", "DLV_DATA_DIR": str(tmp_path)})
