"""The connector settings: DLV_PLUGINS and DLV_BLOCK_PRIVATE_NETWORKS."""

from __future__ import annotations

import pytest

from dlv.config import SettingsError, load_settings


def test_defaults_load_every_plugin_and_allow_private_networks(tmp_path) -> None:
    settings = load_settings({"DLV_DATA_DIR": str(tmp_path)})

    assert settings.plugins is None
    assert settings.block_private_networks is False


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("TRUE", True), ("yes", True), ("0", False), ("false", False), ("off", False)])
def test_booleans_accept_the_usual_spellings(tmp_path, raw: str, value: bool) -> None:
    settings = load_settings({"DLV_DATA_DIR": str(tmp_path), "DLV_BLOCK_PRIVATE_NETWORKS": raw, "DLV_PLUGINS": "dlv-ssh"})

    assert settings.block_private_networks is value
    assert settings.plugins == "dlv-ssh"


def test_an_invalid_boolean_names_the_variable(tmp_path) -> None:
    with pytest.raises(SettingsError, match=r"DLV_BLOCK_PRIVATE_NETWORKS='maybe' is not valid: expected true or false"):
        load_settings({"DLV_DATA_DIR": str(tmp_path), "DLV_BLOCK_PRIVATE_NETWORKS": "maybe"})
