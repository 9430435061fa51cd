"""What every graph store answers: which nodes and edges lie within N edges of a start."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol
from uuid import UUID

import msgspec

from dlv.lib.exceptions import DLVError

Direction = Literal["upstream", "downstream", "both"]


class Reached(msgspec.Struct, frozen=True):
    """A node the traversal reached, at its shortest distance (edges) from the start."""

    id: UUID
    type: str
    depth: int


class Hop(msgspec.Struct, frozen=True):
    """An edge the traversal followed, always written in the direction data flows."""

    id: UUID
    source_id: UUID
    target_id: UUID


class Traversal(msgspec.Struct):
    nodes: dict[UUID, Reached]
    edges: list[Hop]
    truncated: bool
    source: str


class GraphStore(Protocol):
    name: str

    async def traverse(
        self,
        starts: dict[UUID, str],
        direction: Direction,
        depth: int,
        *,
        as_of: datetime | None = None,
        max_nodes: int = 5000,
        timeout: float | None = None,
    ) -> Traversal:
        """Every node within ``depth`` edges of ``starts`` (id -> type) in ``direction``.

        Each node is reported once, at its shortest distance; start nodes have depth 0.
        Past ``max_nodes`` nodes the nearest ones are kept and ``truncated`` is set.
        With ``as_of`` only edges valid at that instant are followed. A walk running longer
        than ``timeout`` seconds is stopped in the database itself and raises GraphQueryTimeout.
        """
        ...


class GraphQueryTimeout(DLVError):
    """A traversal ran past DLV_GRAPH_QUERY_TIMEOUT_SECONDS and was stopped.

    504: the graph store, which DLV stands in front of, did not answer in time. It is told
    apart from the 503 of a database that is down (which says to retry): retrying the same
    query will not help, asking for less will.
    """

    status_code = 504

    def __init__(self, seconds: float) -> None:
        super().__init__(
            detail=f"The graph query ran longer than {seconds:g} seconds (DLV_GRAPH_QUERY_TIMEOUT_SECONDS) and was "
            "stopped: ask for less, with a smaller depth or max_nodes, or start from a more specific node."
        )


def walk_directions(direction: Direction) -> list[bool]:
    """Which walks a direction needs: True follows the flow (downstream), False goes against it."""
    return [forward for forward in (True, False) if direction != ("upstream" if forward else "downstream")]


def merge_walks(
    starts: dict[UUID, str],
    walks: list[tuple[bool, list[tuple[UUID, UUID, UUID, str, int]]]],
    *,
    max_nodes: int,
    hit_row_cap: bool = False,
    source: str,
) -> Traversal:
    """Fold walks — (forward?, rows of (edge id, from id, to id, to type, depth)) — into one Traversal.

    Rows arrive breadth-first, so keeping the lowest depth per node and then the
    ``max_nodes`` nearest nodes gives the same answer whatever store produced them.
    """
    reached = {node_id: Reached(node_id, node_type, 0) for node_id, node_type in starts.items()}
    followed: dict[UUID, Hop] = {}
    for forward, rows in walks:
        for edge_id, from_id, to_id, to_type, depth in rows:
            known = reached.get(to_id)
            if known is None or depth < known.depth:
                reached[to_id] = Reached(to_id, to_type, depth)
            if edge_id not in followed:
                followed[edge_id] = Hop(edge_id, from_id, to_id) if forward else Hop(edge_id, to_id, from_id)
    truncated = hit_row_cap or len(reached) > max_nodes
    if len(reached) > max_nodes:
        kept = sorted(reached.values(), key=lambda node: (node.depth, str(node.id)))[:max_nodes]
        reached = {node.id: node for node in kept}
    edges = [hop for hop in followed.values() if hop.source_id in reached and hop.target_id in reached]
    return Traversal(nodes=reached, edges=edges, truncated=truncated, source=source)
