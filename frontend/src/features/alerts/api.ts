import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";

export type AlertRead = components["schemas"]["AlertRead"];
export type RuleRead = components["schemas"]["RuleRead"];
export type RuleCreate = components["schemas"]["RuleCreate"];
export type ChannelRead = components["schemas"]["ChannelRead"];
export type ChannelCreate = components["schemas"]["ChannelCreate"];
export const PAGE_SIZE = 50;

/** One page of GET /api/alerts/events, newest first, with every delivery attempt. */
export function useAlertEvents(page: number, status: "open" | "resolved" | undefined) {
  const query = { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE, ...(status ? { status } : {}) };
  return useQuery({
    queryKey: ["alerts", "events", query],
    queryFn: () => unwrap(api.GET("/api/alerts/events", { params: { query } })),
    placeholderData: keepPreviousData,
    // Deliveries move on their own (retries): keep the list current while it is open.
    refetchInterval: 5000,
  });
}

/** Every subject with an open alert (the explorer's badges): a short list, whatever the graph's size. */
export function useOpenAlerts() {
  return useQuery({
    queryKey: ["alerts", "open"],
    queryFn: () => unwrap(api.GET("/api/alerts/open", {})),
    refetchInterval: 30_000,
    meta: { silent: true },
  });
}

export function useRules() {
  return useQuery({ queryKey: ["alerts", "rules"], queryFn: () => unwrap(api.GET("/api/alerts/rules")) });
}

export function useChannels(enabled: boolean) {
  return useQuery({ queryKey: ["alerts", "channels"], queryFn: () => unwrap(api.GET("/api/alerts/channels")), enabled, meta: { silent: true } });
}

function useInvalidating<T>(mutationFn: (value: T) => Promise<unknown>, silent = false) {
  const client = useQueryClient();
  return useMutation({
    mutationFn,
    // A 400 names the wrong field: forms show it next to themselves, not as a toast.
    meta: { silent },
    onSettled: () => void client.invalidateQueries({ queryKey: ["alerts"] }),
  });
}

export const useCreateRule = () => useInvalidating((body: RuleCreate) => unwrap(api.POST("/api/alerts/rules", { body })), true);
export const useToggleRule = () =>
  useInvalidating(({ id, enabled }: { id: string; enabled: boolean }) =>
    unwrap(api.PATCH("/api/alerts/rules/{rule_id}", { params: { path: { rule_id: id } }, body: { enabled } })),
  );
export const useDeleteRule = () =>
  useInvalidating((id: string) => unwrap(api.DELETE("/api/alerts/rules/{rule_id}", { params: { path: { rule_id: id } } })));
export const useCreateChannel = () => useInvalidating((body: ChannelCreate) => unwrap(api.POST("/api/alerts/channels", { body })), true);
export const useDeleteChannel = () =>
  useInvalidating((id: string) => unwrap(api.DELETE("/api/alerts/channels/{channel_id}", { params: { path: { channel_id: id } } })));
export const useResolveAlert = () =>
  useInvalidating((id: string) => unwrap(api.POST("/api/alerts/events/{alert_id}/resolve", { params: { path: { alert_id: id } } })));
