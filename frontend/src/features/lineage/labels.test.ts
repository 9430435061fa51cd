import { namespaceChip, uniqueSuffixes } from "./labels";

function labels(...names: string[]): string[] {
  const found = uniqueSuffixes(names.map((name, index) => ({ id: String(index), name })));
  return names.map((_, index) => found.get(String(index))!);
}

test("a unique last segment is enough", () => {
  expect(labels("analytics.public.orders", "analytics.public.customers")).toEqual(["orders", "customers"]);
});

test("forty objects named part read by the shortest tail that tells them apart", () => {
  expect(labels("lake/events/2024-05/part", "lake/events/2024-06/part", "lake/users/part")).toEqual(["2024-05/part", "2024-06/part", "users/part"]);
});

test("clashing schemas go one segment further only where needed", () => {
  expect(labels("shop.public.orders", "shop.staging.orders", "shop.public.items")).toEqual(["public.orders", "staging.orders", "items"]);
});

test("a name that is the tail of another keeps its whole name and the other goes further", () => {
  expect(labels("orders", "public.orders")).toEqual(["orders", "public.orders"]);
});

test("equal names in two namespaces keep the whole name (the chip tells them apart)", () => {
  expect(labels("public.orders", "public.orders")).toEqual(["public.orders", "public.orders"]);
});

test("namespace chips show the host of a URI and bare namespaces as they are", () => {
  expect(namespaceChip("postgres://warehouse.internal:5432")).toBe("warehouse.internal");
  expect(namespaceChip("s3://lake")).toBe("lake");
  expect(namespaceChip("airflow")).toBe("airflow");
});
