// Turns a room's loaded events into what the timeline shows: messages with edits applied,
// reactions counted, redactions as "deleted", day separators, and sender grouping.
import { EventStatus, type MatrixEvent } from 'matrix-js-sdk';
import { sanitizeMessageHtml } from './sanitize.ts';
import { isEncryptedFile, type EncryptedFile } from './attachments.ts';

export interface ReactionGroup {
  key: string;
  count: number;
  /** My reaction's event ID, so a click can take it back. */
  mine: string | null;
  senders: string[];
}

export interface MediaInfo {
  /** mxc:// of the file itself. */
  url: string;
  thumbnailUrl: string | null;
  w: number | null;
  h: number | null;
  size: number | null;
  mimetype: string | null;
  filename: string;
  /** In encrypted rooms: the file and thumbnail keys (then `url`/`thumbnailUrl` hold ciphertext). */
  file: EncryptedFile | null;
  thumbnailFile: EncryptedFile | null;
}

export interface MessageItem {
  kind: 'message';
  id: string;
  sender: string;
  ts: number;
  msgtype: string;
  /** Plain text (reply fallback removed). */
  body: string;
  /** Sanitised HTML, or null to show `body` as text. */
  html: string | null;
  edited: boolean;
  deleted: boolean;
  /** Encrypted and not readable: still decrypting, or decryption failed (no key for it on this device). */
  encrypted: boolean;
  decrypting: boolean;
  pending: boolean;
  failed: boolean;
  mine: boolean;
  /** Same sender as the message above, close in time: drawn without a new header. */
  continuation: boolean;
  reactions: ReactionGroup[];
  replyTo: string | null;
  /** The quoted message, when it is loaded. */
  replyPreview: { sender: string; text: string } | null;
  media: MediaInfo | null;
}

export interface DayItem {
  kind: 'day';
  id: string;
  ts: number;
}

export type TimelineItem = MessageItem | DayItem;

const GROUP_GAP_MS = 5 * 60_000;
const SHOWN_TYPES = new Set(['m.room.message', 'm.room.encrypted', 'm.sticker']);

function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** Drops the "> <@user> quoted" lines that rich-reply fallbacks put before the reply. */
export function stripReplyFallback(body: string): string {
  const lines = body.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('>')) i++;
  if (i === 0) return body;
  if (lines[i] === '') i++;
  return lines.slice(i).join('\n');
}

export function buildTimeline(events: readonly MatrixEvent[], myUserId: string): TimelineItem[] {
  const edits = new Map<string, MatrixEvent>();
  const reactions = new Map<string, Map<string, ReactionGroup>>();

  for (const ev of events) {
    if (ev.isRedacted()) continue;
    const rel = ev.getWireContent()['m.relates_to'] as { rel_type?: string; event_id?: string; key?: string } | undefined;
    if (!rel?.event_id) continue;
    if (rel.rel_type === 'm.replace' && ev.getType() === 'm.room.message') {
      const prior = edits.get(rel.event_id);
      if (!prior || prior.getTs() <= ev.getTs()) edits.set(rel.event_id, ev);
    } else if (rel.rel_type === 'm.annotation' && ev.getType() === 'm.reaction' && typeof rel.key === 'string') {
      const byKey = reactions.get(rel.event_id) ?? new Map<string, ReactionGroup>();
      reactions.set(rel.event_id, byKey);
      const group = byKey.get(rel.key) ?? { key: rel.key, count: 0, mine: null, senders: [] };
      byKey.set(rel.key, group);
      const sender = ev.getSender() ?? '';
      if (group.senders.includes(sender)) continue; // one vote per person and key
      group.senders.push(sender);
      group.count++;
      if (sender === myUserId) group.mine = ev.getId() ?? null;
    }
  }

  const byId = new Map<string, MatrixEvent>();
  for (const ev of events) if (ev.getId()) byId.set(ev.getId()!, ev);

  const items: TimelineItem[] = [];
  let lastDay = '';
  let previous: MessageItem | null = null;
  for (const ev of events) {
    if (!SHOWN_TYPES.has(ev.getType())) continue;
    const id = ev.getId();
    if (!id) continue;
    const wireRel = ev.getWireContent()['m.relates_to'] as { rel_type?: string; 'm.in_reply_to'?: { event_id?: string } } | undefined;
    if (wireRel?.rel_type === 'm.replace') continue; // shown as "(edited)" on the original
    const sender = ev.getSender() ?? '';
    const ts = ev.getTs();
    if (dayKey(ts) !== lastDay) {
      lastDay = dayKey(ts);
      items.push({ kind: 'day', id: `day-${lastDay}`, ts });
      previous = null;
    }
    const deleted = ev.isRedacted();
    const edit = edits.get(id);
    // Only the original sender may edit a message.
    const validEdit = edit && edit.getSender() === sender ? edit : undefined;
    const content = (validEdit ? validEdit.getContent()['m.new_content'] : ev.getContent()) ?? {};
    const encrypted = ev.getType() === 'm.room.encrypted' || ev.isDecryptionFailure();
    const replyTo = wireRel?.['m.in_reply_to']?.event_id ?? null;
    const rawBody = typeof content.body === 'string' ? content.body : '';
    const formatted = content.format === 'org.matrix.custom.html' && typeof content.formatted_body === 'string';
    const item: MessageItem = {
      kind: 'message',
      id,
      sender,
      ts,
      msgtype: typeof content.msgtype === 'string' ? content.msgtype : ev.getType(),
      body: replyTo ? stripReplyFallback(rawBody) : rawBody,
      html: !deleted && formatted ? sanitizeMessageHtml(content.formatted_body as string) : null,
      edited: !deleted && (validEdit !== undefined || ev.replacingEvent() !== null),
      deleted,
      encrypted,
      decrypting: encrypted && ev.isBeingDecrypted(),
      pending: ev.status === EventStatus.SENDING || ev.status === EventStatus.QUEUED || ev.status === EventStatus.ENCRYPTING,
      failed: ev.status === EventStatus.NOT_SENT,
      mine: sender === myUserId,
      continuation: previous !== null && previous.sender === sender && ts - previous.ts < GROUP_GAP_MS,
      reactions: deleted ? [] : [...(reactions.get(id)?.values() ?? [])],
      replyTo,
      replyPreview: replyTo ? quotePreview(byId.get(replyTo), edits) : null,
      media: deleted ? null : mediaInfo(content),
    };
    items.push(item);
    previous = item;
  }
  return items;
}

const MEDIA_TYPES = new Set(['m.image', 'm.video', 'm.audio', 'm.file']);

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/** The file facts of an m.image/m.video/m.audio/m.file (plain `url`, or encrypted `file`), or null. */
export function mediaInfo(content: Record<string, any>): MediaInfo | null {
  if (!MEDIA_TYPES.has(content.msgtype)) return null;
  const file = isEncryptedFile(content.file) ? content.file : null;
  const url = file ? file.url : content.url;
  if (typeof url !== 'string' || !url.startsWith('mxc://')) return null;
  const info = typeof content.info === 'object' && content.info !== null ? content.info : {};
  const thumbnailFile = file && isEncryptedFile(info.thumbnail_file) ? info.thumbnail_file : null;
  const thumb = thumbnailFile ? thumbnailFile.url : typeof info.thumbnail_url === 'string' && info.thumbnail_url.startsWith('mxc://') ? info.thumbnail_url : null;
  const body = typeof content.body === 'string' ? content.body : '';
  return {
    url,
    file,
    thumbnailFile,
    thumbnailUrl: thumb,
    w: num(info.w),
    h: num(info.h),
    size: num(info.size),
    mimetype: typeof info.mimetype === 'string' ? info.mimetype : null,
    filename: typeof content.filename === 'string' && content.filename ? content.filename : body || 'file',
  };
}

function quotePreview(ev: MatrixEvent | undefined, edits: Map<string, MatrixEvent>): MessageItem['replyPreview'] {
  if (!ev) return null;
  const sender = ev.getSender() ?? '';
  if (ev.isRedacted()) return { sender, text: '' };
  const edit = edits.get(ev.getId() ?? '');
  const content = (edit && edit.getSender() === sender ? edit.getContent()['m.new_content'] : ev.getContent()) ?? {};
  const body = typeof content.body === 'string' ? stripReplyFallback(content.body) : '';
  return { sender, text: body.length > 140 ? `${body.slice(0, 140)}…` : body };
}
