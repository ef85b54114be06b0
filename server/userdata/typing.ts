// Typing notifications: in memory only, each with a timeout. The typing stream position starts
// at 0 on every start; a since-position above the latest (a token from before a restart) is
// answered with the current state, so old tokens never break.
import type { ChangeNotice } from '../sync/notifier.ts';

/** Longest a single typing notification lasts without being renewed. */
export const MAX_TYPING_MS = 120_000;
export const DEFAULT_TYPING_MS = 30_000;

interface RoomTyping {
  users: Map<string, ReturnType<typeof setTimeout>>;
  /** Stream position of the last change in this room. */
  pos: number;
}

export class TypingService {
  private pos = 0;
  private readonly rooms = new Map<string, RoomTyping>();
  private readonly notify: (change: ChangeNotice) => void;

  constructor(notify: (change: ChangeNotice) => void) {
    this.notify = notify;
  }

  latest(): number {
    return this.pos;
  }

  /** Starts (with a timeout) or stops the user's typing in the room; wakes the room only on a change. */
  set(roomId: string, userId: string, typing: boolean, timeoutMs = DEFAULT_TYPING_MS): void {
    let room = this.rooms.get(roomId);
    const timer = room?.users.get(userId);
    if (timer) clearTimeout(timer);
    if (typing) {
      if (!room) this.rooms.set(roomId, (room = { users: new Map(), pos: 0 }));
      const expiry = setTimeout(() => this.set(roomId, userId, false), Math.min(Math.max(timeoutMs, 0), MAX_TYPING_MS));
      expiry.unref();
      room.users.set(userId, expiry);
      if (!timer) this.changed(roomId, room);
    } else if (room && timer) {
      room.users.delete(userId);
      this.changed(roomId, room);
    }
  }

  private changed(roomId: string, room: RoomTyping): void {
    room.pos = ++this.pos;
    this.notify({ roomId });
  }

  /** Who is typing in the room now. */
  typingIn(roomId: string): string[] {
    return [...(this.rooms.get(roomId)?.users.keys() ?? [])];
  }

  /** Rooms whose typing changed in (from, to]. */
  changedRooms(from: number, to: number): string[] {
    const out: string[] = [];
    for (const [roomId, room] of this.rooms) if (room.pos > from && room.pos <= to) out.push(roomId);
    return out;
  }

  /** Stops all expiry timers (server shutdown). */
  close(): void {
    for (const room of this.rooms.values()) for (const t of room.users.values()) clearTimeout(t);
    this.rooms.clear();
  }
}
