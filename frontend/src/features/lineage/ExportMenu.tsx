import { useState } from "react";
import { useReactFlow, type Node } from "@xyflow/react";
import { saveBlob } from "../../api/client";
import { reportError } from "../../components/alerts";
import { toDlvJson, toEdgeCsv, toOpenLineage, toSvg, type DrawnNode } from "./exporters";
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

/** Exports what the canvas shows: pictures (SVG, PNG, with edges), the graph as DLV JSON,
 * its edges as CSV (a row per column mapping) and OpenLineage job events. */
export function ExportMenu({ graph, name }: { graph: MergedGraph; name: string }) {
  const flow = useReactFlow();
  const [open, setOpen] = useState(false);
  const picture = () => {
    const nodes = flow.getNodes().map(drawn);
    const edges = flow.getEdges().map((edge) => ({ source: edge.source, target: edge.target, label: typeof edge.label === "string" ? edge.label : undefined }));
    return toSvg(nodes, edges);
  };
  const run = async (format: string) => {
    setOpen(false);
    try {
      if (format === "svg") saveBlob(new Blob([picture()], { type: "image/svg+xml" }), `${name}.svg`);
      if (format === "png") {
        const svg = picture();
        const [, , width, height] = /viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"/.exec(svg)!.slice(1).map(Number);
        saveBlob(await svgToPng(svg, width, height), `${name}.png`);
      }
      if (format === "json") saveBlob(new Blob([toDlvJson(graph)], { type: "application/json" }), `${name}.dlv.json`);
      if (format === "csv") saveBlob(new Blob([toEdgeCsv(graph)], { type: "text/csv" }), `${name}-edges.csv`);
      if (format === "openlineage") saveBlob(new Blob([JSON.stringify(toOpenLineage(graph), null, 2)], { type: "application/json" }), `${name}.openlineage.json`);
    } catch (failure) {
      reportError(`Export failed: ${(failure as Error).message}`);
    }
  };
  return (
    <div className="menu-anchor">
      <button className="btn btn-sm" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        Export
      </button>
      {open && (
        <ul className="menu card" role="menu" aria-label="Export the visible graph">
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
