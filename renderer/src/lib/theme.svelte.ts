// Light, dark, or the system's choice; remembered in localStorage and applied as <html data-theme>.
export type Theme = 'system' | 'light' | 'dark';
const KEY = 'meowtrix.theme';

function saved(): Theme {
  const value = localStorage.getItem(KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

const state = $state({ theme: saved() });

function apply(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

export function currentTheme(): Theme {
  return state.theme;
}

export function setTheme(theme: Theme): void {
  state.theme = theme;
  localStorage.setItem(KEY, theme);
  apply(theme);
}

apply(state.theme);
