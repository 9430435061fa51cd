"""Connectors: the node types DLV can register, test and (later) discover.

Plugins import what they need from here: ``hookimpl``, ``NodeType``, ``ConfigError``,
the report types, the step helpers (``run_checklist``, ``reach``, the SSH helpers) and the
catalog shapes ``discover`` returns (``Discovery``, ``Catalog``, ``DiscoveryScope``...).
"""

from dlv.connectors._catalog import (
    SYSTEM_SCHEMAS,
    Catalog,
    CatalogColumn,
    ColumnUse,
    Dependency,
    Discovery,
    DiscoveryScope,
    Relation,
    RelationKind,
)
from dlv.connectors._checklist import Checklist, Step, StepError, TestReport, describe_error, run_checklist, seconds
from dlv.connectors._network import NetworkPolicy, blocked_reason, endpoint, reach, resolve_allowed
from dlv.connectors._pinned import pinned_transport
from dlv.connectors._registry import NodeTypeRegistry, PluginError, collect_node_types, load_node_types, load_plugin_manager
from dlv.connectors._ssh import (
    SSHTunnel,
    check_credentials,
    close_ssh,
    describe_ssh_error,
    ssh_connect,
    ssh_login,
    ssh_tunnel,
)
from dlv.connectors._types import CheckContext, ConfigError, FieldError, Host, NodeType, Port, TimeoutSeconds
from dlv.connectors.hookspecs import hookimpl

__all__ = [
    "SYSTEM_SCHEMAS",
    "Catalog",
    "CatalogColumn",
    "ColumnUse",
    "Dependency",
    "Discovery",
    "DiscoveryScope",
    "Relation",
    "RelationKind",
    "CheckContext",
    "Checklist",
    "ConfigError",
    "FieldError",
    "Host",
    "NetworkPolicy",
    "NodeType",
    "NodeTypeRegistry",
    "PluginError",
    "Port",
    "SSHTunnel",
    "Step",
    "StepError",
    "TestReport",
    "TimeoutSeconds",
    "blocked_reason",
    "check_credentials",
    "close_ssh",
    "collect_node_types",
    "describe_error",
    "describe_ssh_error",
    "endpoint",
    "hookimpl",
    "load_node_types",
    "load_plugin_manager",
    "pinned_transport",
    "reach",
    "resolve_allowed",
    "run_checklist",
    "seconds",
    "ssh_connect",
    "ssh_login",
    "ssh_tunnel",
]
