import { describe, expect, it } from "vitest";
import type { GraphNode } from "../../api/types";
import { activeFilterCount, filterChoices, hideQuery, type HideFilters } from "./filters";
import { mergeGraphs } from "./graphModel";

const node = (id: string, extra: Partial<GraphNode>): GraphNode => ({ id, type: "asset", namespace: "pg://a", name: id, kind: "table", depth: 0, health: "ok", ...extra });
const none: HideFilters = { hideKinds: [], hideNamespaces: [], hideTags: [], hideOwners: [], hideHealth: [] };

describe("filters", () => {
  it("offers the values on the canvas and keeps offering the hidden ones", () => {
    const graph = { nodes: [node("a", { tags: ["pii"], owner: "ana" }), node("b", { namespace: "s3://lake", health: "failed" })], edges: [], truncated: false };
    const choices = filterChoices(graph, { ...none, hideNamespaces: ["kafka://events"] });
    const namespaces = choices.find((choice) => choice.key === "hideNamespaces")!.values;
    expect(namespaces).toEqual([
      { value: "kafka://events", hidden: true },
      { value: "pg://a", hidden: false },
      { value: "s3://lake", hidden: false },
    ]);
    expect(choices.find((choice) => choice.key === "hideTags")!.values.map((item) => item.value)).toEqual(["pii"]);
    expect(choices.find((choice) => choice.key === "hideOwners")!.values.map((item) => item.value)).toEqual(["ana"]);
    expect(choices.find((choice) => choice.key === "hideHealth")!.values.map((item) => item.value)).toEqual(["failed", "ok"]);
  });

  it("sends only the filters in use, under the API's parameter names", () => {
    expect(hideQuery(none)).toEqual({});
    expect(hideQuery({ ...none, hideKinds: ["process"], hideNamespaces: ["s3://lake"], hideHealth: ["failed"] })).toEqual({
      hide_kinds: ["process"],
      hide_namespaces: ["s3://lake"],
      hide_health: ["failed"],
    });
    expect(activeFilterCount({ ...none, hideKinds: ["process"], hideTags: ["a", "b"] })).toBe(3);
  });

  it("counts a filtered-out node once across parts, and not at all when another part shows it", () => {
    const merged = mergeGraphs([
      { nodes: [node("a", {})], edges: [], truncated: false, hidden: ["x", "y"] },
      { nodes: [node("y", {})], edges: [], truncated: false, hidden: ["x"] },
    ]);
    expect(merged.hidden).toEqual(["x"]);
  });
});
