"""Deterministic generator of realistic lineage graphs.

Layers alternate assets and processes (raw tables -> ingestion jobs -> staging -> models ->
marts -> ...). Each process reads a skewed number of inputs, mostly from the asset layer
just above it and sometimes from older ones, with a few hub tables (think ``dim_date`` or
``events``) read by a large share of the jobs; it writes one to a few outputs. Some assets
derive directly from others (views). Same seed, same graph.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np

ASSET, PROCESS = 0, 1
NODE_ID_PREFIX = 0xD1A5 << 112
EDGE_ID_PREFIX = 0xED6E << 112


@dataclass
class LineageGraph:
    kinds: np.ndarray  # node index -> ASSET or PROCESS
    layers: np.ndarray  # node index -> layer number
    sources: np.ndarray  # edge index -> node index
    targets: np.ndarray

    @property
    def node_count(self) -> int:
        return len(self.kinds)

    @property
    def edge_count(self) -> int:
        return len(self.sources)


def node_uuid(index: int) -> uuid.UUID:
    return uuid.UUID(int=NODE_ID_PREFIX | int(index))


def edge_uuid(index: int) -> uuid.UUID:
    return uuid.UUID(int=EDGE_ID_PREFIX | int(index))


def generate(nodes: int, edges_per_node: float = 5.0, seed: int = 7, asset_layers: int = 12) -> LineageGraph:
    rng = np.random.default_rng(seed)
    process_share = 0.3
    layer_count = 2 * asset_layers - 1  # A P A P ... A
    asset_total = int(nodes * (1 - process_share))
    process_total = nodes - asset_total
    asset_sizes = np.full(asset_layers, asset_total // asset_layers)
    asset_sizes[0] += asset_total - asset_sizes.sum()
    process_sizes = np.full(asset_layers - 1, process_total // (asset_layers - 1))
    process_sizes[0] += process_total - process_sizes.sum()

    kinds, layers, first_index = [], [], []
    cursor = 0
    for layer in range(layer_count):
        size = asset_sizes[layer // 2] if layer % 2 == 0 else process_sizes[layer // 2]
        first_index.append(cursor)
        kinds.append(np.full(size, ASSET if layer % 2 == 0 else PROCESS, dtype=np.int8))
        layers.append(np.full(size, layer, dtype=np.int16))
        cursor += size
    kinds_all, layers_all = np.concatenate(kinds), np.concatenate(layers)

    # Hubs: within each asset layer, popularity follows a power law over a shuffled order.
    popularity = []
    for a in range(asset_layers):
        size = asset_sizes[a]
        weights = 1.0 / np.power(np.arange(1, size + 1), 0.9)
        rng.shuffle(weights)
        popularity.append(weights / weights.sum())

    target_edges = edges_per_node * nodes
    derived_share = 0.1  # asset -> asset edges (views)
    per_process = target_edges * (1 - derived_share) / process_total
    mean_out = 2.0
    mean_in = max(per_process - mean_out, 1.0)

    sources, targets = [], []
    for p in range(asset_layers - 1):
        layer = 2 * p + 1
        count = process_sizes[p]
        process_ids = first_index[layer] + np.arange(count)
        # lognormal fan-in with a long tail, at least one input
        fan_in = np.maximum(1, rng.lognormal(np.log(mean_in) - 0.5, 1.0, count).astype(np.int64))
        total_in = int(fan_in.sum())
        # 80% from the asset layer just above, the rest from older layers
        older = rng.random(total_in) < 0.2
        source_layer = np.where(older, rng.integers(0, p + 1, total_in), p)
        chosen = np.empty(total_in, dtype=np.int64)
        for a in np.unique(source_layer):
            mask = source_layer == a
            picks = rng.choice(asset_sizes[a], size=int(mask.sum()), p=popularity[a])
            chosen[mask] = first_index[2 * a] + picks
        sources.append(chosen)
        targets.append(np.repeat(process_ids, fan_in))
        # outputs: each process writes 1..n assets of the next asset layer
        fan_out = np.maximum(1, rng.poisson(mean_out - 1, count) + 1)
        out_layer = p + 1
        outs = first_index[2 * out_layer] + rng.integers(0, asset_sizes[out_layer], int(fan_out.sum()))
        sources.append(np.repeat(process_ids, fan_out))
        targets.append(outs)
    derived = int(target_edges * derived_share)
    upper = rng.integers(0, asset_layers - 1, derived)
    from_assets = np.array([first_index[2 * a] for a in range(asset_layers)])[upper] + rng.integers(0, asset_sizes[upper])
    to_layer = upper + 1
    to_assets = np.array([first_index[2 * a] for a in range(asset_layers)])[to_layer] + rng.integers(0, asset_sizes[to_layer])
    sources.append(from_assets)
    targets.append(to_assets)

    src, dst = np.concatenate(sources), np.concatenate(targets)
    keys = np.unique(src * nodes + dst)
    return LineageGraph(kinds=kinds_all, layers=layers_all, sources=keys // nodes, targets=keys % nodes)


class InMemoryFloor:
    """The same bounded breadth-first traversal over a CSR adjacency in memory: the
    fastest this question can be answered, against which the stores are measured."""

    def __init__(self, graph: LineageGraph) -> None:
        n = graph.node_count
        self.graph = graph
        self.forward = self._csr(graph.sources, graph.targets, n)
        self.backward = self._csr(graph.targets, graph.sources, n)
        self.seen = np.full(n, -1, dtype=np.int32)

    @staticmethod
    def _csr(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(src, kind="stable")
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.add.at(indptr, src + 1, 1)
        return np.cumsum(indptr), dst[order]

    def traverse(self, start: int, depth: int, forward: bool, max_nodes: int) -> dict[int, int]:
        indptr, indices = self.forward if forward else self.backward
        seen = self.seen
        reached = {start: 0}
        seen[start] = 0
        frontier = np.array([start])
        for level in range(1, depth + 1):
            begins, ends = indptr[frontier], indptr[frontier + 1]
            lengths = ends - begins
            if lengths.sum() == 0:
                break
            offsets = np.repeat(begins - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
            neighbours = np.unique(indices[offsets])
            fresh = neighbours[seen[neighbours] < 0]
            if len(fresh) == 0:
                break
            seen[fresh] = level
            reached.update(dict.fromkeys(fresh.tolist(), level))
            if len(reached) > max_nodes:
                break
            frontier = fresh
        seen[np.fromiter(reached, dtype=np.int64)] = -1
        return reached
