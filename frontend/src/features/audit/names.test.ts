import { idsIn, withNames } from "./names";

const A = "0f8fad5b-d9cb-469f-a165-70867728950e";
const B = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

test("an edge recorded by ids reads by the names of its ends", () => {
  expect(idsIn([`${A} -> ${B}`, null, A.toUpperCase()])).toEqual([A, B]);
  expect(withNames(`${A} -> ${B}`, new Map([[A, "shop.public.orders"], [B, "extract_orders"]]))).toBe("shop.public.orders → extract_orders");
});

test("an id without a known name stays as it is", () => {
  expect(withNames(`${A} -> ${B}`, new Map([[A, "orders"]]))).toBe(`orders → ${B}`);
});
