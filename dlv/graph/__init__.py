"""Graph traversal: the GraphStore protocol and its implementations."""

from dlv.graph._sql import SqlGraphStore
from dlv.graph._store import Direction, GraphStore, Hop, Reached, Traversal

__all__ = ["Direction", "GraphStore", "Hop", "Reached", "SqlGraphStore", "Traversal"]
