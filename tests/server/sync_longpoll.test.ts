// The long-poll mechanics of SyncService + Notifier in-process: wait only when nothing concerns
// the user, wake on exactly the relevant notices, release a waiter when its client goes away,
// and build next_batch from positions taken before the providers ran.
import { describe, expect, it } from 'vitest';
import { Notifier, PollAbort } from '../../server/sync/notifier.ts';
import { SyncService } from '../../server/sync/service.ts';
import { decodeSyncToken, encodeSyncToken } from '../../server/sync/token.ts';
import type { StreamProvider, SyncRequest, SyncResponse } from '../../server/sync/types.ts';

/** A stream of messages for one room, as a list in memory; the events provider contract in miniature. */
class ListStream implements StreamProvider {
  readonly stream = 'events' as const;
  readonly items: { roomId: string; body: string }[] = [];
  private readonly rooms: Record<string, string[]>;
  constructor(rooms: Record<string, string[]>) {
    this.rooms = rooms;
  }
  latest(): number {
    return this.items.length;
  }
  private fill(req: SyncRequest, res: SyncResponse, from: number, to: number): void {
    const mine = Object.entries(this.rooms).filter(([, users]) => users.includes(req.userId)).map(([r]) => r);
    req.joinedRoomIds.push(...mine);
    this.items.slice(from, to).forEach((item) => {
      if (!mine.includes(item.roomId)) return;
      res.rooms.join[item.roomId] ??= { timeline: { events: [], limited: false }, state: { events: [] }, ephemeral: { events: [] }, account_data: { events: [] }, unread_notifications: { notification_count: 0, highlight_count: 0 }, summary: {} };
      res.rooms.join[item.roomId]!.timeline.events.push({ body: item.body });
    });
  }
  completeSync(req: SyncRequest, res: SyncResponse, to: number): void {
    this.fill(req, res, 0, to);
  }
  incrementalSync(req: SyncRequest, res: SyncResponse, from: number, to: number): void {
    this.fill(req, res, from, to);
  }
}

function setup() {
  const notifier = new Notifier();
  const stream = new ListStream({ '!a:x': ['@ann:x', '@ben:x'], '!b:x': ['@eve:x'] });
  const sync = new SyncService([stream], notifier);
  const post = (roomId: string, body: string) => {
    stream.items.push({ roomId, body });
    notifier.notify({ roomId });
  };
  const params = (userId: string, since: string | null, timeoutMs: number) => ({ userId, deviceId: 'D', since: since ? decodeSyncToken(since) : null, timeoutMs, fullState: false, filter: {} });
  return { notifier, stream, sync, post, params };
}

describe('SyncService long-polling', () => {
  it('returns at once when there is something new, and waits when there is not', async () => {
    const { sync, post, params, notifier } = setup();
    post('!a:x', 'one');
    const first = await sync.sync(params('@ben:x', null, 30_000));
    expect(first.rooms.join['!a:x']!.timeline.events).toEqual([{ body: 'one' }]);
    const waiting = sync.sync(params('@ben:x', first.next_batch, 30_000));
    await new Promise((r) => setTimeout(r, 20));
    expect(notifier.waiting).toBe(1);
    post('!a:x', 'two');
    const second = await waiting;
    expect(second.rooms.join['!a:x']!.timeline.events).toEqual([{ body: 'two' }]);
    expect(notifier.waiting).toBe(0);
  });

  it('a change in another room does not end the poll; the token still moves past it', async () => {
    const { sync, post, params, notifier } = setup();
    const token = encodeSyncToken({ events: 0, account_data: 0, receipts: 0, typing: 0, presence: 0, to_device: 0, device_lists: 0 });
    const started = Date.now();
    const poll = sync.sync(params('@ben:x', token, 300));
    await new Promise((r) => setTimeout(r, 20));
    post('!b:x', 'for eve only');
    await new Promise((r) => setTimeout(r, 20));
    expect(notifier.waiting).toBe(1);
    const res = await poll;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(res.rooms.join).toEqual({});
    // The token moved past eve's message, so ben never scans it again.
    expect(decodeSyncToken(res.next_batch).events).toBe(1);
  });

  it('releases the waiter as soon as the client goes away', async () => {
    const { sync, params, notifier } = setup();
    const token = encodeSyncToken({ events: 0, account_data: 0, receipts: 0, typing: 0, presence: 0, to_device: 0, device_lists: 0 });
    const abort = new PollAbort();
    const poll = sync.sync(params('@ben:x', token, 30_000), abort);
    await new Promise((r) => setTimeout(r, 20));
    expect(notifier.waiting).toBe(1);
    abort.abort();
    await poll;
    expect(notifier.waiting).toBe(0);
  });

  it('next_batch uses positions taken before the providers ran', async () => {
    const { sync, stream, params } = setup();
    stream.items.push({ roomId: '!a:x', body: 'x' });
    const res = await sync.sync(params('@ann:x', null, 0));
    expect(decodeSyncToken(res.next_batch)).toMatchObject({ events: 1 });
  });
});
