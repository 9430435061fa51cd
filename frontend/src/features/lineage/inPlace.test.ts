import { expect, test } from "vitest";
import type { GraphNode } from "../../api/types";
import { canvasShape } from "./canvasModel";
import { placeInPlace } from "./inPlace";
import { quickLayeredLayout, type Positions } from "./layout";

const node = (id: string, namespace: string): GraphNode => ({ id, type: "asset", namespace, name: `db.${id}`, kind: "table", depth: 1, health: "ok" });
const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source_id: source, target_id: target });
const graph = {
  nodes: [node("a", "pg://shop"), node("b", "pg://shop"), node("c", "kafka://events"), node("d", "s3://lake")],
  edges: [edge("a", "b"), edge("b", "c"), edge("c", "d")],
  truncated: false,
};
const shapeWith = (open: string[]) => canvasShape(graph, { groupBy: "namespace", openGroups: new Set(open), catalogNames: new Map(), columns: false });

test("opening a group lays its members out around it and leaves every other box where it was", () => {
  const closed = shapeWith([]);
  const positions = quickLayeredLayout(closed.boxes, closed.links);
  const memory: Positions = {};
  const opened = placeInPlace({ shape: closed, positions }, shapeWith(["ns:pg://shop"]), memory)!;

  expect(opened["ns:kafka://events"]).toEqual(positions["ns:kafka://events"]);
  expect(opened["ns:s3://lake"]).toEqual(positions["ns:s3://lake"]);
  expect(opened["ns:pg://shop"]).toBeUndefined();
  expect(opened.a.x).toBeLessThan(opened.b.x); // a feeds b: laid out left to right
  const group = positions["ns:pg://shop"];
  const middle = (opened.a.x + opened.b.x + 240) / 2;
  expect(middle).toBeCloseTo(group.x + 420 / 2); // centred where the group was

  const closedAgain = placeInPlace({ shape: shapeWith(["ns:pg://shop"]), positions: opened }, closed, memory)!;
  expect(closedAgain).toEqual(positions); // collapsing returns to the previous positions
  const reopened = placeInPlace({ shape: closed, positions: closedAgain }, shapeWith(["ns:pg://shop"]), memory)!;
  expect(reopened).toEqual(opened);
});

test("any other change asks for a whole new layout", () => {
  const closed = shapeWith([]);
  const positions = quickLayeredLayout(closed.boxes, closed.links);
  const grown = canvasShape({ ...graph, nodes: [...graph.nodes, node("e", "bigquery://x")] }, { groupBy: "namespace", openGroups: new Set(), catalogNames: new Map(), columns: false });
  expect(placeInPlace({ shape: closed, positions }, grown, {})).toBeNull();
  expect(placeInPlace({ shape: closed, positions }, closed, {})).toBeNull();
  const ungrouped = canvasShape(graph, { groupBy: "none", openGroups: new Set(), catalogNames: new Map(), columns: false });
  expect(placeInPlace({ shape: ungrouped, positions: quickLayeredLayout(ungrouped.boxes, ungrouped.links) }, closed, {})).toBeNull(); // grouping switched on
});
