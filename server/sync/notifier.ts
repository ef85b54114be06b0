// Wakes waiting long-polls. A writer calls notify() after its write is durable; each waiting
// /sync registered which user it serves and which rooms it watches, and is woken only by
// changes that concern it.
export interface ChangeNotice {
  /** Users directly concerned (account data, to-device, an invite, device lists, ...). */
  userIds?: readonly string[];
  /** A room whose joined members are concerned (events, receipts, typing). */
  roomId?: string;
}

interface Waiter {
  userId: string;
  roomIds: ReadonlySet<string>;
  wake: () => void;
}

export class Notifier {
  private readonly waiters = new Set<Waiter>();

  /** Resolves on the first relevant change, or when `signal` aborts or `timeoutMs` passes. */
  wait(userId: string, roomIds: ReadonlySet<string>, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(waiter);
        resolve();
      };
      const waiter: Waiter = { userId, roomIds, wake: done };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.add(waiter);
    });
  }

  notify(change: ChangeNotice): void {
    for (const w of [...this.waiters]) {
      if ((change.userIds && change.userIds.includes(w.userId)) || (change.roomId !== undefined && w.roomIds.has(change.roomId))) {
        w.wake();
      }
    }
  }

  get waiting(): number {
    return this.waiters.size;
  }
}
