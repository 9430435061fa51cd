"""Request and response shapes of the node catalog.

Responses are built from the ``Node`` row by ``NodeService.to_schema(..., schema_type=NodeRead)``:
``NodeRead`` has no field for ``encrypted_secrets``, so no route can serialize it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from dlv.connectors import Step

NodeName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
TypeKey = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Description = Annotated[str, msgspec.Meta(max_length=10_000)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Tags = Annotated[list[Tag], msgspec.Meta(max_length=50)]


def _interval(what: str) -> Any:
    """Seconds between scheduled runs of ``what``: 1 s to a week; null means manual only."""
    return Annotated[int, msgspec.Meta(ge=1, le=7 * 86_400, description=f"Seconds between scheduled {what}; null: manual only.")]


Interval = _interval("health checks")
DiscoveryInterval = _interval("discoveries (node types that can discover)")
Config = Annotated[dict[str, Any], msgspec.Meta(description="Settings of the node type; see GET /api/node-types.")]
NodeStatus = Literal["ok", "error", "unknown"]


class NodeCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: NodeName
    type: TypeKey
    config: Config = {}
    description: Description | None = None
    tags: Tags = []
    check_interval_seconds: Interval | None = None
    discovery_interval_seconds: DiscoveryInterval | None = None


class NodeUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """PATCH body: only what is sent changes. ``config`` is merged into the stored one key by
    key, so a secret that is not sent is kept; a secret sent as null is cleared."""

    name: NodeName | msgspec.UnsetType = msgspec.UNSET
    config: Config | msgspec.UnsetType = msgspec.UNSET
    description: Description | None | msgspec.UnsetType = msgspec.UNSET
    tags: Tags | msgspec.UnsetType = msgspec.UNSET
    check_interval_seconds: Interval | None | msgspec.UnsetType = msgspec.UNSET
    discovery_interval_seconds: DiscoveryInterval | None | msgspec.UnsetType = msgspec.UNSET


class NodeTestRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    type: TypeKey
    config: Config = {}


class NodeRead(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    type: str
    config: dict[str, Any]
    secrets_set: list[str]
    description: str | None
    tags: list[str]
    status: NodeStatus
    status_message: str | None
    last_checked_at: datetime | None
    last_latency_ms: float | None
    check_interval_seconds: int | None
    discovery_interval_seconds: int | None
    created_at: datetime
    updated_at: datetime


class NodeCheckRead(msgspec.Struct, kw_only=True):
    id: UUID
    node_id: UUID
    status: NodeStatus
    message: str
    latency_ms: float | None
    steps: list[Step]
    checked_at: datetime
    trigger: str


class NodeTypeRead(msgspec.Struct, kw_only=True):
    key: str
    label: str
    description: str
    config_schema: dict[str, Any]
    secret_fields: list[str]
