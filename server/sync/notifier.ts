// Wakes waiting long-polls. A writer calls notify() after its write is durable; each waiting
// /sync registered which user it serves and which rooms it watches, and is woken only by
// changes that concern it.
export interface ChangeNotice {
  /** Users directly concerned (account data, to-device, an invite, device lists, ...). */
  userIds?: readonly string[];
  /** A room whose joined members are concerned (events, receipts, typing). */
  roomId?: string;
}

/**
 * Ends a waiting long-poll early when its client goes away. One plain object per /sync: an
 * AbortController with its event listeners cost more than the rest of parking a poll.
 */
export class PollAbort {
  aborted = false;
  private onAbort: (() => void) | null = null;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const wake = this.onAbort;
    this.onAbort = null;
    wake?.();
  }

  /** The notifier's hook while a wait is pending (null when it ends). */
  listen(wake: (() => void) | null): void {
    this.onAbort = wake;
  }
}

interface Waiter {
  userId: string;
  roomIds: ReadonlySet<string>;
  wake: () => void;
}

export class Notifier {
  private readonly waiters = new Set<Waiter>();

  /** Resolves on the first relevant change, or when `abort` fires or `timeoutMs` passes. */
  wait(userId: string, roomIds: ReadonlySet<string>, timeoutMs: number, abort?: PollAbort): Promise<void> {
    if (abort?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter = {
        userId,
        roomIds,
        wake: () => {
          clearTimeout(timer);
          abort?.listen(null);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, timeoutMs);
      abort?.listen(waiter.wake);
      this.waiters.add(waiter);
    });
  }

  notify(change: ChangeNotice): void {
    const { userIds, roomId } = change;
    // Waking deletes from the set: collect first, then wake.
    let woken: Waiter[] | undefined;
    for (const w of this.waiters) {
      if ((roomId !== undefined && w.roomIds.has(roomId)) || (userIds !== undefined && userIds.includes(w.userId))) (woken ??= []).push(w);
    }
    if (woken) for (const w of woken) w.wake();
  }

  get waiting(): number {
    return this.waiters.size;
  }
}
