"""Every text a request may send is bounded by the column it is stored in: a longer value is
a 400 naming the field, never a database error (PostgreSQL refuses it, SQLite would keep it).
Compares each request shape with its model, field by field, so a new column or field is
checked without anyone remembering to."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from sqlalchemy import String

from dlv.alerts._schemas import ChannelCreate, ChannelUpdate, RuleCreate, RuleUpdate
from dlv.auth._schemas import TokenCreate, UserCreate, UserUpdate
from dlv.dashboards._schemas import DashboardCreate, DashboardUpdate
from dlv.db.models import AlertChannel, AlertRule, ApiToken, AssetAlias, Dashboard, DataAsset, LineageEvent, Node, Process, User
from dlv.lineage._schemas import AssetCreate, AssetUpdate, EntityRef, ProcessCreate, ProcessUpdate
from dlv.nodes._schemas import NodeCreate, NodeUpdate
from dlv.openlineage._spec import Dataset, Job, RunEvent, SymlinkIdentifier

# (request shape, model its fields are stored in)
PAIRS: list[tuple[type[msgspec.Struct], Any]] = [
    (AssetCreate, DataAsset), (AssetUpdate, DataAsset), (EntityRef, DataAsset),
    (ProcessCreate, Process), (ProcessUpdate, Process),
    (NodeCreate, Node), (NodeUpdate, Node),
    (DashboardCreate, Dashboard), (DashboardUpdate, Dashboard),
    (UserCreate, User), (UserUpdate, User), (TokenCreate, ApiToken),
    (Job, Process), (Dataset, DataAsset), (SymlinkIdentifier, AssetAlias), (RunEvent, LineageEvent),
    (ChannelCreate, AlertChannel), (ChannelUpdate, AlertChannel), (RuleCreate, AlertRule), (RuleUpdate, AlertRule),
]


def _string_types(info: msgspec.inspect.Type) -> list[msgspec.inspect.StrType]:
    if isinstance(info, msgspec.inspect.StrType):
        return [info]
    if isinstance(info, msgspec.inspect.UnionType):
        return [item for member in info.types for item in _string_types(member)]
    return []


def _bounded_fields(shape: type[msgspec.Struct], model: Any) -> list[tuple[str, int, int | None]]:
    """(field, column length, the shape's max_length) for each text field stored in a VARCHAR column."""
    columns = model.__table__.columns
    found = []
    for field in msgspec.inspect.type_info(shape).fields:
        column = columns.get(field.name)
        if column is None or not isinstance(column.type, String) or column.type.length is None:
            continue
        for text in _string_types(field.type):
            found.append((field.name, column.type.length, text.max_length))
    return found


@pytest.mark.parametrize(("shape", "model"), PAIRS, ids=[f"{shape.__name__}->{model.__name__}" for shape, model in PAIRS])
def test_text_fields_are_no_longer_than_their_columns(shape, model) -> None:
    fields = _bounded_fields(shape, model)

    too_long = [(name, length, bound) for name, length, bound in fields if bound is None or bound > length]
    assert not too_long, f"{shape.__name__}: (field, column length, max_length) {too_long}"


def test_the_comparison_sees_the_fields_it_should() -> None:
    assert {name for name, _, _ in _bounded_fields(ProcessCreate, Process)} >= {"namespace", "name", "kind", "owner", "schedule"}
    assert ("type", 50, 50) in _bounded_fields(SymlinkIdentifier, AssetAlias)
