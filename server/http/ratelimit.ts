// Token-bucket rate limiting keyed by a string (an IP, a user ID). Answers 429 M_LIMIT_EXCEEDED.
import { errors, MatrixError } from './errors.ts';
import type { Clock } from '../clock.ts';

// Buckets refill by elapsed time, so they use a monotonic clock: a wall-clock jump (NTP, a
// suspended laptop) must neither lock people out nor hand out free attempts.
const monotonic: Clock = { now: () => performance.now() };

export interface RateLimit {
  /** Requests allowed at once. */
  burst: number;
  /** Requests regained per second. */
  perSecond: number;
}

interface Bucket {
  tokens: number;
  updated: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly limit: RateLimit;
  private readonly clock: Clock;

  constructor(limit: RateLimit, clock: Clock = monotonic) {
    this.limit = limit;
    this.clock = clock;
  }

  /**
   * Takes `count` requests (e.g. the invites of one createRoom) from `key`'s bucket, all or none,
   * or throws M_LIMIT_EXCEEDED with the wait until there are enough.
   */
  take(key: string, count = 1): void {
    const now = this.clock.now();
    const bucket = this.refill(key, now);
    if (bucket.tokens < count) {
      // More than a full bucket can never pass: say so, and the wait is until the bucket is full.
      const needed = Math.min(count, this.limit.burst);
      const waitMs = Math.max(1, Math.ceil(((needed - bucket.tokens) / this.limit.perSecond) * 1000));
      if (count > this.limit.burst) {
        throw new MatrixError(429, 'M_LIMIT_EXCEEDED', `Too many at once: at most ${this.limit.burst} are allowed in one go`, { retry_after_ms: waitMs });
      }
      throw errors.limitExceeded(waitMs);
    }
    bucket.tokens -= count;
  }

  /** Gives back what take() took, e.g. when only failures should count. */
  refund(key: string, count = 1): void {
    const bucket = this.refill(key, this.clock.now());
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + count);
  }

  private refill(key: string, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.limit.burst, updated: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.updated) / 1000) * this.limit.perSecond);
      bucket.updated = now;
    }
    // Full buckets carry no information: forget them so the map cannot grow without bound.
    if (this.buckets.size > 10_000) {
      for (const [k, b] of this.buckets) if (k !== key && b.tokens + ((now - b.updated) / 1000) * this.limit.perSecond >= this.limit.burst) this.buckets.delete(k);
    }
    return bucket;
  }
}

/** Parses "BURST:PER_SECOND", e.g. "5:0.1". */
export function parseRateLimit(text: string): RateLimit | null {
  const m = /^(\d+):(\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!m) return null;
  const limit = { burst: Number(m[1]), perSecond: Number(m[2]) };
  return limit.burst >= 1 && limit.perSecond > 0 ? limit : null;
}
