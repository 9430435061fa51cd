// The access token lives in sessionStorage: it survives reloads of this tab, is gone when
// the tab closes, and is never shared with other tabs.
const TOKEN_KEY = "dlv.token";
export const UNAUTHORIZED_EVENT = "dlv:unauthorized";

export function readToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The server refused our token (expired, revoked): forget it and let the app send the
 * user to the login page, keeping where they were. */
export function signalUnauthorized(): void {
  storeToken(null);
  window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
}
