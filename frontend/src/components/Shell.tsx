import { useState, type ReactNode } from "react";
import { NavLink } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { chooseTheme, effectiveTheme } from "../theme";
import { AuditIcon, DashboardIcon, KeyIcon, LineageIcon, Logo, NodesIcon } from "./icons";
import { BellIcon } from "../features/alerts/AlertsNav";

const NAV = [
  { to: "/lineage", label: "Lineage", icon: <LineageIcon /> },
  { to: "/nodes", label: "Nodes", icon: <NodesIcon /> },
  { to: "/dashboards", label: "Dashboards", icon: <DashboardIcon /> },
  { to: "/alerts", label: "Alerts", icon: <BellIcon /> },
];
// Only admins may read the audit log (GET /api/audit) or manage API tokens (/api/tokens),
// so only they see these links.
const ADMIN_NAV = [
  { to: "/audit", label: "Audit log", icon: <AuditIcon /> },
  { to: "/tokens", label: "API tokens", icon: <KeyIcon /> },
];

function ThemeToggle() {
  const [theme, setTheme] = useState(effectiveTheme);
  const next = theme === "dark" ? "light" : "dark";
  return (
    <button
      className="btn btn-ghost btn-icon"
      aria-label={`Switch to ${next} theme`}
      title={`Switch to ${next} theme`}
      onClick={() => {
        chooseTheme(next);
        setTheme(next);
      }}
    >
      {theme === "dark" ? "☀" : "☾"}
    </button>
  );
}

export function Shell({ children }: { children: ReactNode }) {
  const { me, isAdmin, logout } = useAuth();
  return (
    <div className="shell">
      <header className="shell-header">
        <NavLink to="/lineage" className="brand" aria-label="DLV home">
          <Logo />
          DLV
        </NavLink>
        <span className="spacer" />
        <ThemeToggle />
        <div className="user-menu" aria-label="Signed-in user">
          <span className="user-name" data-testid="user-name">{me?.username}</span>
          <span className={`badge plain ${me?.role === "admin" ? "badge-accent" : ""}`} data-testid="user-role">
            {me?.role}
          </span>
          <button className="btn btn-sm" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <nav className="shell-sidebar" aria-label="Main">
        <ul className="nav">
          {[...NAV, ...(isAdmin ? ADMIN_NAV : [])].map((item) => (
            <li key={item.to}>
              <NavLink to={item.to} title={item.label}>
                {item.icon}
                <span>{item.label}</span>
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main className="shell-main" id="main">
        {children}
      </main>
    </div>
  );
}
