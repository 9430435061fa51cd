import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { api, unwrap } from "../../api/client";

export const PAGE_SIZE = 50;

export interface AuditFilters {
  actor: string;
  entityType: string;
  action: string;
}

/** One page of GET /api/audit (newest first); empty filters are not sent. */
export function useAuditEntries(filters: AuditFilters, page: number) {
  const query = {
    pageSize: PAGE_SIZE,
    currentPage: page,
    ...(filters.actor.trim() ? { actor: filters.actor.trim() } : {}),
    ...(filters.entityType ? { entity_type: filters.entityType } : {}),
    ...(filters.action ? { action: filters.action } : {}),
  };
  return useQuery({
    queryKey: ["audit", query],
    queryFn: () => unwrap(api.GET("/api/audit", { params: { query } })),
    placeholderData: keepPreviousData,
  });
}

const NAME_LOOKUP_LIMIT = 100;

/** Names of the assets and processes an audit page mentions by id (edges are recorded by
 * the ids of their ends), so rows read "orders → extract_orders". */
export function useEntityNames(ids: string[]): Map<string, string> {
  const wanted = ids.slice(0, NAME_LOOKUP_LIMIT);
  const query = { ids: wanted, pageSize: NAME_LOOKUP_LIMIT };
  const names = useQuery({
    queryKey: ["audit-names", wanted],
    enabled: wanted.length > 0,
    staleTime: 60_000,
    meta: { silent: true },
    queryFn: async () => {
      const [assets, processes] = await Promise.all([
        unwrap(api.GET("/api/lineage/assets", { params: { query: { ...query, include_deleted: true } } })),
        unwrap(api.GET("/api/lineage/processes", { params: { query: { ...query, include_deleted: true } } })),
      ]);
      return [...(assets.items ?? []), ...(processes.items ?? [])].map((item) => [item.id, item.name] as const);
    },
  });
  return useMemo(() => new Map(names.data ?? []), [names.data]);
}
