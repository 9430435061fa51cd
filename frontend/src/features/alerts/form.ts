import { ApiError } from "../../api/client";

/** "a, b ,c" -> ["a", "b", "c"]. */
export function splitList(text: string): string[] {
  return text.split(",").map((item) => item.trim()).filter(Boolean);
}

/** The fields a refused request named (problem details' errors[].field), for aria-invalid. */
export function invalidFields(error: unknown): string[] {
  return error instanceof ApiError ? error.fields : [];
}
