"""Shapes of the dashboards API: a saved canvas and its layout JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Description = Annotated[str, msgspec.Meta(max_length=10_000)]
Depth = Annotated[int, msgspec.Meta(ge=0, le=1000)]


class Position(msgspec.Struct, forbid_unknown_fields=True):
    x: float
    y: float


class Viewport(msgspec.Struct, forbid_unknown_fields=True):
    x: float = 0.0
    y: float = 0.0
    zoom: Annotated[float, msgspec.Meta(gt=0, le=100)] = 1.0


class Annotation(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A note pinned on the canvas, optionally to one node."""

    text: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    x: float = 0.0
    y: float = 0.0
    node_id: UUID | None = None


class Layout(msgspec.Struct, forbid_unknown_fields=True):
    """Everything needed to reopen a canvas as it was saved."""

    root_id: UUID | None = None
    upstream_depth: Depth = 2
    downstream_depth: Depth = 2
    columns: bool = False
    expanded: Annotated[list[UUID], msgspec.Meta(max_length=1000)] = []
    positions: dict[str, Position] = {}
    viewport: Viewport | None = None
    annotations: Annotated[list[Annotation], msgspec.Meta(max_length=500)] = []
    impact: bool = False


class DashboardCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    description: Description | None = None
    layout: Layout = msgspec.field(default_factory=Layout)


class DashboardUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """PATCH body: only the fields sent change (rename = send just ``name``)."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    description: Description | None | msgspec.UnsetType = msgspec.UNSET
    layout: Layout | msgspec.UnsetType = msgspec.UNSET


class DashboardSummary(msgspec.Struct):
    """A list row: everything but the (possibly large) layout."""

    id: UUID
    name: str
    description: str | None
    owner: str
    created_at: datetime
    updated_at: datetime


class DashboardRead(msgspec.Struct):
    id: UUID
    name: str
    description: str | None
    owner: str
    layout: Layout
    created_at: datetime
    updated_at: datetime


