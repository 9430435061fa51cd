import { ApiError, isRetryable, problemFields, problemMessage } from "./client";

test("the fields a problem names come from errors[].field", () => {
  const body = { detail: "The request has invalid fields.", errors: [{ field: "name", message: "too short" }, { field: "role", message: "unknown" }, { message: "no field" }] };
  expect(problemFields(body)).toEqual(["name", "role"]);
  expect(problemFields({ detail: "x" })).toEqual([]);
  expect(problemMessage(400, body)).toBe("The request has invalid fields. too short unknown no field");
});

test("asking again is offered for network and server failures, never for a refusal or bad input", () => {
  expect(isRetryable(new ApiError(0, "offline"))).toBe(true);
  expect(isRetryable(new ApiError(503, "down"))).toBe(true);
  expect(isRetryable(new ApiError(403, "not allowed"))).toBe(false);
  expect(isRetryable(new ApiError(400, "bad"))).toBe(false);
});
