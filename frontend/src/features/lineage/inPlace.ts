import type { CanvasShape } from "./canvasModel";
import { quickLayeredLayout, type Positions } from "./layout";

/** The last layout: the shape laid out and where its boxes went. */
export interface Placed {
  shape: CanvasShape;
  positions: Positions;
}

interface Change {
  added: string[];
  removed: string[];
}

function changeOf(before: CanvasShape, after: CanvasShape): Change {
  const had = new Set(before.boxes.map((box) => box.id));
  const has = new Set(after.boxes.map((box) => box.id));
  return { added: [...has].filter((id) => !had.has(id)), removed: [...had].filter((id) => !has.has(id)) };
}

/** True when the change is only groups opening (a group gone, its members come) and closing
 * (members gone, their group come). Anything else needs a whole new layout. */
function onlyGroupsToggled(before: CanvasShape, after: CanvasShape, { added, removed }: Change): boolean {
  if (!added.length && !removed.length) return false;
  const groupsBefore = new Set(before.view.groups.map((group) => group.id));
  const groupsAfter = new Set(after.view.groups.map((group) => group.id));
  const opened = new Set(removed.filter((id) => groupsBefore.has(id)));
  const closed = new Set(added.filter((id) => groupsAfter.has(id)));
  const sizeOf = (groups: CanvasShape["view"]["groups"], id: string) => groups.find((group) => group.id === id)!;
  const whole = (group: { assets: number; processes: number }, members: string[]) => group.assets + group.processes === members.length;
  return (
    added.every((id) => closed.has(id) || opened.has(before.view.shownAs.get(id) ?? "")) &&
    removed.every((id) => opened.has(id) || closed.has(after.view.shownAs.get(id) ?? "")) &&
    // The same nodes, regrouped: a group closes over exactly the members that left, and opens into exactly those that came.
    [...closed].every((id) => whole(sizeOf(after.view.groups, id), removed.filter((member) => after.view.shownAs.get(member) === id))) &&
    [...opened].every((id) => whole(sizeOf(before.view.groups, id), added.filter((member) => before.view.shownAs.get(member) === id)))
  );
}

const centre = (at: { x: number; y: number }, width: number, height: number) => ({ x: at.x + width / 2, y: at.y + height / 2 });

/** The opened group's members, laid out among themselves and centred where the group was. */
function layOutMembers(after: CanvasShape, members: string[], around: { x: number; y: number }): Positions {
  const ids = new Set(members);
  const boxes = after.boxes.filter((box) => ids.has(box.id));
  const local = quickLayeredLayout(boxes, after.links.filter((link) => ids.has(link.source) && ids.has(link.target)));
  const sizes = new Map(boxes.map((box) => [box.id, box]));
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [id, at] of Object.entries(local)) {
    minX = Math.min(minX, at.x);
    minY = Math.min(minY, at.y);
    maxX = Math.max(maxX, at.x + sizes.get(id)!.width);
    maxY = Math.max(maxY, at.y + sizes.get(id)!.height);
  }
  const shiftX = around.x - (minX + maxX) / 2;
  const shiftY = around.y - (minY + maxY) / 2;
  return Object.fromEntries(Object.entries(local).map(([id, at]) => [id, { x: at.x + shiftX, y: at.y + shiftY }]));
}

/** Positions after opening or closing groups without moving anything else: every box that
 * stays keeps its place, an opened group's members are laid out around where the group was,
 * and a closed group (or a member opened again) returns to where it was before. `memory`
 * keeps the places of boxes taken off the canvas. Null when the change is not only that. */
export function placeInPlace(before: Placed, after: CanvasShape, memory: Positions): Positions | null {
  // Another grouping is another picture: laid out anew.
  if (before.shape.groupBy !== after.groupBy) return null;
  const change = changeOf(before.shape, after);
  if (!onlyGroupsToggled(before.shape, after, change)) return null;
  for (const id of change.removed) if (before.positions[id]) memory[id] = before.positions[id];
  const positions: Positions = {};
  for (const box of after.boxes) if (before.positions[box.id]) positions[box.id] = before.positions[box.id];
  const size = new Map(after.boxes.map((box) => [box.id, box]));
  const sizeBefore = new Map(before.shape.boxes.map((box) => [box.id, box]));
  const membersOf = new Map<string, string[]>();
  for (const id of change.added) {
    const group = before.shape.view.shownAs.get(id);
    if (group && group !== id) (membersOf.get(group) ?? membersOf.set(group, []).get(group)!).push(id);
    else positions[id] = memory[id] ?? centroidOf(change.removed.filter((member) => after.view.shownAs.get(member) === id), before, size.get(id)!);
  }
  for (const [group, members] of membersOf) {
    if (members.every((id) => memory[id])) {
      for (const id of members) positions[id] = memory[id];
      continue;
    }
    const box = sizeBefore.get(group)!;
    Object.assign(positions, layOutMembers(after, members, centre(before.positions[group] ?? { x: 0, y: 0 }, box.width, box.height)));
  }
  return positions;
}

/** Where a closing group goes when it was never drawn: centred on its members. */
function centroidOf(members: string[], before: Placed, box: { width: number; height: number }): { x: number; y: number } {
  const sizes = new Map(before.shape.boxes.map((item) => [item.id, item]));
  const centres = members.map((id) => centre(before.positions[id] ?? { x: 0, y: 0 }, sizes.get(id)!.width, sizes.get(id)!.height));
  const x = centres.reduce((sum, at) => sum + at.x, 0) / Math.max(1, centres.length);
  const y = centres.reduce((sum, at) => sum + at.y, 0) / Math.max(1, centres.length);
  return { x: x - box.width / 2, y: y - box.height / 2 };
}
