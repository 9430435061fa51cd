import { transformationClasses } from "./canvasModel";

test("edges are styled by transformation: DIRECT solid, INDIRECT dashed, the subtype colours", () => {
  expect(transformationClasses([{ source_field: "a", target_field: "b", transformation: "DIRECT/AGGREGATION" }])).toEqual(["tx-direct", "tx-aggregation"]);
  expect(transformationClasses([{ source_field: "a", target_field: "b", transformation: "INDIRECT/FILTER, INDIRECT/JOIN" }])).toEqual(["tx-indirect", "tx-filter"]);
  expect(transformationClasses([{ source_field: "a", target_field: "b", transformation: "INDIRECT/GROUP_BY" }, { source_field: "c", target_field: "d", transformation: "DIRECT/IDENTITY" }])).toEqual(["tx-direct", "tx-group_by"]);
  expect(transformationClasses([{ source_field: "a", target_field: "b" }])).toEqual([]);
  expect(transformationClasses(null)).toEqual([]);
});
