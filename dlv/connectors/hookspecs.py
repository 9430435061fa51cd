"""The hooks a DLV plugin implements.

A plugin is a module (or any object) with functions decorated with ``dlv.connectors.hookimpl``
and named like the specs below, exposed through an entry point in the group ``dlv``::

    [project.entry-points.dlv]
    my_connector = "my_package"

DLV's own ``postgresql`` and ``api`` node types are registered the same way, so a plugin can
do everything a built-in does. Hooks only return classes; the (async) work happens in
their methods, because pluggy calls hooks synchronously.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from dlv.connectors._types import NodeType

PROJECT = "dlv"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_node_types() -> list[type[NodeType]]:  # type: ignore[type-arg]
    """Return the node types (connectors) this plugin provides.

    Each item is a subclass of :class:`dlv.connectors.NodeType` with a unique ``key``; two
    installed plugins providing the same key stop DLV's start-up with an error naming both.
    """
