import { expect, test } from "vitest";
import { readState, writeState } from "./state";

test("filters and the run shown travel in the URL, so a link reopens them", () => {
  const state = readState(new URLSearchParams("node=n1&hide_namespaces=s3://lake,kafka://events&hide_tags=pii&hide_owners=ana&hide_health=failed&run=r-7"));
  expect(state.hideNamespaces).toEqual(["s3://lake", "kafka://events"]);
  expect([state.hideTags, state.hideOwners, state.hideHealth, state.runId]).toEqual([["pii"], ["ana"], ["failed"], "r-7"]);
  const again = readState(writeState(state));
  expect(again).toEqual(state);
  expect(writeState({ ...state, runId: null, hideTags: [] }).has("run")).toBe(false);
});
