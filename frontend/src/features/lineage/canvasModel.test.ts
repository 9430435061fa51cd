import { flowEdges, transformationClasses } from "./canvasModel";

test("edges are styled by transformation: DIRECT solid, INDIRECT dashed, the subtype colours", () => {
  expect(transformationClasses([{ source_field: "a", target_field: "b", transformation: "DIRECT/AGGREGATION" }])).toEqual(["tx-direct", "tx-aggregation"]);
  expect(transformationClasses([{ source_field: "a", target_field: "b", transformation: "INDIRECT/FILTER, INDIRECT/JOIN" }])).toEqual(["tx-indirect", "tx-filter"]);
  expect(transformationClasses([{ source_field: "a", target_field: "b", transformation: "INDIRECT/GROUP_BY" }, { source_field: "c", target_field: "d", transformation: "DIRECT/IDENTITY" }])).toEqual(["tx-direct", "tx-group_by"]);
  expect(transformationClasses([{ source_field: "a", target_field: "b" }])).toEqual([]);
  expect(transformationClasses(null)).toEqual([]);
});

test("edges both ways between two groups share one label saying both counts", () => {
  const link = (source: string, target: string, count: number) => ({ id: `${source}->${target}`, source, target, count });
  const edges = flowEdges([link("ns:a", "ns:b", 508), link("ns:b", "ns:a", 486), link("ns:b", "ns:c", 7)], null, false);
  expect(edges.map((edge) => edge.label)).toEqual(["→508 ←486", undefined, "7"]);
});
