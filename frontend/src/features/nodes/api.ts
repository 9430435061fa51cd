import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";

export interface NodeFilters {
  search: string;
  type: string;
  status: string;
  tag: string;
  sort: string;
  page: number;
}
export const PAGE_SIZE = 24;

/** Every nodes query key, for the hooks below and for the live-events invalidation. */
export const nodeKeys = {
  types: ["node-types"] as const,
  lists: ["nodes"] as const,
  list: (filters: NodeFilters) => ["nodes", filters] as const,
  detail: (id: string | null) => ["node", id] as const,
  checks: (id: string | null) => ["node-checks", id] as const,
};

export function useNodeTypes() {
  return useQuery({ queryKey: nodeKeys.types, queryFn: () => unwrap(api.GET("/api/node-types")), staleTime: Infinity });
}

export function useNodes(filters: NodeFilters) {
  const [orderBy, sortOrder] = filters.sort.split(":");
  return useQuery({
    queryKey: nodeKeys.list(filters),
    placeholderData: (previous) => previous,
    queryFn: () =>
      unwrap(
        api.GET("/api/nodes", {
          params: {
            query: {
              currentPage: filters.page,
              pageSize: PAGE_SIZE,
              orderBy,
              sortOrder: sortOrder as "asc" | "desc",
              ...(filters.search ? { searchString: filters.search } : {}),
              ...(filters.type ? { type: [filters.type] } : {}),
              ...(filters.status ? { status: [filters.status as "ok" | "error" | "unknown"] } : {}),
              ...(filters.tag ? { tag: filters.tag } : {}),
            },
          },
        }),
      ),
  });
}

export function useNode(id: string | null) {
  return useQuery({
    queryKey: nodeKeys.detail(id),
    enabled: Boolean(id),
    queryFn: () => unwrap(api.GET("/api/nodes/{node_id}", { params: { path: { node_id: id! } } })),
  });
}

export function useNodeChecks(id: string | null) {
  return useQuery({
    queryKey: nodeKeys.checks(id),
    enabled: Boolean(id),
    queryFn: () => unwrap(api.GET("/api/nodes/{node_id}/checks", { params: { path: { node_id: id! }, query: { limit: 50 } } })),
  });
}

function useRefreshNodes() {
  const client = useQueryClient();
  return (id?: string) => {
    void client.invalidateQueries({ queryKey: nodeKeys.lists });
    if (id) {
      void client.invalidateQueries({ queryKey: nodeKeys.detail(id) });
      void client.invalidateQueries({ queryKey: nodeKeys.checks(id) });
    }
  };
}

type Config = Record<string, unknown>;

export interface NodeInput {
  id?: string;
  name: string;
  type: string;
  description: string | null;
  tags: string[];
  config: Config;
  /** Seconds between scheduled runs; null: manual only. */
  check_interval_seconds: number | null;
  discovery_interval_seconds: number | null;
}

export function useSaveNode() {
  const refresh = useRefreshNodes();
  return useMutation({
    // Errors show inside the modal, next to the form.
    meta: { silent: true },
    mutationFn: ({ id, type, ...fields }: NodeInput) =>
      id
        ? unwrap(api.PATCH("/api/nodes/{node_id}", { params: { path: { node_id: id } }, body: fields }))
        : unwrap(api.POST("/api/nodes", { body: { type, ...fields } })),
    onSuccess: (node) => refresh(node.id),
  });
}

export function useTestConnection() {
  const refresh = useRefreshNodes();
  return useMutation({
    meta: { silent: true },
    mutationFn: (input: { id: string } | { type: string; config: Config }) =>
      "id" in input
        ? unwrap(api.POST("/api/nodes/{node_id}/test", { params: { path: { node_id: input.id } } }))
        : unwrap(api.POST("/api/nodes/test", { body: { type: input.type, config: input.config } })),
    onSuccess: (_report, input) => "id" in input && refresh(input.id),
  });
}

export function useDeleteNode() {
  const refresh = useRefreshNodes();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/nodes/{node_id}", { params: { path: { node_id: id } } })),
    onSuccess: () => refresh(),
  });
}

/** Runs a discovery now: the node's tables, views and view lineage. */
export function useDiscover() {
  const refresh = useRefreshNodes();
  return useMutation({
    meta: { silent: true },
    mutationFn: (id: string) => unwrap(api.POST("/api/nodes/{node_id}/discover", { params: { path: { node_id: id } }, body: null })),
    onSuccess: (_result, id) => refresh(id),
  });
}
