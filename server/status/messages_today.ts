// "Messages today" on the host panel: m.room.message / m.room.encrypted events stored since the
// host's local midnight. A counter bumped as events commit (no scan per update), reset when the
// local day changes; seeded once at start from an indexed read.
import { MESSAGE_TYPES } from '../storage/repos/status.ts';
import type { PersistedEvent } from '../rooms/types.ts';

const COUNTED = new Set<string>(MESSAGE_TYPES);

/** Epoch ms of the local midnight that starts the day containing `ts`. */
export function localDayStart(ts: number): number {
  const d = new Date(ts);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export class MessagesToday {
  private dayStart: number;
  private count: number;
  private readonly now: () => number;

  /** `seed(dayStart)` counts what was stored earlier today (before this process started). */
  constructor(now: () => number, seed: (dayStart: number) => number) {
    this.now = now;
    this.dayStart = localDayStart(now());
    this.count = seed(this.dayStart);
  }

  /** Counts committed events; true when any was a message (the status changed). */
  onCommitted(events: readonly PersistedEvent[]): boolean {
    this.rollOver();
    let counted = false;
    for (const e of events) {
      if (e.stateKey !== undefined || !COUNTED.has(e.type)) continue;
      if (e.originServerTs >= this.dayStart) this.count++;
      counted = true;
    }
    return counted;
  }

  get(): { count: number; dayStart: number } {
    this.rollOver();
    return { count: this.count, dayStart: this.dayStart };
  }

  private rollOver(): void {
    const today = localDayStart(this.now());
    if (today !== this.dayStart) {
      // A new day (or the clock moved back across midnight): start again from zero.
      this.dayStart = today;
      this.count = 0;
    }
  }
}
