"""Graph shapes computed from traversals, the same whatever store walked: the paths between
two nodes, and folding hidden nodes into direct edges so no path disappears."""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

import msgspec

from dlv.graph._store import GraphStore, Hop, Traversal

# Folded edges get ids derived from their ends, so the same answer names them the same way.
FOLDED_EDGE_NAMESPACE = uuid.UUID("2f5d3c1e-6b1a-4b8e-9a53-0d4c1f7e9b21")


class FoldedEdge(msgspec.Struct, frozen=True):
    """An edge of the folded graph: ``via`` hidden nodes lie between its ends (0: a real edge)."""

    id: UUID
    source_id: UUID
    target_id: UUID
    via: int


async def paths_between(
    store: GraphStore,
    from_ids: dict[UUID, str],
    to_ids: dict[UUID, str],
    max_depth: int,
    *,
    as_of: datetime | None = None,
    max_nodes: int,
    timeout: float | None = None,
) -> tuple[Traversal, bool]:
    """Every node and edge on a directed path from ``from_ids`` to ``to_ids``.

    A node is on such a path exactly when it is downstream of the start and upstream of the
    end; an edge when its source is reachable from the start and its target reaches the
    end. Both cones are walked one level past ``max_depth``: the answer is complete (the
    bool) when neither cone went further than ``max_depth`` nor was cut at ``max_nodes``.
    """
    down = await store.traverse(from_ids, "downstream", max_depth + 1, as_of=as_of, max_nodes=max_nodes, timeout=timeout)
    up = await store.traverse(to_ids, "upstream", max_depth + 1, as_of=as_of, max_nodes=max_nodes, timeout=timeout)
    within = lambda cone: {node_id for node_id, reached in cone.nodes.items() if reached.depth <= max_depth}  # noqa: E731
    on_path = within(down) & within(up)
    nodes = {node_id: down.nodes[node_id] for node_id in on_path}
    edges = [hop for hop in down.edges if hop.source_id in on_path and hop.target_id in on_path]
    exhausted = lambda cone: all(reached.depth <= max_depth for reached in cone.nodes.values())  # noqa: E731
    complete = not (down.truncated or up.truncated) and exhausted(down) and exhausted(up)
    return Traversal(nodes=nodes, edges=edges, truncated=down.truncated or up.truncated, source=down.source), complete


def fold_hidden(nodes: Iterable[UUID], edges: Iterable[Hop], hidden: set[UUID]) -> list[FoldedEdge]:
    """The edges between shown nodes once the ``hidden`` ones are taken out: a chain
    shown -> hidden... -> shown becomes one edge carrying how many hidden nodes it crossed
    (the fewest, when several chains join the same two nodes)."""
    outgoing: dict[UUID, list[Hop]] = {}
    for hop in edges:
        outgoing.setdefault(hop.source_id, []).append(hop)
    folded: dict[tuple[UUID, UUID], FoldedEdge] = {}
    for source in nodes:
        if source in hidden:
            continue
        for hop in outgoing.get(source, []):
            if hop.target_id not in hidden:
                folded[(source, hop.target_id)] = FoldedEdge(hop.id, source, hop.target_id, 0)
        for target, via in _through_hidden(source, outgoing, hidden).items():
            if (source, target) not in folded or folded[(source, target)].via > via:
                edge_id = uuid.uuid5(FOLDED_EDGE_NAMESPACE, f"{source}>{target}")
                folded[(source, target)] = FoldedEdge(edge_id, source, target, via)
    return list(folded.values())


def _through_hidden(source: UUID, outgoing: dict[UUID, list[Hop]], hidden: set[UUID]) -> dict[UUID, int]:
    """Shown nodes reached from ``source`` through at least one hidden node, with the fewest
    hidden nodes crossed (breadth-first over the hidden ones only)."""
    reached: dict[UUID, int] = {}
    queue = deque((hop.target_id, 1) for hop in outgoing.get(source, []) if hop.target_id in hidden)
    seen = {node_id for node_id, _ in queue}
    while queue:
        node_id, via = queue.popleft()
        for hop in outgoing.get(node_id, []):
            target = hop.target_id
            if target not in hidden:
                if target != source:
                    reached.setdefault(target, via)
            elif target not in seen:
                seen.add(target)
                queue.append((target, via + 1))
    return reached
