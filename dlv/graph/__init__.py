"""Graph traversal: the GraphStore protocol, the SQL and Neo4j stores, and the projection."""

from dlv.graph._gate import TraversalGate
from dlv.graph._lifespan import neo4j_lifespan
from dlv.graph._outbox import OUTBOX_FLAG, outbox_enabled, outbox_write
from dlv.graph._shape import FoldedEdge, fold_hidden, paths_between
from dlv.graph._sql import SqlGraphStore
from dlv.graph._store import Direction, GraphQueryTimeout, GraphStore, Hop, Reached, Traversal
from dlv.graph.neo4j import FallbackGraphStore, Neo4jGraphStore, Projector

__all__ = [
    "OUTBOX_FLAG",
    "Direction",
    "FallbackGraphStore",
    "FoldedEdge",
    "GraphQueryTimeout",
    "GraphStore",
    "Hop",
    "Neo4jGraphStore",
    "Projector",
    "Reached",
    "SqlGraphStore",
    "Traversal",
    "TraversalGate",
    "fold_hidden",
    "neo4j_lifespan",
    "outbox_enabled",
    "outbox_write",
    "paths_between",
]
