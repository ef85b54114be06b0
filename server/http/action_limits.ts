// Per-user and per-IP rate limits for the actions a misbehaving device could flood: registering,
// sending, uploading and inviting. Host admins are exempt, and so is this PC itself (127.0.0.1/::1,
// the host's own app): per-IP limits are for the LAN. 429 M_LIMIT_EXCEEDED with retry_after_ms.
import type { Request } from 'express';
import { RateLimiter, parseRateLimit, type RateLimit } from './ratelimit.ts';
import type { Requester } from './routes.ts';

export const LIMITED_ACTIONS = ['register', 'send', 'upload', 'invite'] as const;
export type LimitedAction = (typeof LIMITED_ACTIONS)[number];
export type LimitScope = 'user' | 'ip';
export type ActionLimits = Record<LimitedAction, Record<LimitScope, RateLimit>>;

/** A household never meets these (a burst of 20 messages is far inside), a flooding script does. */
export const DEFAULT_ACTION_LIMITS: ActionLimits = {
  register: { user: { burst: 10, perSecond: 0.05 }, ip: { burst: 10, perSecond: 0.05 } },
  send: { user: { burst: 200, perSecond: 20 }, ip: { burst: 400, perSecond: 40 } },
  upload: { user: { burst: 50, perSecond: 2 }, ip: { burst: 100, perSecond: 4 } },
  invite: { user: { burst: 50, perSecond: 1 }, ip: { burst: 100, perSecond: 2 } },
};

const HOST_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export class ActionLimiter {
  private readonly limiters = new Map<string, RateLimiter>();

  constructor(limits: ActionLimits = DEFAULT_ACTION_LIMITS) {
    for (const action of LIMITED_ACTIONS) {
      for (const scope of ['user', 'ip'] as const) this.limiters.set(`${action}.${scope}`, new RateLimiter(limits[action][scope]));
    }
  }

  /** Counts `count` of `action` (all or none) against the client's IP and user; throws M_LIMIT_EXCEEDED when over. */
  take(action: LimitedAction, req: Request, requester: Requester | null, count = 1): void {
    if (requester?.isAdmin || count <= 0) return;
    const ip = req.socket.remoteAddress ?? '';
    const perIp = this.limiters.get(`${action}.ip`)!;
    if (!HOST_ADDRESSES.has(ip)) perIp.take(ip, count);
    if (!requester) return;
    try {
      this.limiters.get(`${action}.user`)!.take(requester.userId, count);
    } catch (err) {
      if (!HOST_ADDRESSES.has(ip)) perIp.refund(ip, count);
      throw err;
    }
  }
}

/** Parses `ACTION.SCOPE=BURST:PER_SEC` (e.g. `send.user=20:2`) into `limits`; returns an error message or null. */
export function applyLimitSetting(limits: ActionLimits, setting: string): string | null {
  const m = /^(\w+)\.(user|ip)=(.+)$/.exec(setting.trim());
  if (!m || !(LIMITED_ACTIONS as readonly string[]).includes(m[1]!)) {
    return `--rate-limit must look like ACTION.user=BURST:PER_SEC or ACTION.ip=..., ACTION one of ${LIMITED_ACTIONS.join(', ')}; got "${setting}"`;
  }
  const limit = parseRateLimit(m[3]!);
  if (!limit) return `--rate-limit ${m[1]}.${m[2]} must be BURST:PER_SEC like 20:2, got "${m[3]}"`;
  limits[m[1] as LimitedAction][m[2] as LimitScope] = limit;
  return null;
}

export function copyLimits(limits: ActionLimits): ActionLimits {
  return structuredClone(limits);
}
