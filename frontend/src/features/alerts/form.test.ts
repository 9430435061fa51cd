import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/client";
import { invalidFields, splitList } from "./form";

describe("alert forms", () => {
  it("splits comma-separated lists, dropping blanks", () => {
    expect(splitList(" finance, ,pii ,")).toEqual(["finance", "pii"]);
    expect(splitList("")).toEqual([]);
  });

  it("names the fields a 400 named, and none for other errors", () => {
    expect(invalidFields(new ApiError(400, "bad", ["config.url"]))).toEqual(["config.url"]);
    expect(invalidFields(new Error("network"))).toEqual([]);
  });
});
