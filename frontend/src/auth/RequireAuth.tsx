import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { ErrorState } from "../components/feedback";
import { useAuth } from "./AuthContext";

/** Sends anonymous visitors (or ones whose token expired) to login, remembering the page. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { token, meStatus, meError, retryMe, sessionExpired } = useAuth();
  const location = useLocation();
  if (!token) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}${sessionExpired ? "&expired=1" : ""}`} replace />;
  }
  // While the session is checked the page already mounts (and asks for its data with the same
  // token): a stale token answers 401 there too and lands on login. Admin-only controls wait
  // for the answer (isAdmin is false until then).
  if (meStatus === "error")
    return (
      <div className="page">
        <ErrorState error={meError} onRetry={retryMe} />
      </div>
    );
  return <>{children}</>;
}
