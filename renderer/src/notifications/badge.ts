// The unread total for the Electron tray and launcher badge (window.meowtrix exists only in the
// desktop app). Sent only when it changes.
let lastSent: number | null = null;

export function reportUnreadCount(count: number): void {
  if (count === lastSent || !window.meowtrix) return;
  lastSent = count;
  window.meowtrix.setUnreadCount(count).catch(() => (lastSent = null));
}
