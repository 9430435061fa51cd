"""Plugins through real installed entry points: dlv-ssh (pip install -e plugins/dlv-ssh,
done by `make install`), DLV_PLUGINS filtering, and a duplicate type key stopping start-up."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import msgspec
import pytest

from dlv.app import create_app
from dlv.connectors import PluginError, load_node_types
from tests.integration.nodes.conftest import Client, failed_step, one_database, step_names, try_config


INSTALL_HINT = "dlv-ssh is not installed in this environment: run `make install` (pip install -e plugins/dlv-ssh)"


def test_dlv_ssh_is_installed_as_an_entry_point_plugin() -> None:
    plugins = {entry_point.name: entry_point for entry_point in entry_points(group="dlv")}

    assert "ssh" in plugins, INSTALL_HINT
    assert plugins["ssh"].value == "dlv_ssh"
    assert plugins["ssh"].dist is not None and plugins["ssh"].dist.name == "dlv-ssh"
    assert load_node_types().source("ssh") == "package dlv-ssh (entry point ssh)"


@one_database
async def test_the_ssh_type_is_listed_without_any_change_to_dlv(client: Client, viewer_headers) -> None:
    types = {item["key"]: item for item in (await client.get("/api/node-types", headers=viewer_headers)).json()}

    assert "ssh" in types, INSTALL_HINT
    assert types["ssh"]["secret_fields"] == ["password", "private_key"]
    assert "command" in types["ssh"]["config_schema"]["$defs"]["SSHConfig"]["properties"]


def _ssh(ssh_peer, **overrides) -> dict:
    return {"host": ssh_peer.host, "port": ssh_peer.port, "username": ssh_peer.user, "known_hosts": ssh_peer.known_hosts} | overrides


@one_database
async def test_ssh_login_with_a_password_and_a_command(client: Client, admin_headers, ssh_peer) -> None:
    report, _ = await try_config(client, admin_headers, "ssh", _ssh(ssh_peer, password=ssh_peer.password, command="echo ok"))

    assert report["status"] == "ok", report
    assert step_names(report) == ["check address", "connect", "authenticate", "run command"]
    assert report["steps"][3]["message"] == "'echo ok' exited with status 0"


@one_database
async def test_ssh_login_with_a_private_key_and_no_command(client: Client, admin_headers, ssh_peer) -> None:
    report, _ = await try_config(client, admin_headers, "ssh", _ssh(ssh_peer, private_key=ssh_peer.client_private_key))

    assert report["status"] == "ok", report
    assert step_names(report) == ["check address", "connect", "authenticate"]


@one_database
async def test_ssh_wrong_password_and_failing_command_are_reported(client: Client, admin_headers, ssh_peer) -> None:
    denied, _ = await try_config(client, admin_headers, "ssh", _ssh(ssh_peer, password="not-it"))
    failing, _ = await try_config(client, admin_headers, "ssh", _ssh(ssh_peer, password=ssh_peer.password, command="false"))
    missing, _ = await try_config(client, admin_headers, "ssh", _ssh(ssh_peer, password=ssh_peer.password, command="frobnicate"))

    assert failed_step(denied) == {
        "name": "authenticate", "passed": False, "message": f"authentication failed for user {ssh_peer.user} at 127.0.0.1:{ssh_peer.port}",
    }  # fmt: skip
    assert failed_step(failing)["message"] == "'false' exited with status 1"
    assert failed_step(missing)["message"] == "'frobnicate' exited with status 127: sh: 1: frobnicate: not found"


@one_database
async def test_a_saved_ssh_node_keeps_its_password_secret(client: Client, admin_headers, ssh_peer) -> None:
    created = await client.post(
        "/api/nodes", json={"name": "bastion", "type": "ssh", "config": _ssh(ssh_peer, password=ssh_peer.password, command="true")}, headers=admin_headers
    )

    assert created.status_code == 201, created.text
    assert created.json()["config"]["password"] is None and created.json()["secrets_set"] == ["password"]
    report = await client.post(f"/api/nodes/{created.json()['id']}/test", headers=admin_headers)
    assert report.json()["status"] == "ok"


@one_database
async def test_ssh_config_is_validated_by_the_plugin(client: Client, admin_headers, ssh_peer) -> None:
    response = await client.post("/api/nodes/test", json={"type": "ssh", "config": _ssh(ssh_peer)}, headers=admin_headers)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "config.password"


@one_database
def test_dlv_plugins_limits_which_plugins_load(settings) -> None:
    assert "ssh" in load_node_types(None)
    assert "ssh" in load_node_types("dlv-ssh")
    assert "ssh" in load_node_types("ssh")
    without = load_node_types("none")
    assert "ssh" not in without and {"postgresql", "api"} <= set(without.keys())
    app = create_app(msgspec.structs.replace(settings, plugins="none"))
    assert "ssh" not in app.state.connectors.types


@one_database
def test_dlv_plugins_naming_a_missing_plugin_stops_start_up(settings) -> None:
    with pytest.raises(PluginError, match=r"DLV_PLUGINS names 'dlv-kafka', which is not an installed DLV plugin.*dlv-ssh \(ssh\)"):
        create_app(msgspec.structs.replace(settings, plugins="dlv-ssh,dlv-kafka"))


def _install_fake_distribution(root: Path, name: str, entry_point: str, module: str, source: str) -> None:
    """A real installed distribution (dist-info with entry_points.txt) on sys.path."""
    (root / f"{module}.py").write_text(source)
    dist_info = root / f"{name.replace('-', '_')}-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(f"[dlv]\n{entry_point} = {module}\n")


@one_database
def test_two_plugins_with_the_same_type_key_stop_start_up_naming_both(settings, tmp_path, monkeypatch) -> None:
    _install_fake_distribution(
        tmp_path,
        "dlv-ssh-fork",
        "ssh_fork",
        "dlv_ssh_fork",
        "from dlv.connectors import hookimpl\nfrom dlv_ssh import SSHNodeType\n\n"
        "class Fork(SSHNodeType):\n    label = 'SSH (fork)'\n\n"
        "@hookimpl\ndef register_node_types():\n    return [Fork]\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(PluginError) as raised:
            create_app(settings)

        message = str(raised.value)
        assert "node type 'ssh'" in message
        assert "package dlv-ssh (entry point ssh)" in message and "package dlv-ssh-fork (entry point ssh_fork)" in message
        # Choosing one of them with DLV_PLUGINS resolves the conflict.
        assert load_node_types("dlv-ssh-fork").get("ssh").label == "SSH (fork)"
    finally:
        sys.modules.pop("dlv_ssh_fork", None)


@one_database
def test_two_packages_claiming_one_entry_point_name_stop_start_up(settings, tmp_path, monkeypatch) -> None:
    _install_fake_distribution(tmp_path, "dlv-ssh-clone", "ssh", "dlv_ssh_clone", "")
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(PluginError, match=r"dlv-ssh and dlv-ssh-clone both declare the DLV plugin 'ssh'"):
        create_app(settings)
