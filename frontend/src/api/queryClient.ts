import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { ApiError } from "./client";
import { reportError } from "../components/alerts";

function shouldAlert(error: unknown, meta: Record<string, unknown> | undefined): boolean {
  // 401s send the user to login; `silent` queries show their own inline error.
  if (error instanceof ApiError && error.status === 401) return false;
  return !meta?.silent;
}

function retryUnlessClientError(failureCount: number, error: unknown): boolean {
  // A 4xx will not change by asking again; network blips and 5xx get two more tries.
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failureCount < 2;
}

export function createQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (shouldAlert(error, query.meta)) reportError(error.message, () => void client.refetchQueries({ queryKey: query.queryKey }));
      },
    }),
    mutationCache: new MutationCache({
      onError: (error, _variables, _context, mutation) => {
        if (shouldAlert(error, mutation.meta)) reportError(error.message);
      },
    }),
    defaultOptions: {
      queries: { retry: retryUnlessClientError, staleTime: 30_000, refetchOnWindowFocus: false },
    },
  });
  return client;
}
