import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { ErrorState, Loading } from "../components/feedback";
import { useAuth } from "./AuthContext";

/** Sends anonymous visitors (or ones whose token expired) to login, remembering the page. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { token, meStatus, meError, retryMe, sessionExpired } = useAuth();
  const location = useLocation();
  if (!token) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?next=${next}${sessionExpired ? "&expired=1" : ""}`} replace />;
  }
  if (meStatus === "pending") return <Loading>Opening your session…</Loading>;
  if (meStatus === "error")
    return (
      <div className="page">
        <ErrorState error={meError} onRetry={retryMe} />
      </div>
    );
  return <>{children}</>;
}
