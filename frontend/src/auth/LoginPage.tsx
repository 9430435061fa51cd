import { useState, type FormEvent } from "react";
import { Navigate, useSearchParams } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { Logo } from "../components/icons";
import { Spinner } from "../components/feedback";
import { useAuth } from "./AuthContext";
import { startSso } from "./session";

/** Only same-app paths are honoured, so a crafted ?next= cannot send users elsewhere. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/lineage";
}

/** Which sign-ins to offer. Until the server says (or if it cannot), the password form shows. */
function useLoginProviders() {
  const { data } = useQuery({
    queryKey: ["login-providers"],
    queryFn: () => unwrap(api.GET("/api/auth/providers")),
    staleTime: Infinity,
    retry: false,
    meta: { silent: true },
  });
  return { localLogin: data?.local_login !== false, sso: data?.oidc ?? null };
}

export default function LoginPage() {
  const { token, login } = useAuth();
  const [params] = useSearchParams();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const expired = params.get("expired") === "1";
  // A refused single sign-on comes back here with the reason (e.g. the groups that are accepted).
  const ssoError = params.get("sso_error");
  const { localLogin, sso } = useLoginProviders();

  if (token) return <Navigate to={safeNext(params.get("next"))} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username, password);
    } catch (failure) {
      setError((failure as Error).message);
      setBusy(false);
    }
  }

  return (
    <div className="login-screen">
      <form className="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand">
          <Logo /> DLV
        </div>
        <div className="stack" style={{ gap: 4 }}>
          <h1 id="login-title">Sign in</h1>
          <p className="muted">Data lineage and impact analysis.</p>
        </div>
        {ssoError && !error && (
          <div className="alert alert-error" role="alert">
            {ssoError}
          </div>
        )}
        {expired && !error && !ssoError && (
          <div className="alert" role="status">
            Your session ended. Sign in again to continue where you were.
          </div>
        )}
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        {sso && (
          <a className="btn btn-primary" onClick={startSso} href={`${sso.login_url}?${new URLSearchParams({ next: safeNext(params.get("next")) })}`}>
            Sign in with {sso.name}
          </a>
        )}
        {localLogin && <PasswordFields {...{ username, setUsername, password, setPassword, busy, secondary: sso !== null }} />}
      </form>
    </div>
  );
}

interface PasswordFieldsProps {
  username: string;
  setUsername: (value: string) => void;
  password: string;
  setPassword: (value: string) => void;
  busy: boolean;
  /** Single sign-on is offered above: the password sign-in is the second choice. */
  secondary: boolean;
}

function PasswordFields({ username, setUsername, password, setPassword, busy, secondary }: PasswordFieldsProps) {
  return (
    <>
      {secondary && <p className="muted">or with a DLV account</p>}
      <div className="field">
        <label htmlFor="username">Username</label>
        <input id="username" className="input" autoComplete="username" autoFocus={!secondary} required value={username} onChange={(e) => setUsername(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="password">Password</label>
        <input id="password" className="input" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      </div>
      <button className={secondary ? "btn" : "btn btn-primary"} type="submit" disabled={busy}>
        {busy ? <Spinner label="Signing in" /> : null}
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </>
  );
}
