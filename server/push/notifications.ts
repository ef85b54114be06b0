// Runs push rules for every persisted event and every joined member (inside the event's own
// transaction, so the count is durable with the event; one row per event, however many members
// it notifies), and reads unread counts back for /sync.
import type { JsonObject } from '../http/body.ts';
import type { SqlReader, SqlWriter, Storage } from '../storage/types.ts';
import { getEventThread, insertPushEvent, putEventThread, type NotifiedMember } from '../storage/repos/push_rules.ts';
import { UnreadCountCache } from './unread_cache.ts';
import { advanceReadPosition } from '../storage/repos/receipts.ts';
import type { SyncRequest, SyncResponse } from '../sync/types.ts';
import { compileFilter } from '../sync/filter.ts';
import { outcomeOf, type EvaluationContext } from './evaluator.ts';
import { classOf, memberActions, planFor, type EventPlan, type RulesetClass } from './ruleset_classes.ts';
import type { PushAction } from './types.ts';
import type { PushRuleService } from './service.ts';
import type { PersistedEvent, RoomStateView } from '../rooms/types.ts';
import { userLevel } from '../rooms/power_levels.ts';
import { isValidEventId } from '../ids.ts';
import { ignoredUsers } from '../userdata/ignored_users.ts';
import { IgnoredUsersCache } from '../sync/user_caches.ts';
import { SilenceTracker } from './silences.ts';

export const MAIN_THREAD = 'main';

function relation(event: JsonObject): { relType?: string; eventId?: string } {
  const content = event.content;
  const rel = content && typeof content === 'object' && !Array.isArray(content) ? content['m.relates_to'] : undefined;
  if (!rel || typeof rel !== 'object' || Array.isArray(rel)) return {};
  return {
    relType: typeof rel.rel_type === 'string' ? rel.rel_type : undefined,
    eventId: typeof rel.event_id === 'string' ? rel.event_id : undefined,
  };
}

/** The thread an event counts in: its m.thread root, or the thread of the event it relates to. */
export function threadOf(db: SqlReader, event: JsonObject): string {
  const rel = relation(event);
  if (!rel.eventId) return MAIN_THREAD;
  if (rel.relType === 'm.thread') return isValidEventId(rel.eventId) ? rel.eventId : MAIN_THREAD;
  return getEventThread(db, rel.eventId) ?? MAIN_THREAD;
}

export class NotificationService {
  private readonly pushRules: PushRuleService;
  private readonly ignoring: IgnoredUsersCache | null;
  private readonly unread = new UnreadCountCache();
  private readonly silences = new SilenceTracker();

  constructor(pushRules: PushRuleService, storage?: Storage) {
    this.pushRules = pushRules;
    this.ignoring = storage ? new IgnoredUsersCache(storage) : null;
  }

  /**
   * The rooms module's persist hook: runs inside the transaction that stores the event, so the
   * counts are durable with it. Stores which joined members (not the sender) the rules say to
   * notify, with their actions; sending an event counts as reading up to it. Members it left out
   * may start or continue a silence (./silences.ts).
   */
  onEventPersisted(db: SqlWriter, persisted: PersistedEvent, state: RoomStateView): void {
    const event: JsonObject = {
      event_id: persisted.eventId,
      room_id: persisted.roomId,
      sender: persisted.sender,
      type: persisted.type,
      content: persisted.content,
      origin_server_ts: persisted.originServerTs,
    };
    if (persisted.stateKey !== undefined) event.state_key = persisted.stateKey;
    const threadId = threadOf(db, event);
    if (threadId !== MAIN_THREAD) putEventThread(db, persisted.eventId, threadId);
    advanceReadPosition(db, persisted.sender, persisted.roomId, threadId, persisted.streamPos);
    const members = state.joinedMembers();
    const powerLevels = state.powerLevels();
    // What every member's evaluation shares (memberCount, the sender's power level); userId and
    // displayName are the member's own and only reach personal conditions.
    const shared: EvaluationContext = {
      userId: '',
      displayName: () => null,
      memberCount: members.length,
      senderPowerLevel: userLevel(powerLevels, persisted.sender),
      notificationLevels: powerLevels.notifications,
    };
    const plans = new Map<RulesetClass, EventPlan>();
    // Members of one class get the same (shared) actions array: serialise it once.
    const results = new Map<PushAction[], { json: string; notify: boolean; highlight: boolean }>();
    const notified: NotifiedMember[] = [];
    const quiet: string[] = [];
    for (const userId of members) {
      if (userId === persisted.sender) continue;
      // An ignored sender's events neither count as unread nor notify (spec "Ignoring Users").
      if (persisted.stateKey === undefined && (this.ignoring?.of(db, userId) ?? ignoredUsers(db, userId)).has(persisted.sender)) {
        quiet.push(userId);
        continue;
      }
      const cls = classOf(this.pushRules.ruleset(userId), userId);
      let plan = plans.get(cls);
      if (!plan) plans.set(cls, (plan = planFor(cls, event, shared)));
      const actions = plan.steps.length
        ? memberActions(plan, event, {
            ...shared,
            userId,
            displayName: () => {
              const member = state.content('m.room.member', userId);
              return typeof member?.displayname === 'string' ? member.displayname : null;
            },
          })
        : plan.fallback;
      if (!actions) {
        quiet.push(userId);
        continue;
      }
      let result = results.get(actions);
      if (!result) results.set(actions, (result = { json: JSON.stringify(actions), ...outcomeOf(actions) }));
      if (result.notify) notified.push({ userId, actions: result.json, highlight: result.highlight });
      else quiet.push(userId);
    }
    insertPushEvent(
      db,
      { room_id: persisted.roomId, stream_ordering: persisted.streamPos, event_id: persisted.eventId, thread_id: threadId, ts: persisted.originServerTs },
      notified,
    );
    this.silences.observe(db, persisted.roomId, persisted.streamPos, persisted.sender, notified.length > 0, quiet);
  }

  /**
   * Sets unread_notifications (and unread_thread_notifications when the filter asks) on every
   * joined room in the response. Runs after all stream providers have added their rooms.
   */
  fillUnreadCounts(db: SqlReader, req: SyncRequest, res: SyncResponse): void {
    const perThread = compileFilter(req.filter).timeline.unreadThreadNotifications;
    for (const [roomId, section] of Object.entries(res.rooms.join)) {
      const counts = this.unread.get(db, req.userId, roomId);
      if (!perThread) {
        section.unread_notifications = {
          notification_count: counts.reduce((n, c) => n + c.notifications, 0),
          highlight_count: counts.reduce((n, c) => n + c.highlights, 0),
        };
        continue;
      }
      const main = counts.find((c) => c.thread_id === MAIN_THREAD);
      section.unread_notifications = { notification_count: main?.notifications ?? 0, highlight_count: main?.highlights ?? 0 };
      const threads: Record<string, { notification_count: number; highlight_count: number }> = {};
      for (const c of counts) {
        if (c.thread_id !== MAIN_THREAD) threads[c.thread_id] = { notification_count: c.notifications, highlight_count: c.highlights };
      }
      section.unread_thread_notifications = threads;
    }
  }
}
