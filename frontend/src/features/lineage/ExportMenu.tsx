import { useCallback, useRef, useState } from "react";
import { useReactFlow, useStoreApi, type Node } from "@xyflow/react";
import { saveBlob } from "../../api/client";
import { reportError } from "../../components/alerts";
import { useDismiss } from "../../lib/useDismiss";
import { inView, subgraph, toDlvJson, toEdgeCsv, toOpenLineage, toSvg, type DrawnNode } from "./exporters";
import type { MergedGraph } from "./graphModel";
import type { EntityData, GroupData } from "./nodes";

const PNG_MAX_SIDE = 8000;

function drawn(node: Node): DrawnNode {
  const box = { id: node.id, x: node.position.x, y: node.position.y, width: node.width ?? node.initialWidth ?? 240, height: node.height ?? node.initialHeight ?? 62 };
  if (node.type === "nodeGroup") {
    const { group } = node.data as GroupData;
    return { ...box, label: group.label, detail: `${group.title}\n${group.assets} assets · ${group.processes} processes`, kind: "group" };
  }
  const { entity, label } = node.data as EntityData;
  return { ...box, label, detail: `${entity.name}\n${entity.namespace} · ${entity.kind}`, kind: entity.type === "process" ? "process" : "asset" };
}

/** Renders the SVG into a canvas (scaled down when huge: browsers cap canvas sizes). */
async function svgToPng(svg: string, width: number, height: number): Promise<Blob> {
  const scale = Math.min(2, PNG_MAX_SIDE / Math.max(width, height));
  const image = new Image();
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = Math.ceil(width * scale);
  canvas.height = Math.ceil(height * scale);
  canvas.getContext("2d")!.drawImage(image, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("The browser could not draw the PNG."))), "image/png"));
}

type Scope = "visible" | "whole";

/** The graph node ids a drawn box stands for: its own, or a closed group's members. */
function standsFor(node: Node): string[] {
  return node.type === "nodeGroup" ? (node.data as GroupData).members : [node.id];
}

/** Exports either the visible part (what is on screen now: after filters, hidden nodes, closed
 * groups and the viewport) or the whole graph loaded on the canvas: pictures (SVG, PNG, with
 * edges), DLV JSON, a CSV edge list (a row per column mapping) and OpenLineage job events. */
export function ExportMenu({ graph, name }: { graph: MergedGraph; name: string }) {
  const flow = useReactFlow();
  const store = useStoreApi();
  const [open, setOpen] = useState(false);
  const anchor = useRef<HTMLDivElement>(null);
  useDismiss(open, useCallback(() => setOpen(false), []), anchor);
  const [scope, setScope] = useState<Scope>("visible");
  const drawnNodes = (): Node[] => {
    const all = flow.getNodes();
    if (scope === "whole") return all;
    const { width, height, transform: [x, y, zoom] } = store.getState();
    const view = { x: -x / zoom, y: -y / zoom, width: width / zoom, height: height / zoom };
    const shown = new Set(inView(all.map(drawn), view).map((node) => node.id));
    return all.filter((node) => shown.has(node.id));
  };
  const picture = () => {
    const nodes = drawnNodes();
    const ids = new Set(nodes.map((node) => node.id));
    const edges = flow.getEdges().filter((edge) => ids.has(edge.source) && ids.has(edge.target));
    return toSvg(nodes.map(drawn), edges.map((edge) => ({ source: edge.source, target: edge.target, label: typeof edge.label === "string" ? edge.label : undefined })));
  };
  const data = () => (scope === "whole" ? graph : subgraph(graph, new Set(drawnNodes().flatMap(standsFor))));
  const run = async (format: string) => {
    setOpen(false);
    try {
      if (format === "svg") saveBlob(new Blob([picture()], { type: "image/svg+xml" }), `${name}.svg`);
      if (format === "png") {
        const svg = picture();
        const [, , width, height] = /viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"/.exec(svg)!.slice(1).map(Number);
        saveBlob(await svgToPng(svg, width, height), `${name}.png`);
      }
      const part = data();
      if (format === "json") saveBlob(new Blob([toDlvJson(part)], { type: "application/json" }), `${name}.dlv.json`);
      if (format === "csv") saveBlob(new Blob([toEdgeCsv(part)], { type: "text/csv" }), `${name}-edges.csv`);
      if (format === "openlineage") saveBlob(new Blob([JSON.stringify(toOpenLineage(part), null, 2)], { type: "application/json" }), `${name}.openlineage.json`);
    } catch (failure) {
      reportError(`Export failed: ${(failure as Error).message}`);
    }
  };
  return (
    <div className="menu-anchor" ref={anchor}>
      <button className="btn btn-sm" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        Export
      </button>
      {open && (
        <ul className="menu card" role="menu" aria-label="Export">
          <li className="export-scope" role="radiogroup" aria-label="What to export">
            {([["visible", "Visible part"], ["whole", "Whole graph"]] as const).map(([value, label]) => (
              <label key={value} title={value === "visible" ? "What is on screen: after filters, hidden nodes, closed groups and the viewport" : "Every node loaded on the canvas"}>
                <input type="radio" name="export-scope" checked={scope === value} onChange={() => setScope(value)} /> {label}
              </label>
            ))}
          </li>
          {[["png", "PNG image"], ["svg", "SVG image"], ["json", "DLV JSON"], ["csv", "CSV edge list"], ["openlineage", "OpenLineage JSON"]].map(([format, label]) => (
            <li key={format}>
              <button role="menuitem" className="menu-item" onClick={() => void run(format)}>
                {label}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
