import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import type { Me } from "../api/types";
import { readToken, signedInWithSso, SSO_LOGOUT_PATH, storeToken, takeSsoToken, UNAUTHORIZED_EVENT } from "./session";

interface AuthState {
  token: string | null;
  me: Me | undefined;
  meStatus: "pending" | "error" | "success";
  meError: Error | null;
  retryMe: () => void;
  isAdmin: boolean;
  /** True when the server ended the session (expired token), not the user. */
  sessionExpired: boolean;
  login: (username: string, password: string) => Promise<void>;
  logout: () => void;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [token, setToken] = useState(() => takeSsoToken() ?? readToken());
  const [sessionExpired, setSessionExpired] = useState(false);

  const forget = useCallback(() => {
    storeToken(null);
    setToken(null);
    // Nothing cached under one user may show to the next one.
    queryClient.clear();
  }, [queryClient]);

  useEffect(() => {
    const expire = () => {
      setSessionExpired(true);
      forget();
    };
    window.addEventListener(UNAUTHORIZED_EVENT, expire);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, expire);
  }, [forget]);

  const meQuery = useQuery({
    queryKey: ["me", token],
    queryFn: () => unwrap(api.GET("/api/auth/me")),
    enabled: token !== null,
    staleTime: Infinity,
    meta: { silent: true },
  });

  const login = useCallback(
    async (username: string, password: string) => {
      const { access_token } = await unwrap(api.POST("/api/auth/login", { body: { username, password } }));
      queryClient.clear();
      storeToken(access_token);
      setSessionExpired(false);
      setToken(access_token);
    },
    [queryClient],
  );

  const logout = useCallback(() => {
    const sso = signedInWithSso();
    forget();
    if (sso) window.location.assign(SSO_LOGOUT_PATH);
  }, [forget]);

  const value = useMemo<AuthState>(
    () => ({
      token,
      me: meQuery.data,
      meStatus: meQuery.status,
      meError: meQuery.error,
      retryMe: () => void meQuery.refetch(),
      isAdmin: meQuery.data?.role === "admin",
      sessionExpired,
      login,
      logout,
    }),
    [token, meQuery.data, meQuery.status, meQuery.error, meQuery.refetch, sessionExpired, login, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error("useAuth needs an <AuthProvider> above it");
  return state;
}

/** Renders its children for admins only: viewers get a read-only UI with no write controls. */
export function AdminOnly({ children }: { children: ReactNode }) {
  return useAuth().isAdmin ? <>{children}</> : null;
}
