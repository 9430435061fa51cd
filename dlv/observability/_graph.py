"""Graph query latency, measured around the store LineageGraph calls (not inside each store)."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from dlv.graph import Direction, GraphStore, Traversal
from dlv.observability._metrics import Metrics


class MeasuredGraphStore:
    """A GraphStore that times each traversal of the store it wraps.

    The ``store`` label names what answered: ``neo4j``, or the SQL database's dialect
    (``sqlite``/``postgresql``) — including when Neo4j was away and SQL answered instead,
    so a slow fallback shows up under the store that was actually slow.
    """

    def __init__(self, store: GraphStore, metrics: Metrics, sql_dialect: str) -> None:
        self.store, self.metrics, self.sql_dialect = store, metrics, sql_dialect
        self.name = store.name

    def _label(self, source: str) -> str:
        return self.sql_dialect if source == "sql" else source

    async def traverse(self, starts: dict[UUID, str], direction: Direction, depth: int, **options: Any) -> Traversal:
        """The wrapped store's answer; ``options`` (as_of, max_nodes, timeout...) pass through as they are."""
        started = time.perf_counter()
        answered_by = self.store.name
        try:
            traversal = await self.store.traverse(starts, direction, depth, **options)
            answered_by = traversal.source
            return traversal
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.graph_query_duration.labels(store=self._label(answered_by), direction=direction).observe(elapsed)


def measured_store(metrics: Metrics, store: GraphStore, dialect: str) -> GraphStore:
    """``store``, each traversal timed into ``metrics``."""
    return MeasuredGraphStore(store, metrics, dialect)
