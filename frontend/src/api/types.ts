// Names for the generated OpenAPI shapes the UI uses; regenerate with `npm run gen`.
import type { components } from "./schema";

type Schemas = components["schemas"];
export type Me = Schemas["Me"];
export type Graph = Schemas["Graph"];
export type GraphNode = Schemas["GraphNode"];
export type GraphEdge = Schemas["GraphEdge"];
export type ColumnMapping = Schemas["ColumnMapping"];
export type AssetRead = Schemas["AssetRead"];
export type ProcessRead = Schemas["ProcessRead"];
export type Impact = Schemas["Impact"];
export type ImpactItem = Schemas["ImpactItem"];
export type SearchHit = Schemas["SearchHit"];
export type NodeRead = Schemas["NodeRead"];
export type NodeTypeRead = Schemas["NodeTypeRead"];
export type NodeCheckRead = Schemas["NodeCheckRead"];
export type TestReport = Schemas["TestReport"];
export type DashboardRead = Schemas["DashboardRead"];
export type DashboardSummary = Schemas["DashboardSummary"];
export type Layout = Schemas["Layout"];
export type AuditEntryRead = Schemas["AuditEntryRead"];
export type RunSummary = Schemas["RunSummary"];
export type RunDetail = Schemas["RunDetail"];
export type RunDataset = Schemas["RunDatasetRead"];
export type DatasetVersion = Schemas["DatasetVersion"];
export type SchemaDiff = Schemas["SchemaDiff"];
export type Direction = "upstream" | "downstream" | "both";
