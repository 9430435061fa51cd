import type { GraphEdge, GraphNode } from "../../api/types";
import type { MergedGraph } from "./graphModel";

/** What an export holds: the nodes and edges the canvas shows, where it shows them. */
export interface DrawnNode {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
  detail: string;
  kind: "asset" | "process" | "group";
}
export interface DrawnEdge {
  source: string;
  target: string;
  label?: string;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The drawn boxes that show, wholly or partly, inside the viewport (flow coordinates). */
export function inView<T extends Rect>(nodes: T[], view: Rect): T[] {
  return nodes.filter((node) => node.x < view.x + view.width && node.x + node.width > view.x && node.y < view.y + view.height && node.y + node.height > view.y);
}

/** The part of the graph made of these node ids, with the edges between them. */
export function subgraph(graph: MergedGraph, ids: ReadonlySet<string>): MergedGraph {
  return {
    nodes: graph.nodes.filter((node) => ids.has(node.id)),
    edges: graph.edges.filter((edge) => ids.has(edge.source_id) && ids.has(edge.target_id)),
    truncated: graph.truncated,
  };
}

const PRODUCER = "https://github.com/dlv/dlv";
const JOB_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent";
const COLUMN_LINEAGE_SCHEMA = "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json";

export function toDlvJson(graph: MergedGraph): string {
  return JSON.stringify({ format: "dlv-graph/1", nodes: graph.nodes, edges: graph.edges }, null, 2);
}

function csvCell(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const CSV_HEADER = ["source_type", "source_namespace", "source_name", "target_type", "target_namespace", "target_name", "via", "source_field", "target_field", "transformation"];

/** One row per column mapping of each edge (one row for an edge without any). */
export function toEdgeCsv(graph: MergedGraph): string {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const rows = [CSV_HEADER];
  for (const edge of graph.edges) {
    const source = byId.get(edge.source_id);
    const target = byId.get(edge.target_id);
    if (!source || !target) continue;
    const ends = [source.type, source.namespace, source.name, target.type, target.namespace, target.name, String(edge.via ?? "")];
    const columns = edge.columns?.length ? edge.columns : [null];
    for (const column of columns) rows.push([...ends, column?.source_field ?? "", column?.target_field ?? "", column?.transformation ?? ""]);
  }
  return rows.map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

function dataset(node: GraphNode) {
  return { namespace: node.namespace, name: node.name };
}

function columnLineage(edge: GraphEdge, byId: Map<string, GraphNode>, inputs: GraphNode[]) {
  const fields: Record<string, { inputFields: object[] }> = {};
  for (const column of edge.columns ?? []) {
    const from = (column.source_asset_id && byId.get(column.source_asset_id)) || inputs[0];
    if (!from) continue;
    const transformations = (column.transformation ?? "").split(",").map((item) => item.trim()).filter(Boolean).map((item) => {
      const [type, subtype] = item.split("/");
      return subtype ? { type, subtype } : { type };
    });
    (fields[column.target_field] ??= { inputFields: [] }).inputFields.push({ ...dataset(from), field: column.source_field, transformations });
  }
  return Object.keys(fields).length ? { columnLineage: { _producer: PRODUCER, _schemaURL: COLUMN_LINEAGE_SCHEMA, fields } } : undefined;
}

/** One OpenLineage JobEvent per process on the canvas: what it reads, what it writes, with
 * column lineage. An asset feeding an asset directly (a view) becomes a job named after it. */
export function toOpenLineage(graph: MergedGraph, eventTime = new Date().toISOString()): object[] {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const jobs = new Map<string, { job: { namespace: string; name: string }; inputs: GraphNode[]; outputs: { node: GraphNode; edge: GraphEdge }[] }>();
  const jobOf = (key: string, namespace: string, name: string) => jobs.get(key) ?? jobs.set(key, { job: { namespace, name }, inputs: [], outputs: [] }).get(key)!;
  for (const edge of graph.edges) {
    const source = byId.get(edge.source_id);
    const target = byId.get(edge.target_id);
    if (!source || !target) continue;
    if (target.type === "process") jobOf(target.id, target.namespace, target.name).inputs.push(source);
    else if (source.type === "process") jobOf(source.id, source.namespace, source.name).outputs.push({ node: target, edge });
    else {
      const job = jobOf(`derive:${target.id}`, target.namespace, `derive:${target.name}`);
      job.inputs.push(source);
      if (!job.outputs.some((output) => output.node.id === target.id)) job.outputs.push({ node: target, edge });
    }
  }
  return [...jobs.values()].map(({ job, inputs, outputs }) => ({
    eventTime,
    producer: PRODUCER,
    schemaURL: JOB_EVENT_SCHEMA,
    job,
    inputs: inputs.map(dataset),
    outputs: outputs.map(({ node, edge }) => {
      const facets = columnLineage(edge, byId, inputs);
      return facets ? { ...dataset(node), facets } : dataset(node);
    }),
  }));
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const FILL = { asset: "#eef1fd", process: "#f4edfc", group: "#f1f3f5" };
const STROKE = { asset: "#3c5bd6", process: "#8a4fd6", group: "#6b7280" };
const MARGIN = 24;

/** A standalone SVG of the canvas: boxes, labels and the edges between them (bezier curves
 * from right side to left side, as the canvas draws them). */
export function toSvg(nodes: DrawnNode[], edges: DrawnEdge[]): string {
  const minX = Math.min(...nodes.map((node) => node.x), 0) - MARGIN;
  const minY = Math.min(...nodes.map((node) => node.y), 0) - MARGIN;
  const maxX = Math.max(...nodes.map((node) => node.x + node.width), 1) + MARGIN;
  const maxY = Math.max(...nodes.map((node) => node.y + node.height), 1) + MARGIN;
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const paths = edges.flatMap((edge) => {
    const from = byId.get(edge.source);
    const to = byId.get(edge.target);
    if (!from || !to) return [];
    const [x1, y1, x2, y2] = [from.x + from.width, from.y + from.height / 2, to.x, to.y + to.height / 2];
    const bend = Math.max(40, Math.abs(x2 - x1) / 2);
    const line = `<path d="M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}" fill="none" stroke="#8a93a3" stroke-width="1.5" marker-end="url(#arrow)"/>`;
    const label = edge.label ? `<text x="${(x1 + x2) / 2}" y="${(y1 + y2) / 2 - 4}" font-size="11" text-anchor="middle" fill="#4b5563">${escapeXml(edge.label)}</text>` : "";
    return [line + label];
  });
  const boxes = nodes.map(
    (node) =>
      `<g><title>${escapeXml(node.detail)}</title><rect x="${node.x}" y="${node.y}" width="${node.width}" height="${node.height}" rx="6" fill="${FILL[node.kind]}" stroke="${STROKE[node.kind]}"/>` +
      `<text x="${node.x + 12}" y="${node.y + 26}" font-size="14" font-weight="600" fill="#111827">${escapeXml(node.label)}</text>` +
      `<text x="${node.x + 12}" y="${node.y + 46}" font-size="11" fill="#6b7280">${escapeXml(node.detail.split("\n")[1] ?? "")}</text></g>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${minX} ${minY} ${maxX - minX} ${maxY - minY}" width="${maxX - minX}" height="${maxY - minY}" font-family="system-ui, sans-serif">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8a93a3"/></marker></defs>`,
    `<rect x="${minX}" y="${minY}" width="${maxX - minX}" height="${maxY - minY}" fill="#ffffff"/>`,
    ...paths,
    ...boxes,
    "</svg>",
  ].join("\n");
}
