import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { Layout } from "../../api/types";

/** Every dashboards query key, for the hooks below and for the live-events invalidation. */
export const dashboardKeys = {
  lists: ["dashboards"] as const,
  list: (search: string) => ["dashboards", search] as const,
  details: ["dashboard"] as const,
  detail: (id: string | null) => ["dashboard", id] as const,
};

export function useDashboards(search: string) {
  return useQuery({
    queryKey: dashboardKeys.list(search),
    queryFn: () =>
      unwrap(api.GET("/api/dashboards", { params: { query: { pageSize: 100, ...(search ? { searchString: search } : {}) } } })),
  });
}

export function useDashboard(id: string | null) {
  return useQuery({
    queryKey: dashboardKeys.detail(id),
    enabled: Boolean(id),
    queryFn: () => unwrap(api.GET("/api/dashboards/{dashboard_id}", { params: { path: { dashboard_id: id! } } })),
    staleTime: Infinity,
  });
}

function useInvalidateDashboards() {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: dashboardKeys.lists });
}

export function useCreateDashboard() {
  const invalidate = useInvalidateDashboards();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; description?: string | null; layout: Layout }) => unwrap(api.POST("/api/dashboards", { body })),
    onSuccess: (saved) => {
      client.setQueryData(["dashboard", saved.id], saved);
      void invalidate();
    },
  });
}

export function useUpdateDashboard() {
  const invalidate = useInvalidateDashboards();
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...body }: { id: string; name?: string; description?: string | null; layout?: Layout }) =>
      unwrap(api.PATCH("/api/dashboards/{dashboard_id}", { params: { path: { dashboard_id: id } }, body })),
    onSuccess: (saved) => {
      client.setQueryData(["dashboard", saved.id], saved);
      void invalidate();
    },
  });
}

export function useDeleteDashboard() {
  const invalidate = useInvalidateDashboards();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/dashboards/{dashboard_id}", { params: { path: { dashboard_id: id } } })),
    onSuccess: () => void invalidate(),
  });
}
