import type { GraphNode } from "../../api/types";
import { inView, subgraph, toEdgeCsv, toOpenLineage, toSvg } from "./exporters";

const node = (id: string, type: string, name: string): GraphNode => ({ id, type, namespace: "pg", name, kind: type === "process" ? "spark" : "table", depth: 0, health: "ok" });
const graph = {
  nodes: [node("o", "asset", "orders"), node("j", "process", "daily, \"revenue\""), node("r", "asset", "revenue")],
  edges: [
    { id: "1", source_id: "o", target_id: "j" },
    { id: "2", source_id: "j", target_id: "r", columns: [{ source_field: "amount", target_field: "total", transformation: "DIRECT/AGGREGATION", source_asset_id: "o" }, { source_field: "status", target_field: "total", transformation: "INDIRECT/FILTER" }] },
  ],
  truncated: false,
};

test("the CSV edge list has a row per column mapping and quotes what needs quoting", () => {
  const lines = toEdgeCsv(graph).trim().split("\r\n");
  expect(lines[0]).toBe("source_type,source_namespace,source_name,target_type,target_namespace,target_name,via,source_field,target_field,transformation");
  expect(lines).toHaveLength(4);
  expect(lines[1]).toBe('asset,pg,orders,process,pg,"daily, ""revenue""",,,,');
  expect(lines[2]).toBe('process,pg,"daily, ""revenue""",asset,pg,revenue,,amount,total,DIRECT/AGGREGATION');
});

test("OpenLineage export gives each job its inputs, outputs and column lineage", () => {
  const [event] = toOpenLineage(graph, "2026-01-01T00:00:00Z") as any[];
  expect(event.job).toEqual({ namespace: "pg", name: 'daily, "revenue"' });
  expect(event.inputs).toEqual([{ namespace: "pg", name: "orders" }]);
  expect(event.outputs[0].facets.columnLineage.fields.total.inputFields).toEqual([
    { namespace: "pg", name: "orders", field: "amount", transformations: [{ type: "DIRECT", subtype: "AGGREGATION" }] },
    { namespace: "pg", name: "orders", field: "status", transformations: [{ type: "INDIRECT", subtype: "FILTER" }] },
  ]);
});

test("the SVG draws every box and an arrowed curve for every edge between drawn boxes", () => {
  const box = (id: string, x: number) => ({ id, x, y: 0, width: 100, height: 40, label: `<${id}>`, detail: `${id}\npg`, kind: "asset" as const });
  const svg = toSvg([box("a", 0), box("b", 200)], [{ source: "a", target: "b", label: "2" }, { source: "a", target: "missing" }]);
  expect(svg.match(/<rect /g)).toHaveLength(3); // the background and two boxes
  expect(svg.match(/marker-end/g)).toHaveLength(1);
  expect(svg).toContain("&#60;a&#62;");
});

test("the visible part is what the viewport shows, with the edges between what it shows", () => {
  const box = (id: string, x: number) => ({ id, x, y: 0, width: 100, height: 50 });
  const shown = inView([box("a", 0), box("b", 150), box("c", 400)], { x: 120, y: -10, width: 200, height: 100 });
  expect(shown.map((node) => node.id)).toEqual(["b"]);
  const node = (id: string) => ({ id, type: "asset", namespace: "pg://x", name: id, kind: "table", depth: 0, health: "ok" });
  const graph = { nodes: ["a", "b", "c"].map(node), edges: [{ id: "ab", source_id: "a", target_id: "b" }, { id: "bc", source_id: "b", target_id: "c" }], truncated: false };
  const part = subgraph(graph, new Set(["a", "b"]));
  expect(part.nodes.map((item) => item.id)).toEqual(["a", "b"]);
  expect(part.edges.map((edge) => edge.id)).toEqual(["ab"]);
});
