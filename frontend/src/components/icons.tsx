// Small inline icons (no icon font: nothing to fetch, nothing for the CSP to allow).
const common = { width: 16, height: 16, viewBox: "0 0 24 24", fill: "none", stroke: "currentColor", strokeWidth: 2, strokeLinecap: "round", strokeLinejoin: "round", "aria-hidden": true } as const;

export const LineageIcon = () => (
  <svg {...common}><circle cx="5" cy="6" r="2.5" /><circle cx="5" cy="18" r="2.5" /><circle cx="19" cy="12" r="2.5" /><path d="M7.5 6c5 0 4 6 9 6M7.5 18c5 0 4-6 9-6" /></svg>
);
export const NodesIcon = () => (
  <svg {...common}><ellipse cx="12" cy="5.5" rx="7" ry="2.5" /><path d="M5 5.5v13c0 1.4 3.1 2.5 7 2.5s7-1.1 7-2.5v-13M5 12c0 1.4 3.1 2.5 7 2.5s7-1.1 7-2.5" /></svg>
);
export const DashboardIcon = () => (
  <svg {...common}><rect x="3" y="3" width="7" height="9" rx="1.5" /><rect x="14" y="3" width="7" height="5" rx="1.5" /><rect x="14" y="12" width="7" height="9" rx="1.5" /><rect x="3" y="16" width="7" height="5" rx="1.5" /></svg>
);
export const AuditIcon = () => (
  <svg {...common}><path d="M8 3h8l4 4v14H4V3h4" /><path d="M8 11h8M8 15h8M8 7h4" /></svg>
);
export const KeyIcon = () => (
  <svg {...common}><circle cx="7.5" cy="15.5" r="4.5" /><path d="M10.7 12.3 20 3M16 7l3 3M14 9l2 2" /></svg>
);
export const Logo = () => (
  <svg className="brand-mark" viewBox="0 0 24 24" aria-hidden="true">
    <rect width="24" height="24" rx="6" fill="var(--color-accent)" />
    <path d="M6 8h4l4 8h4M6 16h4" stroke="var(--color-accent-text)" strokeWidth="2" fill="none" strokeLinecap="round" />
  </svg>
);
