import { keepPreviousData, useQuery } from "@tanstack/react-query";
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
