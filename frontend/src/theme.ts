// Light or dark: the OS preference unless the user chose one with the header toggle.
export type Theme = "light" | "dark";
const STORAGE_KEY = "dlv.theme";
const darkQuery = () => window.matchMedia?.("(prefers-color-scheme: dark)");

export function chosenTheme(): Theme | null {
  const value = localStorage.getItem(STORAGE_KEY);
  return value === "light" || value === "dark" ? value : null;
}

export function effectiveTheme(): Theme {
  return chosenTheme() ?? (darkQuery()?.matches ? "dark" : "light");
}

export function applyTheme(): void {
  document.documentElement.dataset.theme = effectiveTheme();
}

export function chooseTheme(theme: Theme): void {
  localStorage.setItem(STORAGE_KEY, theme);
  applyTheme();
}

/** Follow OS changes live while the user has not picked a theme. */
export function watchSystemTheme(): void {
  darkQuery()?.addEventListener?.("change", applyTheme);
}
