import { createContext, memo, useContext } from "react";
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import type { GraphNode } from "../../api/types";
import { isUnhealthy, shortName, type NamespaceGroup } from "./graphModel";

export const NODE_WIDTH = 240;
const NODE_HEIGHT = 62;
const FIELD_ROW = 18;
const MAX_FIELDS = 8;

/** Canvas actions reach nodes through context, so node data stays plain and memo works. */
export interface CanvasActions {
  toggleExpand: (id: string) => void;
}
export const CanvasActionsContext = createContext<CanvasActions>({ toggleExpand: () => {} });

export interface EntityData extends Record<string, unknown> {
  entity: GraphNode;
  isRoot: boolean;
  expanded: boolean;
  /** Columns shown in the column view; empty when it is off. */
  fields: string[];
  emphasis: "normal" | "highlighted" | "dimmed";
}
export type EntityFlowNode = Node<EntityData, "entity">;

export interface GroupData extends Record<string, unknown> {
  group: NamespaceGroup;
}
export type GroupFlowNode = Node<GroupData, "namespace">;

const FIELD_LIST_CHROME = 13; // margin, padding and border above the field list

export function entityHeight(fields: string[]): number {
  if (!fields.length) return NODE_HEIGHT;
  const rows = Math.min(fields.length, MAX_FIELDS) + (fields.length > MAX_FIELDS ? 1 : 0);
  return NODE_HEIGHT + FIELD_LIST_CHROME + rows * FIELD_ROW;
}

/** Size and handle places known in advance. React Flow otherwise renders every node once
 * to measure it; with these, only the nodes in view are ever rendered (2,000-node graphs). */
export function presized(width: number, height: number) {
  return {
    initialWidth: width,
    initialHeight: height,
    handles: [
      { type: "target" as const, position: Position.Left, x: 0, y: height / 2 },
      { type: "source" as const, position: Position.Right, x: width, y: height / 2 },
    ],
  };
}

function healthClass(health: string | null | undefined): string {
  const value = (health ?? "unknown").toLowerCase();
  if (isUnhealthy(value)) return "error";
  return value === "ok" || value === "completed" || value === "complete" ? "ok" : "unknown";
}

function EntityNodeView({ data, selected }: NodeProps<EntityFlowNode>) {
  const { entity, isRoot, expanded, fields, emphasis } = data;
  const { toggleExpand } = useContext(CanvasActionsContext);
  const health = healthClass(entity.health);
  return (
    <div
      className={`lineage-node ${entity.type} ${emphasis} ${isRoot ? "root" : ""} ${selected ? "selected" : ""}`}
      title={`${entity.namespace}\n${entity.name}\n${entity.kind} · health ${entity.health ?? "unknown"}${entity.owner ? ` · owner ${entity.owner}` : ""}`}
      data-testid="lineage-node"
      data-name={entity.name}
    >
      <Handle type="target" position={Position.Left} />
      <div className="lineage-node-head">
        <span className={`kind-chip ${entity.type}`} aria-hidden="true">
          {entity.type === "process" ? "ƒ" : "▦"}
        </span>
        <div className="lineage-node-title">
          <div className="truncate name">{shortName(entity.name)}</div>
          <div className="truncate meta">
            {entity.kind} · {entity.namespace}
          </div>
        </div>
        <span className={`health-dot ${health}`} role="img" aria-label={`health ${entity.health ?? "unknown"}`} data-testid="health-badge" />
        {!isRoot && (
          <button
            className="expand-toggle nodrag"
            aria-label={`${expanded ? "Collapse" : "Expand"} neighbours of ${entity.name}`}
            title={expanded ? "Collapse neighbours" : "Expand neighbours"}
            onClick={(event) => {
              event.stopPropagation();
              toggleExpand(entity.id);
            }}
          >
            {expanded ? "−" : "+"}
          </button>
        )}
      </div>
      {fields.length > 0 && (
        <ul className="lineage-node-fields">
          {fields.slice(0, MAX_FIELDS).map((field) => (
            <li key={field} className="truncate">
              {field}
            </li>
          ))}
          {fields.length > MAX_FIELDS && <li className="subtle">+{fields.length - MAX_FIELDS} more</li>}
        </ul>
      )}
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

function NamespaceNodeView({ data }: NodeProps<GroupFlowNode>) {
  const { group } = data;
  return (
    <div className="lineage-node namespace-group" title={group.namespace}>
      <Handle type="target" position={Position.Left} />
      <div className="truncate name">{group.namespace}</div>
      <div className="meta">
        {group.assets} assets · {group.processes} processes
        {group.unhealthy > 0 && <span className="badge badge-error" style={{ marginLeft: 6 }}>{group.unhealthy} unhealthy</span>}
      </div>
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

// Defined once at module level: a new object per render would remount every node.
export const nodeTypes = { entity: memo(EntityNodeView), namespace: memo(NamespaceNodeView) };
