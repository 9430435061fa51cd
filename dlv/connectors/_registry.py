"""Loading plugins and collecting their node types into one registry.

Installed plugins are found through the entry-point group ``dlv`` (DLV's built-ins use it
too). ``DLV_PLUGINS`` can limit which third-party plugins load; anything inconsistent
(a name in DLV_PLUGINS that is not installed, two plugins with the same type key, a hook
that returns something other than a NodeType) stops start-up with a message naming the
packages involved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import msgspec
import msgspec.inspect
import pluggy

from dlv.connectors import hookspecs
from dlv.connectors._types import NodeType

BUILTIN_DISTRIBUTION = "dlv"
BUILTIN_TYPES = ("api", "postgresql")
NO_PLUGINS = "none"
_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,99}$")


class PluginError(Exception):
    """The installed plugins cannot be loaded as configured; the message says what to change."""


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _distribution(entry_point: EntryPoint) -> str:
    return entry_point.dist.name if entry_point.dist is not None else "(unknown package)"


def _installed() -> list[EntryPoint]:
    return list(entry_points(group=hookspecs.PROJECT))


def _check_unique_entry_point_names(installed: list[EntryPoint]) -> None:
    # pluggy silently skips a second entry point with a name it already loaded; two packages
    # competing for one name would then hide one of them, so say so instead.
    owners: dict[str, str] = {}
    for entry_point in installed:
        owner = _distribution(entry_point)
        first = owners.setdefault(entry_point.name, owner)
        if _normalize(first) != _normalize(owner):
            first, owner = sorted([first, owner])
            raise PluginError(
                f"The packages {first} and {owner} both declare the DLV plugin {entry_point.name!r}; "
                "uninstall one of them."
            )


def _wanted(plugins: str | None, installed: list[EntryPoint]) -> set[str] | None:
    """Entry-point names DLV_PLUGINS selects among third-party plugins (None: all of them)."""
    if plugins is None or not plugins.strip():
        return None
    names = {name.strip() for name in plugins.split(",") if name.strip()}
    if names == {NO_PLUGINS}:
        return set()
    third_party = [ep for ep in installed if _normalize(_distribution(ep)) != BUILTIN_DISTRIBUTION]
    selected: set[str] = set()
    for name in sorted(names):
        matches = {ep.name for ep in third_party if name == ep.name or _normalize(name) == _normalize(_distribution(ep))}
        if not matches:
            available = ", ".join(sorted(f"{_distribution(ep)} ({ep.name})" for ep in third_party)) or "none"
            raise PluginError(
                f"DLV_PLUGINS names {name!r}, which is not an installed DLV plugin; installed plugins: {available}. "
                f"Install it, or remove it from DLV_PLUGINS (use {NO_PLUGINS!r} to load no plugin)."
            )
        selected |= matches
    return selected


def load_plugin_manager(plugins: str | None = None) -> pluggy.PluginManager:
    """A plugin manager with DLV's hookspecs and every installed plugin DLV_PLUGINS allows."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    installed = _installed()
    _check_unique_entry_point_names(installed)
    wanted = _wanted(plugins, installed)
    if wanted is not None:
        for entry_point in installed:
            builtin = _normalize(_distribution(entry_point)) == BUILTIN_DISTRIBUTION
            if not builtin and entry_point.name not in wanted:
                manager.set_blocked(entry_point.name)
    manager.load_setuptools_entrypoints(hookspecs.PROJECT)
    return manager


class NodeTypeRegistry:
    """The node types DLV knows, by key, with the package each one came from."""

    def __init__(self, types: dict[str, NodeType[Any]], sources: dict[str, str], manager: pluggy.PluginManager) -> None:
        self._types = dict(sorted(types.items()))
        self._sources = sources
        self.plugin_manager = manager

    def get(self, key: str) -> NodeType[Any] | None:
        return self._types.get(key)

    def source(self, key: str) -> str:
        return self._sources[key]

    def keys(self) -> list[str]:
        return list(self._types)

    def __iter__(self) -> Iterator[NodeType[Any]]:
        return iter(self._types.values())

    def __contains__(self, key: object) -> bool:
        return key in self._types


def _plugin_sources(manager: pluggy.PluginManager) -> dict[int, str]:
    sources = {id(plugin): f"plugin {manager.get_name(plugin)}" for plugin in manager.get_plugins()}
    for plugin, dist in manager.list_plugin_distinfo():
        sources[id(plugin)] = f"package {dist.project_name} (entry point {manager.get_name(plugin)})"
    return sources


def _struct_field_type(struct_type: Any, name: str) -> Any:
    info = msgspec.inspect.type_info(struct_type)
    if isinstance(info, msgspec.inspect.StructType):
        for field in info.fields:
            if field.name == name:
                return field.type
    return None


def _nested_struct(field_type: Any) -> Any:
    """The Struct inside ``Struct | None``, or None when the field holds no Struct."""
    candidates = field_type.types if isinstance(field_type, msgspec.inspect.UnionType) else (field_type,)
    for candidate in candidates:
        if isinstance(candidate, msgspec.inspect.StructType):
            return candidate.cls
    return None


def _check_secret_path(config_type: Any, path: str) -> bool:
    struct_type = config_type
    *parents, leaf = path.split(".")
    for parent in parents:
        struct_type = _nested_struct(_struct_field_type(struct_type, parent))
        if struct_type is None:
            return False
    return _struct_field_type(struct_type, leaf) is not None


def _instantiate(candidate: Any, source: str) -> NodeType[Any]:
    if not (isinstance(candidate, type) and issubclass(candidate, NodeType)):
        raise PluginError(f"{source} returned {candidate!r} from register_node_types; expected NodeType subclasses.")
    key = getattr(candidate, "key", None)
    if not isinstance(key, str) or not _KEY.match(key):
        raise PluginError(f"{source}: {candidate.__name__}.key must be lowercase letters, digits, _ or -; got {key!r}.")
    config_type = getattr(candidate, "config_type", None)
    if not (isinstance(config_type, type) and issubclass(config_type, msgspec.Struct)):
        raise PluginError(f"{source}: {candidate.__name__}.config_type must be a msgspec.Struct class.")
    for path in candidate.secret_fields:
        if not _check_secret_path(config_type, path):
            raise PluginError(f"{source}: secret field {path!r} of node type {key!r} is not a field of {config_type.__name__}.")
    return candidate()


def collect_node_types(manager: pluggy.PluginManager) -> NodeTypeRegistry:
    sources = _plugin_sources(manager)
    types: dict[str, NodeType[Any]] = {}
    type_sources: dict[str, str] = {}
    # Called one implementation at a time so each type can be traced to its package.
    for implementation in manager.hook.register_node_types.get_hookimpls():
        source = sources.get(id(implementation.plugin), f"plugin {implementation.plugin_name}")
        for candidate in implementation.function() or ():
            node_type = _instantiate(candidate, source)
            if node_type.key in types:
                first, second = sorted([type_sources[node_type.key], source])
                raise PluginError(
                    f"Two plugins provide the node type {node_type.key!r}: {first} and {second}. "
                    "Uninstall one of them, or choose which to load with DLV_PLUGINS."
                )
            types[node_type.key] = node_type
            type_sources[node_type.key] = source
    missing = [key for key in BUILTIN_TYPES if key not in types]
    if missing:
        raise PluginError(
            f"DLV's built-in node types {', '.join(missing)} are not registered: the installed package metadata "
            "is out of date. Reinstall DLV (pip install -e . or make install)."
        )
    return NodeTypeRegistry(types, type_sources, manager)


def load_node_types(plugins: str | None = None) -> NodeTypeRegistry:
    """Load the installed plugins (as DLV_PLUGINS allows) and collect their node types."""
    return collect_node_types(load_plugin_manager(plugins))
