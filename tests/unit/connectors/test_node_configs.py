"""How a node's config is stored: secrets split out by dotted path, merged back for a test,
and PATCHed key by key (a secret not sent is kept, one sent as null is cleared)."""

from __future__ import annotations

from dlv.nodes._connectors import join_secrets, merge_patch, split_secrets

PATHS = ("password", "ssh_tunnel.password", "ssh_tunnel.private_key")


def test_split_nulls_every_secret_and_keeps_only_the_set_ones() -> None:
    config = {"host": "db", "password": "p", "ssh_tunnel": {"host": "b", "password": None, "private_key": "k"}}

    public, secrets = split_secrets(config, PATHS)

    assert public == {"host": "db", "password": None, "ssh_tunnel": {"host": "b", "password": None, "private_key": None}}
    assert secrets == {"password": "p", "ssh_tunnel.private_key": "k"}
    assert config["password"] == "p"  # the input is not modified
    assert join_secrets(public, secrets) == config


def test_secret_paths_under_a_missing_parent_are_skipped() -> None:
    public, secrets = split_secrets({"host": "db", "ssh_tunnel": None}, PATHS)

    assert public == {"host": "db", "ssh_tunnel": None, "password": None}
    assert secrets == {}


def test_patch_merges_objects_key_by_key_and_null_replaces() -> None:
    stored = {"host": "db", "password": "p", "ssh_tunnel": {"host": "b", "password": "q"}}

    assert merge_patch(stored, {"port": 6432}) == stored | {"port": 6432}
    assert merge_patch(stored, {"ssh_tunnel": {"host": "c"}})["ssh_tunnel"] == {"host": "c", "password": "q"}
    assert merge_patch(stored, {"password": None})["password"] is None
    assert merge_patch(stored, {"ssh_tunnel": None})["ssh_tunnel"] is None
