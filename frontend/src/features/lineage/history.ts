import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { lineageKeys } from "./api";

export const RUNS_PAGE = 20;

/** A process's runs, newest first, one page at a time (page 1 is the newest). */
export function useRuns(processId: string | null, page = 1) {
  return useQuery({
    queryKey: lineageKeys.runs(processId ?? "", page),
    enabled: Boolean(processId),
    queryFn: () =>
      unwrap(api.GET("/api/lineage/processes/{process_id}/runs", { params: { path: { process_id: processId! }, query: { limit: RUNS_PAGE, offset: (page - 1) * RUNS_PAGE } } })),
    placeholderData: keepPreviousData,
    meta: { silent: true },
  });
}

export function useRun(runId: string | null) {
  return useQuery({
    queryKey: lineageKeys.run(runId ?? ""),
    enabled: Boolean(runId),
    queryFn: () => unwrap(api.GET("/api/lineage/runs/{run_id}", { params: { path: { run_id: runId! } } })),
    meta: { silent: true },
  });
}

export function useVersions(assetId: string, page = 1) {
  return useQuery({
    queryKey: lineageKeys.versions(assetId, page),
    queryFn: () =>
      unwrap(api.GET("/api/lineage/assets/{asset_id}/versions", { params: { path: { asset_id: assetId }, query: { limit: RUNS_PAGE, offset: (page - 1) * RUNS_PAGE } } })),
    placeholderData: keepPreviousData,
    meta: { silent: true },
  });
}

export function useVersionDiff(assetId: string, fromRunId: string | null, toRunId: string | null) {
  return useQuery({
    queryKey: lineageKeys.versionDiff(assetId, fromRunId ?? "", toRunId ?? ""),
    enabled: Boolean(fromRunId && toRunId && fromRunId !== toRunId),
    queryFn: () =>
      unwrap(api.GET("/api/lineage/assets/{asset_id}/versions/diff", { params: { path: { asset_id: assetId }, query: { from_run_id: fromRunId!, to_run_id: toRunId! } } })),
    meta: { silent: true },
  });
}
