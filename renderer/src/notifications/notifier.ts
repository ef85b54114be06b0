// Desktop notifications (the web Notification API) for live events the push rules say notify:
// not for my own events, not for history (initial sync, scrollback), not for the chat on screen
// while the window has focus. One notification per room (tag = room ID): a newer one replaces it.
// Encrypted events are judged once decrypted, since the rules match the clear content.
import {
  ClientEvent,
  EventType,
  MatrixEventEvent,
  RoomEvent,
  SyncState,
  type IRoomTimelineData,
  type MatrixClient,
  type MatrixEvent,
  type Room,
} from 'matrix-js-sdk';
import { nt } from './strings.ts';

export interface NotifierHooks {
  /** The room shown on screen now, if any. */
  openRoomId(): string | null;
  /** Opens a room (the notification was clicked). */
  openRoom(roomId: string): void;
}

/** What a shown notification carries in `data`, for the click and for anyone inspecting it. */
export interface NoticeData {
  roomId: string;
  eventId: string;
  highlight: boolean;
}

export function notificationsSupported(): boolean {
  return typeof window.Notification === 'function';
}

export class DesktopNotifier {
  readonly #client: MatrixClient;
  readonly #hooks: NotifierHooks;
  /** Events arriving before the first sync is processed are history, not news. */
  #live = false;
  #stopped = false;
  #shown = new Map<string, Notification>();
  readonly #onSync = (state: SyncState) => {
    if (state === SyncState.Prepared || state === SyncState.Syncing) this.#live = true;
  };
  readonly #onTimeline = (event: MatrixEvent, room: Room | undefined, toStart: boolean | undefined, removed: boolean, data: IRoomTimelineData) => {
    if (!this.#live || toStart || removed || !data?.liveEvent || !room) return;
    this.#consider(event, room);
  };

  constructor(client: MatrixClient, hooks: NotifierHooks) {
    this.#client = client;
    this.#hooks = hooks;
    client.on(ClientEvent.Sync, this.#onSync);
    client.on(RoomEvent.Timeline, this.#onTimeline);
  }

  stop(): void {
    this.#stopped = true;
    this.#client.off(ClientEvent.Sync, this.#onSync);
    this.#client.off(RoomEvent.Timeline, this.#onTimeline);
    for (const n of this.#shown.values()) n.close();
    this.#shown.clear();
  }

  /** Closes the room's notification (its messages are being read). */
  dismiss(roomId: string): void {
    this.#shown.get(roomId)?.close();
    this.#shown.delete(roomId);
  }

  #consider(event: MatrixEvent, room: Room): void {
    // (A decryption awaited below may finish after sign-out.)
    if (this.#stopped || event.getSender() === this.#client.getUserId()) return;
    if (event.isBeingDecrypted() || event.shouldAttemptDecryption()) {
      event.once(MatrixEventEvent.Decrypted, () => this.#consider(event, room));
      return;
    }
    if (!notificationsSupported() || Notification.permission !== 'granted') return;
    if (room.roomId === this.#hooks.openRoomId() && document.hasFocus() && document.visibilityState === 'visible') return;
    const actions = this.#client.getPushActionsForEvent(event, true);
    if (!actions?.notify) return;
    this.#show(event, room, actions.tweaks?.highlight === true);
  }

  /** A DM (listed in my m.direct): the title already names the person, so the body does not repeat it. */
  #isDirect(roomId: string): boolean {
    const direct = (this.#client.getAccountData(EventType.Direct)?.getContent() ?? {}) as Record<string, unknown>;
    return Object.values(direct).some((ids) => Array.isArray(ids) && ids.includes(roomId));
  }

  #show(event: MatrixEvent, room: Room, highlight: boolean): void {
    const sender = event.sender?.name ?? event.getSender() ?? '';
    const roomName = room.name || room.roomId;
    const isDirect = this.#isDirect(room.roomId);
    const text = describe(event, sender);
    const title = highlight ? nt('notify.mention', { sender, room: roomName }) : roomName;
    const body = highlight || isDirect ? text : `${sender}: ${text}`;
    const data: NoticeData = { roomId: room.roomId, eventId: event.getId() ?? '', highlight };
    const notification = new Notification(title, { body, tag: room.roomId, data, requireInteraction: highlight });
    notification.onclick = () => {
      // In Electron the window may be hidden in the tray, which window.focus() cannot undo.
      if (window.meowtrix) void window.meowtrix.showWindow();
      else window.focus();
      this.#hooks.openRoom(room.roomId);
      notification.close();
    };
    notification.onclose = () => this.#shown.get(room.roomId) === notification && this.#shown.delete(room.roomId);
    this.#shown.set(room.roomId, notification);
  }
}

/** The notification's text: a message's first line, or what kind of thing arrived. */
function describe(event: MatrixEvent, sender: string): string {
  if (event.isDecryptionFailure() || event.getType() === EventType.RoomMessageEncrypted) return nt('notify.encrypted');
  if (event.getType() === EventType.RoomMember) return nt('notify.invite', { sender });
  const content = event.getContent();
  const body = typeof content.body === 'string' ? content.body : '';
  if (event.getType() === EventType.RoomMessage || event.getType() === EventType.Sticker) {
    if (['m.image', 'm.file', 'm.video', 'm.audio'].includes(content.msgtype as string) || event.getType() === EventType.Sticker) return nt('notify.attachment');
    const line = body.split('\n').find((l) => l.trim() && !l.startsWith('>')) ?? body;
    return line.length > 200 ? `${line.slice(0, 199)}…` : line;
  }
  return nt('notify.other');
}
