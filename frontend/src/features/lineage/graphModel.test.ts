import type { Graph, GraphNode } from "../../api/types";
import { describeMappings, lineageFields, mergeGraphs } from "./graphModel";
import { quickLayeredLayout } from "./layout";

const node = (id: string, depth: number, namespace = "pg", health = "unknown"): GraphNode => ({ id, type: "asset", namespace, name: `db.public.${id}`, kind: "table", depth, health });
const graph = (nodes: GraphNode[], edges: [string, string][], truncated = false): Graph => ({
  nodes,
  edges: edges.map(([source, target]) => ({ id: `${source}-${target}`, source_id: source, target_id: target })),
  truncated,
  source: "sql",
});

test("merging upstream, downstream and expansions keeps each node and edge once", () => {
  const upstream = graph([node("root", 0), node("a", 1)], [["a", "root"]]);
  const downstream = graph([node("root", 0), node("b", 1)], [["root", "b"]], true);
  const expansion = graph([node("b", 0), node("c", 1)], [["root", "b"], ["b", "c"]]);
  const merged = mergeGraphs([upstream, downstream, expansion, undefined]);
  expect(merged.nodes.map((item) => item.id).sort()).toEqual(["a", "b", "c", "root"]);
  expect(merged.edges).toHaveLength(3);
  expect(merged.truncated).toBe(true);
  expect(merged.nodes.find((item) => item.id === "b")!.depth).toBe(0);
});

test("column helpers name fields and mappings the way the canvas shows them", () => {
  expect(describeMappings([{ source_field: "id", target_field: "order_id" }, { source_field: "x", target_field: "x" }])).toBe("id → order_id +1");
  expect(describeMappings([])).toBeUndefined();
  const fields = lineageFields([{ id: "e", source_id: "a", target_id: "b", columns: [{ source_field: "id", target_field: "order_id" }] }]);
  expect(fields.get("a")).toEqual(["id"]);
  expect(fields.get("b")).toEqual(["order_id"]);
});

test("the large-graph layout puts data flow left to right, one layer per step", () => {
  const boxes = ["a", "b", "c", "d"].map((id) => ({ id, width: 100, height: 40 }));
  const positions = quickLayeredLayout(boxes, [
    { id: "1", source: "a", target: "b" },
    { id: "2", source: "b", target: "c" },
    { id: "3", source: "a", target: "d" },
    { id: "4", source: "c", target: "a" }, // a cycle must not hang or drop nodes
  ]);
  expect(Object.keys(positions).sort()).toEqual(["a", "b", "c", "d"]);
  expect(positions.b.x).toBeGreaterThan(positions.a.x);
  expect(positions.c.x).toBeGreaterThan(positions.b.x);
});
