import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";

export type TokenRead = components["schemas"]["TokenRead"];
export type TokenRole = components["schemas"]["TokenCreate"]["role"];
export const PAGE_SIZE = 50;

/** One page of GET /api/tokens, newest first; revoked tokens too, so the list shows what stopped working. */
export function useTokens(page: number) {
  const query = { currentPage: page, pageSize: PAGE_SIZE, include_revoked: true };
  return useQuery({
    queryKey: ["tokens", query],
    queryFn: () => unwrap(api.GET("/api/tokens", { params: { query } })),
    // The page shows a refusal (a viewer's 403) in place of the table; no toast on top.
    meta: { silent: true },
    placeholderData: keepPreviousData,
  });
}

export function useCreateToken() {
  const client = useQueryClient();
  return useMutation({
    // The server's 400 names the wrong field: it shows next to the form, not as a toast.
    meta: { silent: true },
    mutationFn: (body: { name: string; role: TokenRole; expires_in_days: number | null }) => unwrap(api.POST("/api/tokens", { body })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["tokens"] }),
  });
}

export function useRevokeToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/tokens/{token_id}", { params: { path: { token_id: id } } })),
    onSettled: () => void client.invalidateQueries({ queryKey: ["tokens"] }),
  });
}
