import { lazy, Suspense } from "react";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { QueryClientProvider } from "@tanstack/react-query";
import { AuthProvider, useAuth } from "./auth/AuthContext";
import { useLiveEvents } from "./api/liveEvents";
import { RequireAuth } from "./auth/RequireAuth";
import { GlobalAlerts } from "./components/alerts";
import { Loading } from "./components/feedback";
import { Shell } from "./components/Shell";
import { createQueryClient } from "./api/queryClient";
import { readToken } from "./auth/session";
import { prefetchExplorerGraph } from "./features/lineage/api";

// Each screen is its own chunk: the login page does not pay for React Flow and ELK.
const LoginPage = lazy(() => import("./auth/LoginPage"));
const loadExplorer = () => import("./features/lineage/ExplorerPage");
const ExplorerPage = lazy(loadExplorer);
const NodesPage = lazy(() => import("./features/nodes/NodesPage"));
const DashboardsPage = lazy(() => import("./features/dashboards/DashboardsPage"));
const AuditPage = lazy(() => import("./features/audit/AuditPage"));
const TokensPage = lazy(() => import("./features/tokens/TokensPage"));
const AlertsPage = lazy(() => import("./features/alerts/AlertsPage"));
const RulesPage = lazy(() => import("./features/alerts/RulesPage"));
const ChannelsPage = lazy(() => import("./features/alerts/ChannelsPage"));

/** The server serves the app under /ui/ (see dlv/ui.py); every client route lives there. */
export const BASENAME = "/ui";
const queryClient = createQueryClient();
// The explorer is the start page: fetch its chunk and its graph while the session is
// checked, not after.
if (window.location.pathname.startsWith(`${BASENAME}/lineage`) && readToken()) {
  void loadExplorer();
  prefetchExplorerGraph(queryClient, window.location.search);
}

function Protected() {
  // Live events (node status, runs, lineage) refresh what the open screens show.
  useLiveEvents(useAuth().token);
  return (
    <RequireAuth>
      <Shell>
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/lineage" element={<ExplorerPage />} />
            <Route path="/nodes" element={<NodesPage />} />
            <Route path="/dashboards" element={<DashboardsPage />} />
            <Route path="/audit" element={<AuditPage />} />
            <Route path="/tokens" element={<TokensPage />} />
            <Route path="/alerts" element={<AlertsPage />} />
            <Route path="/alerts/rules" element={<RulesPage />} />
            <Route path="/alerts/channels" element={<ChannelsPage />} />
            <Route path="*" element={<Navigate to="/lineage" replace />} />
          </Routes>
        </Suspense>
      </Shell>
    </RequireAuth>
  );
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <AuthProvider>
        <BrowserRouter basename={BASENAME}>
          <Suspense fallback={<Loading />}>
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              <Route path="/*" element={<Protected />} />
            </Routes>
          </Suspense>
        </BrowserRouter>
        <GlobalAlerts />
      </AuthProvider>
    </QueryClientProvider>
  );
}
