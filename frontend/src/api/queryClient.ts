import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { ApiError, isRetryable } from "./client";
import { reportError } from "../components/alerts";

function shouldAlert(error: unknown, meta: Record<string, unknown> | undefined): boolean {
  // 401s send the user to login; `silent` queries show their own inline error.
  if (error instanceof ApiError && error.status === 401) return false;
  return !meta?.silent;
}

/** A query that never loaded shows its error in place of its content (ErrorState); only a
 * failed refresh of data already on screen is raised as a notification, so each error is
 * shown once. */
function shownInPlace(query: { state: { data: unknown } }): boolean {
  return query.state.data === undefined;
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
        if (shownInPlace(query) || !shouldAlert(error, query.meta)) return;
        reportError(error.message, isRetryable(error) ? () => void client.refetchQueries({ queryKey: query.queryKey }) : undefined);
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
