// The access token lives in sessionStorage: it survives reloads of this tab, is gone when
// the tab closes, and is never shared with other tabs.
const TOKEN_KEY = "dlv.token";
// Set when the session came from single sign-on: logging out then also ends the provider's.
const SSO_KEY = "dlv.sso";
// Set in this tab when the user clicks "Sign in with ...": a token arriving in the address bar
// is only taken if this tab asked for it, so a link carrying someone else's token (to sign
// the victim in as the attacker) does nothing. sessionStorage is per tab, as the flow is.
const SSO_PENDING_KEY = "dlv.sso.pending";
export const SSO_LOGOUT_PATH = "/api/auth/oidc/logout";
export const UNAUTHORIZED_EVENT = "dlv:unauthorized";

export function readToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(SSO_KEY);
  }
}

export function signedInWithSso(): boolean {
  return sessionStorage.getItem(SSO_KEY) === "1";
}

export function startSso(): void {
  sessionStorage.setItem(SSO_PENDING_KEY, "1");
}

/** Single sign-on ends on /ui/login#sso_token=...: keep the token (if this tab started a
 * sign-in), and take it out of the address bar (and so out of the history) at once. */
export function takeSsoToken(): string | null {
  const token = new URLSearchParams(window.location.hash.slice(1)).get("sso_token");
  if (!token) return null;
  window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
  const asked = sessionStorage.getItem(SSO_PENDING_KEY) === "1";
  sessionStorage.removeItem(SSO_PENDING_KEY);
  if (!asked) return null;
  storeToken(token);
  sessionStorage.setItem(SSO_KEY, "1");
  return token;
}

/** The server refused our token (expired, revoked): forget it and let the app send the
 * user to the login page, keeping where they were. */
export function signalUnauthorized(): void {
  storeToken(null);
  window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
}
