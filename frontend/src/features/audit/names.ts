const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** The ids an audit page mentions in text (an edge is recorded as "<source id> -> <target id>"). */
export function idsIn(texts: (string | null | undefined)[]): string[] {
  return [...new Set(texts.flatMap((text) => (text ?? "").match(UUID) ?? []).map((id) => id.toLowerCase()))];
}

/** The text with every known id replaced by its name; "->" reads as an arrow. */
export function withNames(text: string, names: Map<string, string>): string {
  return text.replace(UUID, (id) => names.get(id.toLowerCase()) ?? id).replace(/ -> /g, " → ");
}
