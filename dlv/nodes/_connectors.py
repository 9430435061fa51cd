"""What the node catalog needs besides the database: the installed node types, the key for
stored secrets and the network policy; and the rules for turning a config that a client
sent into what is stored (validated, secrets split out and encrypted) and back.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from dataclasses import dataclass
from typing import Any

import msgspec

from dlv.config import Settings
from dlv.connectors import (
    CheckContext,
    ConfigError,
    NetworkPolicy,
    NodeType,
    NodeTypeRegistry,
    Step,
    TestReport,
    load_node_types,
)
from dlv.db.models import Node
from dlv.lib.crypto import SecretBox, SecretsUnreadable
from dlv.lib.exceptions import InvalidFields, invalid

logger = logging.getLogger("dlv.nodes")

MAX_CONFIG_BYTES = 64 * 1024
# A connector enforces its own timeout; this only stops a broken plugin from hanging a check.
CONNECTOR_HARD_LIMIT_SECONDS = 180


def _in_config(field: str) -> str:
    return "config" if field == "config" else f"config.{field}"


class PreparedConfig(msgspec.Struct):
    public: dict[str, Any]
    sealed_secrets: str | None
    secrets_set: list[str]


def _parent(config: dict[str, Any], path: str) -> tuple[dict[str, Any] | None, str]:
    *parents, leaf = path.split(".")
    node: Any = config
    for name in parents:
        node = node.get(name) if isinstance(node, dict) else None
    return (node if isinstance(node, dict) else None), leaf


def split_secrets(config: dict[str, Any], paths: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(config with each secret set to null, {dotted path: secret value} of the secrets set)."""
    public = copy.deepcopy(config)
    secrets: dict[str, Any] = {}
    for path in paths:
        parent, leaf = _parent(public, path)
        if parent is None:
            continue
        value = parent.get(leaf)
        if value == {}:  # an empty map hides nothing: keep it, so the config stays valid as is
            continue
        parent[leaf] = None
        if value is not None:
            secrets[path] = value
    return public, secrets


def join_secrets(public: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
    config = copy.deepcopy(public)
    for path, value in secrets.items():
        parent, leaf = _parent(config, path)
        if parent is not None:
            parent[leaf] = value
    return config


def merge_patch(stored: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Keys sent replace stored ones (null included); objects are merged key by key."""
    merged = copy.deepcopy(stored)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def failed_report(message: str) -> TestReport:
    return TestReport(status="error", message=message, latency_ms=None, steps=[Step(name="prepare", passed=False, message=message)])


@dataclass(frozen=True)
class Connectors:
    types: NodeTypeRegistry
    secrets: SecretBox
    context: CheckContext

    @classmethod
    def from_settings(cls, settings: Settings) -> Connectors:
        """Load the plugins DLV_PLUGINS allows (raises PluginError when they conflict)."""
        return cls(
            types=load_node_types(settings.plugins),
            secrets=SecretBox(settings.secret_key),
            context=CheckContext(network=NetworkPolicy(block_private_networks=settings.block_private_networks)),
        )

    def node_type(self, key: str) -> NodeType[Any]:
        node_type = self.types.get(key)
        if node_type is None:
            known = ", ".join(self.types.keys())
            raise invalid("type", f"unknown node type {key!r}; use one of {known} (GET /api/node-types lists them)")
        return node_type

    def parse(self, key: str, raw: dict[str, Any]) -> tuple[NodeType[Any], msgspec.Struct]:
        """The node type and its validated config; 400 naming the field (``config.port``) otherwise."""
        node_type = self.node_type(key)
        size = len(msgspec.json.encode(raw))
        if size > MAX_CONFIG_BYTES:
            raise invalid("config", f"is {size:,} bytes of JSON; a node config may have at most {MAX_CONFIG_BYTES:,}")
        try:
            return node_type, node_type.parse(raw)
        except ConfigError as exc:
            raise InvalidFields([(_in_config(error.field), error.message) for error in exc.errors]) from None

    def prepare(self, key: str, raw: dict[str, Any]) -> PreparedConfig:
        node_type, config = self.parse(key, raw)
        public, secrets = split_secrets(msgspec.to_builtins(config), node_type.secret_fields)
        return PreparedConfig(
            public=public,
            sealed_secrets=self.secrets.seal(secrets) if secrets else None,
            secrets_set=sorted(secrets),
        )

    def stored_config(self, node: Node) -> dict[str, Any]:
        """The node's full config, secrets included (raises SecretsUnreadable)."""
        secrets = self.secrets.open(node.encrypted_secrets) if node.encrypted_secrets else {}
        return join_secrets(node.config, secrets)

    async def test(self, node_type: NodeType[Any], config: msgspec.Struct) -> TestReport:
        try:
            async with asyncio.timeout(CONNECTOR_HARD_LIMIT_SECONDS):
                return await node_type.test_connection(config, self.context)
        except TimeoutError:
            return failed_report(f"the {node_type.key} connector did not finish within {CONNECTOR_HARD_LIMIT_SECONDS} s")
        except Exception as exc:  # a plugin's bug must not turn a check into a 500 or stop the scheduler
            logger.exception("the %s connector failed while testing a connection", node_type.key)
            return failed_report(
                f"the {node_type.key} connector failed unexpectedly ({type(exc).__name__}); the server log has details"
            )

    async def test_node(self, node: Node) -> TestReport:
        """Test a saved node; anything that stops the test (type not installed, unreadable
        secrets, a config the type no longer accepts) becomes an error report."""
        node_type = self.types.get(node.type)
        if node_type is None:
            return failed_report(f"node type {node.type!r} is not installed; install the plugin that provides it")
        try:
            raw = self.stored_config(node)
        except SecretsUnreadable as exc:
            return failed_report(f"cannot read the stored secrets: {exc}")
        try:
            config = node_type.parse(raw)
        except ConfigError as exc:
            return failed_report(f"the stored config is not valid for {node.type} any more ({exc}); edit the node")
        return await self.test(node_type, config)
