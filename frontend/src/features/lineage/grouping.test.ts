import type { GraphNode } from "../../api/types";
import { groupGraph } from "./grouping";

const node = (id: string, namespace: string, extra: Partial<GraphNode> = {}): GraphNode => ({ id, type: "asset", namespace, name: `db.${id}`, kind: "table", depth: 1, health: "unknown", ...extra });
const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source_id: source, target_id: target });
const graph = {
  nodes: [node("a", "postgres://shop:5432"), node("b", "postgres://shop:5432", { health: "error" }), node("c", "kafka://events:9092"), node("d", "kafka://events:9092", { node_id: "n1" })],
  edges: [edge("a", "b"), edge("b", "c"), edge("a", "c"), edge("c", "d")],
  truncated: false,
};

test("closed groups summarise their nodes and join the edges between groups with a count", () => {
  const view = groupGraph(graph, "namespace", new Set());
  expect(view.entities).toEqual([]);
  expect(view.groups).toEqual([
    { id: "ns:postgres://shop:5432", label: "shop", title: "postgres://shop:5432", assets: 2, processes: 0, unhealthy: 1 },
    { id: "ns:kafka://events:9092", label: "events", title: "kafka://events:9092", assets: 2, processes: 0, unhealthy: 0 },
  ]);
  expect(view.links).toEqual([{ id: "ns:postgres://shop:5432->ns:kafka://events:9092", source: "ns:postgres://shop:5432", target: "ns:kafka://events:9092", count: 2 }]);
});

test("opening a group shows its nodes in place, linked to the groups that stay closed", () => {
  const view = groupGraph(graph, "namespace", new Set(["ns:postgres://shop:5432"]));
  expect(view.entities.map((item) => item.id)).toEqual(["a", "b"]);
  expect(view.groups.map((group) => group.id)).toEqual(["ns:kafka://events:9092"]);
  expect(view.links.map((link) => [link.source, link.target, link.count])).toEqual([
    ["a", "b", 1],
    ["b", "ns:kafka://events:9092", 1],
    ["a", "ns:kafka://events:9092", 1],
  ]);
  expect(view.links[0].edge?.id).toBe("a-b");
});

test("by catalog node, assets group under the node's name and the rest under their namespace", () => {
  const view = groupGraph(graph, "catalog", new Set(), new Map([["n1", "events-cluster"]]));
  expect(view.groups.map((group) => group.label)).toEqual(["shop", "events", "events-cluster"]);
  expect(view.shownAs.get("d")).toBe("node:n1");
});

test("no grouping draws every node and edge", () => {
  const view = groupGraph(graph, "none", new Set());
  expect(view.entities).toHaveLength(4);
  expect(view.groups).toEqual([]);
  expect(view.links).toHaveLength(4);
});

test("by parent job, a DAG's tasks fold into one box and the tables stay", () => {
  const task = (id: string): GraphNode => ({ ...node(id, "airflow://etl"), type: "process", parent_id: "dag", parent_name: "daily_etl" });
  const view = groupGraph({ nodes: [node("a", "pg"), task("t1"), task("t2"), node("b", "pg")], edges: [edge("a", "t1"), edge("t1", "t2"), edge("t2", "b")], truncated: false }, "parent", new Set());
  expect(view.groups).toEqual([{ id: "job:dag", label: "daily_etl", title: "job daily_etl", assets: 0, processes: 2, unhealthy: 0 }]);
  expect(view.entities.map((item) => item.id)).toEqual(["a", "b"]);
  expect(view.links.map((link) => [link.source, link.target])).toEqual([["a", "job:dag"], ["job:dag", "b"]]);
});
