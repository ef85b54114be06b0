// Push rule evaluation (spec push.md "Conditions"): which rule matches an event for one member,
// and what its actions mean for unread counts.
import type { JsonObject, JsonValue } from '../http/body.ts';
import { splitPath } from '../sync/filter.ts';
import { RULE_KINDS, type PushAction, type PushCondition, type PushRule, type Ruleset } from './types.ts';

/** What evaluation needs to know about the room and the member, beyond the event. */
export interface EvaluationContext {
  userId: string;
  /** The member's display name in the room (contains_display_name); looked up only when a rule asks. */
  displayName(): string | null;
  /** Joined members now. */
  memberCount: number;
  /** The sender's power level and the room's `notifications` levels (power levels content). */
  senderPowerLevel: number;
  notificationLevels: Record<string, number>;
}

const WORD = 'A-Za-z0-9_';
const globCache = new Map<string, RegExp>();

/** Glob (* and ?) as a case-insensitive regex; for content.body it may match any word-bounded substring. */
export function globRegex(pattern: string, wordBoundary: boolean): RegExp {
  const cacheKey = (wordBoundary ? 'w' : 'x') + pattern;
  let re = globCache.get(cacheKey);
  if (!re) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*?').replace(/\?/g, '.');
    re = wordBoundary ? new RegExp(`(?:^|[^${WORD}])${body}(?:[^${WORD}]|$)`, 'is') : new RegExp(`^${body}$`, 'is');
    if (globCache.size > 2000) globCache.clear();
    globCache.set(cacheKey, re);
  }
  return re;
}

const pathCache = new Map<string, string[]>();

function valueAt(event: JsonObject, key: string): JsonValue | undefined {
  let path = pathCache.get(key);
  if (!path) {
    path = splitPath(key);
    if (pathCache.size > 2000) pathCache.clear();
    pathCache.set(key, path);
  }
  let node: JsonValue | undefined = event;
  for (const part of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = node[part];
  }
  return node;
}

function isScalar(v: JsonValue | undefined): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isSafeInteger(v));
}

function memberCountMatches(is: string, count: number): boolean {
  const m = /^(==|<|>|>=|<=)?(\d+)$/.exec(is);
  if (!m) return false;
  const n = Number(m[2]);
  switch (m[1]) {
    case '<': return count < n;
    case '>': return count > n;
    case '<=': return count <= n;
    case '>=': return count >= n;
    default: return count === n;
  }
}

export function conditionMatches(c: PushCondition, event: JsonObject, ctx: EvaluationContext): boolean {
  switch (c.kind) {
    case 'event_match': {
      if (typeof c.key !== 'string' || typeof c.pattern !== 'string') return false;
      const value = valueAt(event, c.key);
      if (typeof value !== 'string') return false;
      return globRegex(c.pattern, c.key === 'content.body').test(value);
    }
    case 'event_property_is': {
      if (typeof c.key !== 'string' || !isScalar(c.value)) return false;
      const value = valueAt(event, c.key);
      return isScalar(value) && value === c.value;
    }
    case 'event_property_contains': {
      if (typeof c.key !== 'string' || !isScalar(c.value)) return false;
      const value = valueAt(event, c.key);
      return Array.isArray(value) && value.some((v) => isScalar(v) && v === c.value);
    }
    case 'contains_display_name': {
      const body = valueAt(event, 'content.body');
      const displayName = typeof body === 'string' ? ctx.displayName() : null;
      if (typeof body !== 'string' || !displayName) return false;
      const literal = displayName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return new RegExp(`(?:^|[^${WORD}])${literal}(?:[^${WORD}]|$)`, 'i').test(body);
    }
    case 'room_member_count':
      return typeof c.is === 'string' && memberCountMatches(c.is, ctx.memberCount);
    case 'sender_notification_permission': {
      if (typeof c.key !== 'string') return false;
      return ctx.senderPowerLevel >= (ctx.notificationLevels[c.key] ?? 50);
    }
    default:
      return false; // unknown conditions never match
  }
}

function ruleMatches(kind: string, rule: PushRule, event: JsonObject, ctx: EvaluationContext): boolean {
  switch (kind) {
    case 'content': {
      const body = valueAt(event, 'content.body');
      return typeof rule.pattern === 'string' && typeof body === 'string' && globRegex(rule.pattern, true).test(body);
    }
    case 'room':
      return event.room_id === rule.rule_id;
    case 'sender':
      return event.sender === rule.rule_id;
    default:
      return (rule.conditions ?? []).every((c) => conditionMatches(c, event, ctx));
  }
}

/** The actions of the first enabled rule that matches, or null when none does. */
export function evaluate(ruleset: Ruleset, event: JsonObject, ctx: EvaluationContext): PushAction[] | null {
  for (const kind of RULE_KINDS) {
    for (const rule of ruleset[kind]) {
      if (rule.enabled && ruleMatches(kind, rule, event, ctx)) return rule.actions;
    }
  }
  return null;
}

export interface Outcome {
  notify: boolean;
  highlight: boolean;
}

export function outcomeOf(actions: PushAction[] | null): Outcome {
  if (!actions) return { notify: false, highlight: false };
  const notify = actions.includes('notify');
  const highlight = actions.some((a) => typeof a === 'object' && a.set_tweak === 'highlight' && a.value !== false);
  return { notify, highlight: notify && highlight };
}
