import { NavLink } from "react-router";
import { useAuth } from "../../auth/AuthContext";

// Small inline icon like components/icons.tsx, kept here so the shell only gains a nav entry.
export const BellIcon = () => (
  <svg width={16} height={16} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round" aria-hidden>
    <path d="M6 16V11a6 6 0 0 1 12 0v5l2 2H4l2-2M10 21h4" />
  </svg>
);

/** Tabs between the alerts list, the rules and (admins) the channels. */
export function AlertsNav() {
  const { isAdmin } = useAuth();
  const tabs = [
    { to: "/alerts", label: "Fired alerts", end: true },
    { to: "/alerts/rules", label: "Rules", end: false },
    ...(isAdmin ? [{ to: "/alerts/channels", label: "Channels", end: false }] : []),
  ];
  return (
    <nav className="row alerts-tabs" aria-label="Alerts">
      {tabs.map((tab) => (
        <NavLink key={tab.to} to={tab.to} end={tab.end} className={({ isActive }) => `btn btn-sm ${isActive ? "btn-primary" : ""}`}>
          {tab.label}
        </NavLink>
      ))}
    </nav>
  );
}

export function AlertsHeader({ title, children }: { title: string; children: string }) {
  return (
    <div className="page-header">
      <div className="stack" style={{ gap: 2 }}>
        <h1>{title}</h1>
        <p>{children}</p>
        <AlertsNav />
      </div>
    </div>
  );
}
