import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";
import { readToken, signalUnauthorized } from "../auth/session";

/** An API failure carrying the server's RFC 9457 problem detail, shown to users as is. */
export class ApiError extends Error {
  readonly status: number;
  /** The request fields the server named as wrong (problem details' `errors[].field`). */
  readonly fields: string[];
  constructor(status: number, message: string, fields: string[] = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.fields = fields;
  }
}

/** Asking again helps with network blips and server errors, never with a refusal (403) or
 * a request the server rejected (4xx). */
export function isRetryable(error: unknown): boolean {
  return !(error instanceof ApiError) || error.status === 0 || error.status >= 500;
}

interface Problem {
  detail?: string;
  title?: string;
  errors?: { message?: string; field?: string }[];
}

export function problemFields(body: unknown): string[] {
  return ((body ?? {}) as Problem).errors?.flatMap((item) => (item.field ? [item.field] : [])) ?? [];
}

export function problemMessage(status: number, body: unknown): string {
  const problem = (body ?? {}) as Problem;
  const fieldErrors = (problem.errors ?? []).map((item) => item.message).filter(Boolean);
  const base = problem.detail ?? problem.title ?? `The server answered ${status}.`;
  return fieldErrors.length ? `${base} ${fieldErrors.join(" ")}` : base;
}

const LOGIN_PATH = "/api/auth/login";

/** Adds the bearer token; a 401 on anything but login means the session ended. */
const authMiddleware: Middleware = {
  onRequest({ request }) {
    const token = readToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && !new URL(request.url).pathname.endsWith(LOGIN_PATH)) signalUnauthorized();
    return response;
  },
};

// fetch is looked up per call (not captured once) so tests can stub it.
export const api = createClient<paths>({ baseUrl: window.location.origin, fetch: (request) => globalThis.fetch(request) });
api.use(authMiddleware);

/** Turns openapi-fetch's `{data, error, response}` into data or a thrown ApiError, so
 * TanStack Query sees failures as failures. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new ApiError(0, "DLV is not reachable. Check your network or that the server is running.");
  }
  if (!result.response.ok) throw new ApiError(result.response.status, problemMessage(result.response.status, result.error), problemFields(result.error));
  return result.data as T;
}

/** Downloads an authenticated file (e.g. the impact CSV): a plain link cannot send the
 * Authorization header, so fetch the blob and hand it to the browser. */
export async function downloadWithAuth(path: string, fallbackName: string): Promise<void> {
  const token = readToken();
  const response = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (response.status === 401) signalUnauthorized();
  if (!response.ok) {
    const body = await response.json().catch(() => undefined);
    throw new ApiError(response.status, problemMessage(response.status, body), problemFields(body));
  }
  const disposition = response.headers.get("content-disposition") ?? "";
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
  saveBlob(await response.blob(), name);
}

/** Hands a file made in the page to the browser's download. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
