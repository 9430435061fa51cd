/** Names on the canvas: the shortest tail of a name that no other node on the canvas shares
 * (forty S3 objects all ending in `part` read `2024-05/part`, `2024-06/part`...), plus a
 * short chip for where the node lives. The full name is always in the hover title. */

function segments(name: string): string[] {
  const parts = name.split(/(?<=[./])/).filter((part) => part !== "" && part !== "/" && part !== ".");
  return parts.length ? parts : [name];
}

function tail(parts: string[], count: number): string {
  return parts.slice(-count).join("").replace(/^[./]+|[./]+$/g, "");
}

/** id -> the shortest name suffix (whole dotted or slashed segments) unique among `nodes`.
 * Nodes whose whole names are equal (same name, other namespace) keep the whole name; the
 * namespace chip tells them apart. */
export function uniqueSuffixes(nodes: { id: string; name: string }[]): Map<string, string> {
  const parts = new Map(nodes.map((node) => [node.id, segments(node.name)]));
  const labels = new Map<string, string>();
  let pending = nodes.map((node) => node.id);
  for (let count = 1; pending.length; count++) {
    const counts = new Map<string, number>();
    for (const id of pending) {
      const label = tail(parts.get(id)!, count);
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    // A label is final once unique or once it is the whole name.
    const clashing = new Set([...counts].filter(([, seen]) => seen > 1).map(([label]) => label));
    const next: string[] = [];
    for (const id of pending) {
      const label = tail(parts.get(id)!, count);
      if (!clashing.has(label) || count >= parts.get(id)!.length) labels.set(id, label);
      else next.push(id);
    }
    pending = next;
  }
  return labels;
}

/** `postgres://warehouse.internal:5432` -> `warehouse.internal`; `s3://lake` -> `lake`;
 * a bare namespace stays as it is. */
export function namespaceChip(namespace: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/:?#]+)/i.exec(namespace);
  return match ? match[1] : namespace;
}
