// The logged-in session, remembered in localStorage so a restart opens straight into the chat.
export interface StoredSession {
  baseUrl: string;
  userId: string;
  accessToken: string;
  deviceId: string;
}

const KEY = 'meowtrix.session';

export function loadSession(storage: Storage = localStorage): StoredSession | null {
  try {
    const raw = storage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<StoredSession>;
    const fields = [s.baseUrl, s.userId, s.accessToken, s.deviceId];
    return fields.every((f) => typeof f === 'string' && f.length > 0) ? (s as StoredSession) : null;
  } catch {
    return null; // unreadable entry: treat as logged out
  }
}

export function saveSession(session: StoredSession, storage: Storage = localStorage): void {
  storage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(storage: Storage = localStorage): void {
  storage.removeItem(KEY);
}
