"""The plugin manager and the node-type registry: every hook, every start-up error.

Plugins registered here are objects registered for one test (and unregistered after),
as pytest's own plugin tests do; loading from installed packages is covered by
tests/integration/nodes/test_plugins.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pluggy
import pytest

from dlv.connectors import (
    CheckContext,
    ConfigError,
    NodeType,
    PluginError,
    TestReport,
    collect_node_types,
    hookimpl,
    load_plugin_manager,
)
from dlv.connectors import hookspecs


class KafkaConfig(msgspec.Struct, forbid_unknown_fields=True):
    brokers: list[str]
    sasl: KafkaSasl | None = None


class KafkaSasl(msgspec.Struct):
    username: str
    password: str | None = None


class KafkaNodeType(NodeType[KafkaConfig]):
    key = "kafka"
    label = "Kafka"
    config_type = KafkaConfig
    secret_fields = ("sasl.password",)

    def validate(self, config: KafkaConfig) -> KafkaConfig:
        if not config.brokers:
            raise ConfigError.of("brokers", "give at least one broker")
        return config

    async def test_connection(self, config: KafkaConfig, context: CheckContext) -> TestReport:
        return TestReport(status="ok", message="fine", latency_ms=1.0)


class _Plugin:
    """A plugin object (pluggy accepts any object with hookimpl methods)."""

    def __init__(self, *types: Any) -> None:
        self.types = types

    @hookimpl
    def register_node_types(self) -> list[Any]:
        return list(self.types)



@pytest.fixture
def manager() -> Iterator[pluggy.PluginManager]:
    yield load_plugin_manager()


def _with(manager: pluggy.PluginManager, plugin: Any) -> Any:
    manager.register(plugin, name="test-plugin")
    try:
        return collect_node_types(manager)
    finally:
        manager.unregister(name="test-plugin")


def test_hook_register_node_types_adds_a_plugins_types_beside_the_built_ins(manager) -> None:
    registry = _with(manager, _Plugin(KafkaNodeType))

    assert {"api", "postgresql", "kafka"} <= set(registry.keys())
    assert registry.source("kafka") == "plugin test-plugin"
    assert registry.source("postgresql") == "package dlv (entry point postgresql)"
    assert "kafka" not in collect_node_types(manager)  # unregistered after the test


HOOKS = sorted(name for name in dir(load_plugin_manager().hook) if not name.startswith("_"))


@pytest.mark.parametrize("hook", HOOKS)
def test_plugin_hooks_have_tests(hook: str) -> None:
    """Every hook in dlv.connectors.hookspecs has a test named test_hook_<hook> in this module
    (datasette's tests/test_plugins.py::test_plugin_hooks_have_tests): a new hook without
    one fails here."""
    assert any(name.startswith(f"test_hook_{hook}") for name in globals()), f"the {hook} hook has no test_hook_{hook}* test"


def test_every_hookspec_is_a_hook() -> None:
    specs = {name for name, item in vars(hookspecs).items() if callable(item) and hasattr(item, f"{hookspecs.PROJECT}_spec")}
    assert specs and specs == set(HOOKS)


def test_parse_names_nested_fields_and_runs_the_types_own_rules() -> None:
    kafka = KafkaNodeType()

    with pytest.raises(ConfigError) as missing:
        kafka.parse({"brokers": ["b:9092"], "sasl": {}})
    with pytest.raises(ConfigError) as empty:
        kafka.parse({"brokers": []})

    assert (missing.value.errors[0].field, empty.value.errors[0].field) == ("sasl.username", "brokers")
    assert kafka.parse({"brokers": ["b:9092"]}).brokers == ["b:9092"]
    assert not kafka.can_discover()


def test_a_hook_returning_something_else_than_node_types_stops_start_up(manager) -> None:
    with pytest.raises(PluginError, match=r"plugin test-plugin returned .* expected NodeType subclasses"):
        _with(manager, _Plugin(KafkaNodeType()))


def test_an_invalid_key_or_secret_field_stops_start_up(manager) -> None:
    class BadKey(KafkaNodeType):
        key = "Kafka Cluster"

    class BadSecret(KafkaNodeType):
        secret_fields = ("sasl.token",)

    with pytest.raises(PluginError, match="key must be lowercase"):
        _with(manager, _Plugin(BadKey))
    with pytest.raises(PluginError, match="secret field 'sasl.token' of node type 'kafka'"):
        _with(manager, _Plugin(BadSecret))


def test_a_second_type_with_a_taken_key_names_both_sources(manager) -> None:
    class AnotherApi(KafkaNodeType):
        key = "api"

    with pytest.raises(PluginError, match=r"Two plugins provide the node type 'api': package dlv \(entry point api\) and plugin test-plugin"):
        _with(manager, _Plugin(AnotherApi))


def test_missing_built_ins_mean_stale_package_metadata() -> None:
    bare = pluggy.PluginManager(hookspecs.PROJECT)
    bare.add_hookspecs(hookspecs)
    bare.register(_Plugin(KafkaNodeType), name="only-kafka")

    with pytest.raises(PluginError, match="built-in node types api, postgresql are not registered"):
        collect_node_types(bare)


def test_every_built_in_type_declares_what_the_ui_needs(manager) -> None:
    for node_type in collect_node_types(manager):
        assert node_type.label and node_type.description
        schema = node_type.config_schema()
        assert "$defs" in schema and schema["$defs"][node_type.config_type.__name__]["type"] == "object"
