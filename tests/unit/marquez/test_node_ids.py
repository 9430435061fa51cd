"""Marquez node ids parse as Marquez's NodeId does: a colon inside a URI (scheme://, host:port)
belongs to the namespace, the others separate the parts."""

from __future__ import annotations

import pytest

from dlv.lib.exceptions import BadRequest
from dlv.marquez._ids import NodeId


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("dataset:food_delivery:public.menus", ("dataset", "food_delivery", "public.menus", None)),
        ("job:airflow:BQ.upload", ("job", "airflow", "BQ.upload", None)),
        ("dataset:postgres://db:5432:shop.public.orders", ("dataset", "postgres://db:5432", "shop.public.orders", None)),
        ("dataset:s3a://bucket:/tmp/daily_stats2", ("dataset", "s3a://bucket", "/tmp/daily_stats2", None)),
        ("datasetField:bigquery:project.ds.table:a", ("datasetField", "bigquery", "project.ds.table", "a")),
        ("datasetField:kafka://host:9092:orders:payload.id", ("datasetField", "kafka://host:9092", "orders", "payload.id")),
        ("dataset:food_delivery:public.menus#4c2042c7-ec25-5704-b429-25e33edbb628", ("dataset", "food_delivery", "public.menus", None)),
    ],
)
def test_node_ids_split_like_marquez(value: str, expected: tuple) -> None:
    node = NodeId.parse(value)

    assert (node.kind, node.namespace, node.name, node.field) == expected


@pytest.mark.parametrize("value", ["run:abc", "table:a:b", "dataset", "dataset:only", "job::name", "datasetField:ns:name"])
def test_what_is_no_node_id_is_a_400_naming_nodeId(value: str) -> None:
    with pytest.raises(BadRequest) as refused:
        NodeId.parse(value)

    assert refused.value.extra["errors"][0]["field"] == "nodeId"
