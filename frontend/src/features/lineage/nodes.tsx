import { createContext, memo, useContext } from "react";
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import type { GraphNode } from "../../api/types";
import { isUnhealthy } from "./graphModel";
import type { NodeGroup } from "./grouping";
import type { Side } from "./state";

export const NODE_WIDTH = 240;
const NODE_HEIGHT = 62;
const FIELD_ROW = 18;
const MAX_FIELDS = 8;
export const GROUP_WIDTH = 420;
export const GROUP_HEIGHT = 140;

/** Canvas actions reach nodes through context, so node data stays plain and memo works. */
export interface CanvasActions {
  toggleExpand: (id: string, side: Side) => void;
  hide: (id: string) => void;
  toggleGroup: (groupId: string) => void;
  traceField: (id: string, field: string) => void;
  /** False on a run's graph: it is what the run touched, there is no hop further to show. */
  canExpand: boolean;
}
export const CanvasActionsContext = createContext<CanvasActions>({ toggleExpand: () => {}, hide: () => {}, toggleGroup: () => {}, traceField: () => {}, canExpand: true });

/** Open alerts per node id (GET /api/alerts/open): a badge on each node that has any. */
export const OpenAlertsContext = createContext<Record<string, number>>({});

export interface EntityData extends Record<string, unknown> {
  entity: GraphNode;
  /** The shortest part of the name that tells this node apart on the canvas. */
  label: string;
  /** Where it lives: the catalog node's name, else the namespace's host. */
  chip: string;
  isRoot: boolean;
  expandedUp: boolean;
  expandedDown: boolean;
  /** Columns shown in the column view; empty when it is off. */
  fields: string[];
  /** Columns on the traced column's path (column view). */
  tracedFields: string[];
  emphasis: "normal" | "highlighted" | "dimmed";
}
export type EntityFlowNode = Node<EntityData, "entity">;

export interface GroupData extends Record<string, unknown> {
  group: NodeGroup;
  emphasis: "normal" | "highlighted" | "dimmed";
  /** The ids of the graph nodes the closed group stands for (for exporting what is seen). */
  members: string[];
}
export type GroupFlowNode = Node<GroupData, "nodeGroup">;

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

/** Where a long name may wrap (compact nodes use two lines): after `_ . / -`, never mid-word. */
function breakable(label: string) {
  return label.split(/(?<=[_./-])/).flatMap((part, index) => (index ? [<wbr key={index} />, part] : [part]));
}

function SideToggle({ entity, side, open }: { entity: GraphNode; side: Side; open: boolean }) {
  const { toggleExpand, canExpand } = useContext(CanvasActionsContext);
  const words = side === "up" ? "upstream" : "downstream";
  if (!canExpand) return null;
  return (
    <button
      className={`expand-toggle side-${side} nodrag`}
      aria-label={`${open ? "Collapse" : "Expand"} ${words} of ${entity.name}`}
      title={`${open ? "Collapse" : "Show"} one more hop ${words}`}
      onClick={(event) => {
        event.stopPropagation();
        toggleExpand(entity.id, side);
      }}
    >
      {open ? "−" : "+"}
    </button>
  );
}

function FieldList({ entity, fields, traced }: { entity: GraphNode; fields: string[]; traced: string[] }) {
  const { traceField } = useContext(CanvasActionsContext);
  return (
    <ul className="lineage-node-fields">
      {fields.slice(0, MAX_FIELDS).map((field) => (
        <li key={field}>
          <button
            className={`field-button truncate nodrag ${traced.includes(field) ? "traced" : ""}`}
            title={`Follow ${field} through the jobs`}
            onClick={(event) => {
              event.stopPropagation();
              traceField(entity.id, field);
            }}
          >
            {field}
          </button>
        </li>
      ))}
      {fields.length > MAX_FIELDS && <li className="subtle">+{fields.length - MAX_FIELDS} more</li>}
    </ul>
  );
}

function EntityNodeView({ data, selected }: NodeProps<EntityFlowNode>) {
  const { entity, label, chip, isRoot, expandedUp, expandedDown, fields, tracedFields, emphasis } = data;
  const { hide } = useContext(CanvasActionsContext);
  const openAlerts = useContext(OpenAlertsContext)[entity.id] ?? 0;
  const health = healthClass(entity.health);
  return (
    <div
      className={`lineage-node ${entity.type} health-${health} ${emphasis} ${isRoot ? "root" : ""} ${selected ? "selected" : ""}`}
      title={`${entity.name}\n${entity.namespace}\n${entity.kind} · health ${entity.health ?? "unknown"}${entity.owner ? ` · owner ${entity.owner}` : ""}`}
      data-testid="lineage-node"
      data-name={entity.name}
    >
      <Handle type="target" position={Position.Left} />
      {!isRoot && <SideToggle entity={entity} side="up" open={expandedUp} />}
      <div className="lineage-node-head">
        <span className={`kind-chip ${entity.type}`} aria-hidden="true">
          {entity.type === "process" ? "ƒ" : "▦"}
        </span>
        <div className="lineage-node-title">
          <div className="truncate name" data-testid="node-label">{breakable(label)}</div>
          <div className="truncate meta">
            <span className="place-chip">{chip}</span> {entity.kind}
          </div>
        </div>
        <span className={`health-dot ${health}`} role="img" aria-label={`health ${entity.health ?? "unknown"}`} data-testid="health-badge" />
        {openAlerts > 0 && (
          <span className="alert-badge" data-testid="alert-badge" title={`${openAlerts} open alert${openAlerts > 1 ? "s" : ""}`}>
            {openAlerts}
          </span>
        )}
        {!isRoot && (
          <button
            className="hide-node nodrag"
            aria-label={`Hide ${entity.name}`}
            title="Hide this node"
            onClick={(event) => {
              event.stopPropagation();
              hide(entity.id);
            }}
          >
            ✕
          </button>
        )}
      </div>
      {fields.length > 0 && <FieldList entity={entity} fields={fields} traced={tracedFields} />}
      {!isRoot && <SideToggle entity={entity} side="down" open={expandedDown} />}
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

function GroupNodeView({ data }: NodeProps<GroupFlowNode>) {
  const { group, emphasis } = data;
  const { toggleGroup } = useContext(CanvasActionsContext);
  const total = group.assets + group.processes;
  return (
    <div className={`lineage-node node-group ${emphasis}`} title={`${group.title}\nClick to show its ${total} nodes in place`} data-testid="lineage-group">
      <Handle type="target" position={Position.Left} />
      <button className="group-open nodrag" onClick={() => toggleGroup(group.id)} aria-label={`Expand group ${group.title}`}>
        <span className="truncate name">{group.label}</span>
        <span className="meta">
          {group.assets} assets · {group.processes} processes
          {group.unhealthy > 0 && <span className="badge badge-error" style={{ marginLeft: 6 }}>{group.unhealthy} unhealthy</span>}
        </span>
      </button>
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

// Defined once at module level: a new object per render would remount every node.
export const nodeTypes = { entity: memo(EntityNodeView), nodeGroup: memo(GroupNodeView) };
