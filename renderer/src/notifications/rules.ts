// Notification settings stored as the user's push rules, the way Element and FluffyChat write them,
// so a chat muted here is muted on the phone too:
//   room muted     = an override rule named after the room, matching its room_id, with no actions;
//   room mentions  = a room rule named after the room with no actions (mentions still match the
//                    earlier override rules and notify);
//   account off    = the .m.rule.master override enabled;
//   account mentions only = the "any message" underride rules set to no actions.
import { PushRuleKind, type IPushRule, type MatrixClient, type PushRuleAction } from 'matrix-js-sdk';

export type RoomNotifyMode = 'all' | 'mentions' | 'muted';
export type AccountNotifyMode = 'all' | 'mentions' | 'off';

const NOTIFY: PushRuleAction[] = ['notify' as PushRuleAction];
const NOTIFY_SOUND: PushRuleAction[] = ['notify' as PushRuleAction, { set_tweak: 'sound', value: 'default' } as PushRuleAction];

/** The underride rules that make "any message" notify, with the spec's default actions. */
const MESSAGE_RULES: { id: string; actions: PushRuleAction[] }[] = [
  { id: '.m.rule.room_one_to_one', actions: NOTIFY_SOUND },
  { id: '.m.rule.encrypted_room_one_to_one', actions: NOTIFY_SOUND },
  { id: '.m.rule.message', actions: NOTIFY },
  { id: '.m.rule.encrypted', actions: NOTIFY },
];

function rules(client: MatrixClient, kind: PushRuleKind): IPushRule[] {
  return client.pushRules?.global?.[kind] ?? [];
}

function findRule(client: MatrixClient, kind: PushRuleKind, ruleId: string): IPushRule | undefined {
  return rules(client, kind).find((r) => r.rule_id === ruleId);
}

const notifies = (rule: IPushRule) => rule.actions.some((a) => a === 'notify');

/** True for the override rule that mutes exactly this room (as written by this app, Element or FluffyChat). */
function isMuteRule(rule: IPushRule, roomId: string): boolean {
  const conditions = rule.conditions ?? [];
  return rule.enabled && !notifies(rule) && conditions.length === 1
    && conditions[0]!.kind === 'event_match' && (conditions[0] as { key?: string }).key === 'room_id'
    && (conditions[0] as { pattern?: string }).pattern === roomId;
}

export function roomNotifyMode(client: MatrixClient, roomId: string): RoomNotifyMode {
  if (rules(client, PushRuleKind.Override).some((r) => isMuteRule(r, roomId))) return 'muted';
  const roomRule = findRule(client, PushRuleKind.RoomSpecific, roomId);
  if (roomRule?.enabled && !notifies(roomRule)) return 'mentions';
  return 'all';
}

/** Writes the room's mode: at most one of its two rules remains, so the modes never stack. */
export async function setRoomNotifyMode(client: MatrixClient, roomId: string, mode: RoomNotifyMode): Promise<void> {
  const mute = findRule(client, PushRuleKind.Override, roomId);
  const roomRule = findRule(client, PushRuleKind.RoomSpecific, roomId);
  if (mode === 'muted') {
    await client.addPushRule('global', PushRuleKind.Override, roomId, {
      actions: [],
      conditions: [{ kind: 'event_match', key: 'room_id', pattern: roomId }] as IPushRule['conditions'],
    });
  } else if (mute) await client.deletePushRule('global', PushRuleKind.Override, roomId);
  if (mode === 'mentions') await client.addPushRule('global', PushRuleKind.RoomSpecific, roomId, { actions: [] });
  else if (roomRule) await client.deletePushRule('global', PushRuleKind.RoomSpecific, roomId);
}

export function accountNotifyMode(client: MatrixClient): AccountNotifyMode {
  if (findRule(client, PushRuleKind.Override, '.m.rule.master')?.enabled) return 'off';
  const message = findRule(client, PushRuleKind.Underride, '.m.rule.message');
  return message && message.enabled && !notifies(message) ? 'mentions' : 'all';
}

export async function setAccountNotifyMode(client: MatrixClient, mode: AccountNotifyMode): Promise<void> {
  if (mode !== 'off') {
    for (const rule of MESSAGE_RULES) {
      await client.setPushRuleActions('global', PushRuleKind.Underride, rule.id, mode === 'mentions' ? [] : rule.actions);
    }
  }
  await client.setPushRuleEnabled('global', PushRuleKind.Override, '.m.rule.master', mode === 'off');
}
