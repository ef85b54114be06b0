// One logged-in Matrix session: the matrix-js-sdk client, and the reactive state the UI draws
// (room list, invites, the open room's timeline). SDK events mark state dirty; one animation
// frame later it is recomputed once, however many events arrived.
import {
  ClientEvent,
  createClient,
  EventType,
  KnownMembership,
  MatrixEventEvent,
  NotificationCountType,
  Preset,
  Visibility,
  RoomMemberEvent,
  RoomEvent,
  RoomStateEvent,
  UserEvent,
  SyncState,
  type MatrixClient,
  type MatrixEvent,
  type Room,
} from 'matrix-js-sdk';
import type { StoredSession } from './session.ts';
import { buildTimeline, type TimelineItem } from './timeline.ts';
import { textContent } from './markdown.ts';
import { MediaLoader } from './media.ts';
import { PendingUpload } from './uploads.svelte.ts';
import { startCrypto } from './crypto.ts';
import { SecretKeyCache } from '../security/secret-keys.ts';

/** What FluffyChat and Element put in m.room.encryption for new rooms. */
const ENCRYPTION_STATE = { type: EventType.RoomEncryption, state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } };

export type PreviewKind = 'text' | 'emote' | 'deleted' | 'encrypted' | 'image' | 'file' | 'video' | 'audio';

export interface RoomSummary {
  roomId: string;
  name: string;
  topic: string;
  isDirect: boolean;
  lastActivity: number;
  preview: { sender: string; senderName: string; kind: PreviewKind; text: string } | null;
  unread: number;
  highlight: number;
  /** For invites: who invited me. */
  inviter: string | null;
  /** The room's picture, or for a DM the other person's. */
  avatarMxc: string | null;
}

export interface MemberSummary {
  userId: string;
  name: string;
  avatarMxc: string | null;
  membership: string;
  powerLevel: number;
}

/** What the UI calls a power level, as Element and FluffyChat do. */
export function powerRole(level: number): 'admin' | 'moderator' | 'member' {
  return level >= 100 ? 'admin' : level >= 50 ? 'moderator' : 'member';
}

export type ConnectionState = 'starting' | 'ready' | 'reconnecting' | 'failed';

const PREVIEW_KINDS: Record<string, PreviewKind> = { 'm.image': 'image', 'm.file': 'file', 'm.video': 'video', 'm.audio': 'audio', 'm.emote': 'emote' };

export class ChatSession {
  readonly client: MatrixClient;
  readonly userId: string;
  readonly media: MediaLoader;
  /** The recovery key while this session uses it (secure backup: renderer/src/security/). */
  readonly secretKeys = new SecretKeyCache();
  connection = $state<ConnectionState>('starting');
  /** My display name and avatar. */
  profile = $state<{ displayName: string; avatarMxc: string | null }>({ displayName: '', avatarMxc: null });
  /** Bumped whenever room state (name, topic, avatar, members, power) changes: settings views re-read. */
  stateVersion = $state(0);
  /** False when this browser could not start encryption (then encrypted rooms cannot be read). */
  encryptionAvailable = $state(true);
  rooms = $state.raw<RoomSummary[]>([]);
  invites = $state.raw<RoomSummary[]>([]);
  selectedRoomId = $state<string | null>(null);
  timeline = $state.raw<TimelineItem[]>([]);
  /** Event ID → other people whose read receipt is at that event, in the open room. */
  readers = $state.raw<Map<string, string[]>>(new Map());
  /** True while older messages are being fetched; false once the room's start is reached. */
  loadingOlder = $state(false);
  reachedStart = $state(false);
  /** The message being edited in the composer. */
  editing = $state<{ eventId: string; body: string } | null>(null);
  /** The first message I had not read when I opened the room (kept while I stay in it). */
  firstUnreadId = $state<string | null>(null);
  /** The message the composer answers. */
  replyingTo = $state<{ eventId: string; sender: string; body: string } | null>(null);
  /** Other people typing in the open room. */
  typing = $state.raw<string[]>([]);
  #typingSentAt = 0;
  /** Files staged or uploading into the open room. */
  uploads = $state<PendingUpload[]>([]);
  #maxUploadBytes: Promise<number | null> | null = null;

  #dirtyRooms = false;
  #dirtyTimeline = false;
  #frame = 0;
  #lastReceipt = new Map<string, string>();

  constructor(session: StoredSession) {
    this.userId = session.userId;
    this.client = createClient({
      baseUrl: session.baseUrl,
      accessToken: session.accessToken,
      userId: session.userId,
      deviceId: session.deviceId,
      // No calls in this app: skips TURN polling (and its console errors on servers without VoIP).
      disableVoip: true,
      cryptoCallbacks: this.secretKeys.callbacks,
    });
    this.media = new MediaLoader(this.client, session.accessToken);
    this.client.on(ClientEvent.Sync, (state) => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) this.connection = 'ready';
      else if (state === SyncState.Reconnecting || state === SyncState.Error) this.connection = this.connection === 'starting' ? 'starting' : 'reconnecting';
      this.#markRooms();
    });
    const roomChanged = (room: Room | undefined) => {
      this.#markRooms();
      if (room && room.roomId === this.selectedRoomId) this.#markTimeline();
    };
    this.client.on(RoomEvent.Timeline, (_ev, room) => roomChanged(room));
    this.client.on(RoomEvent.Redaction, (_ev, room) => roomChanged(room));
    this.client.on(RoomEvent.LocalEchoUpdated, (_ev, room) => roomChanged(room));
    this.client.on(RoomEvent.TimelineReset, (room) => roomChanged(room));
    this.client.on(RoomEvent.Name, (room) => roomChanged(room));
    this.client.on(RoomEvent.MyMembership, (room) => roomChanged(room));
    this.client.on(RoomEvent.Receipt, (_ev, room) => roomChanged(room));
    // Decryption finishes after the event is in the timeline (or fails, or succeeds on a retry when keys arrive).
    this.client.on(MatrixEventEvent.Decrypted, (ev) => roomChanged(this.client.getRoom(ev.getRoomId()) ?? undefined));
    this.client.on(RoomMemberEvent.Typing, (_ev, member) => {
      if (member.roomId === this.selectedRoomId) this.#recomputeTyping();
    });
    this.client.on(RoomStateEvent.Events, (ev) => {
      this.stateVersion++;
      roomChanged(this.client.getRoom(ev.getRoomId()) ?? undefined);
    });
    this.client.on(UserEvent.DisplayName, (_ev, user) => user.userId === this.userId && this.#refreshProfile());
    this.client.on(UserEvent.AvatarUrl, (_ev, user) => user.userId === this.userId && this.#refreshProfile());
    this.client.on(ClientEvent.Room, () => this.#markRooms());
    this.client.on(ClientEvent.DeleteRoom, () => this.#markRooms());
    this.client.on(ClientEvent.AccountData, () => this.#markRooms());
  }

  async start(): Promise<void> {
    this.encryptionAvailable = await startCrypto(this.client);
    this.#refreshProfile();
    await this.client.startClient({ initialSyncLimit: 30, lazyLoadMembers: true });
  }

  stop(): void {
    cancelAnimationFrame(this.#frame);
    this.media.dispose();
    for (const u of this.uploads) u.cancel();
    this.client.stopClient();
    this.client.removeAllListeners();
  }

  get selectedRoom(): Room | null {
    return this.selectedRoomId ? this.client.getRoom(this.selectedRoomId) : null;
  }

  get unreadTotal(): number {
    return this.rooms.reduce((sum, r) => sum + r.unread, 0) + this.invites.length;
  }

  /** A member's picture in a room (their room-specific avatar, else none). */
  memberAvatar(roomId: string, userId: string): string | null {
    if (userId === this.userId && this.profile.avatarMxc) return this.profile.avatarMxc;
    return this.client.getRoom(roomId)?.getMember(userId)?.getMxcAvatarUrl() ?? null;
  }

  #refreshProfile(): void {
    this.client.getProfileInfo(this.userId).then(
      (p) => (this.profile = { displayName: p.displayname ?? '', avatarMxc: p.avatar_url ?? null }),
      () => {}, // no profile yet: the user ID is shown
    );
  }

  async setDisplayName(name: string): Promise<void> {
    await this.client.setDisplayName(name.trim());
    this.profile = { ...this.profile, displayName: name.trim() };
  }

  async setAvatar(file: File): Promise<void> {
    const mxc = await this.#upload(file);
    await this.client.setAvatarUrl(mxc);
    this.profile = { ...this.profile, avatarMxc: mxc };
  }

  async #upload(file: File): Promise<string> {
    const { content_uri } = await this.client.uploadContent(file, { name: file.name, type: file.type });
    return content_uri;
  }

  // ——— room settings and people ———

  async setRoomName(roomId: string, name: string): Promise<void> {
    await this.client.setRoomName(roomId, name.trim());
  }

  async setRoomTopic(roomId: string, topic: string): Promise<void> {
    await this.client.setRoomTopic(roomId, topic.trim());
  }

  async setRoomAvatar(roomId: string, file: File): Promise<void> {
    const url = await this.#upload(file);
    await this.client.sendStateEvent(roomId, EventType.RoomAvatar, { url } as never, '');
  }

  roomTopic(roomId: string): string {
    const content = this.client.getRoom(roomId)?.currentState.getStateEvents(EventType.RoomTopic, '')?.getContent();
    return typeof content?.topic === 'string' ? content.topic : '';
  }

  /** True when my power level allows sending this state event type in the room. */
  canChange(roomId: string, eventType: string): boolean {
    return this.client.getRoom(roomId)?.currentState.maySendStateEvent(eventType, this.userId) ?? false;
  }

  canInvite(roomId: string): boolean {
    return this.client.getRoom(roomId)?.canInvite(this.userId) ?? false;
  }

  /** Invites people (localparts or full user IDs) into a room; returns those the server refused, with why. */
  async invite(roomId: string, people: string[]): Promise<{ userId: string; error: string }[]> {
    const server = this.userId.slice(this.userId.indexOf(':') + 1);
    const refused: { userId: string; error: string }[] = [];
    for (const person of people) {
      const userId = person.startsWith('@') ? person : `@${person}:${server}`;
      try {
        await this.client.invite(roomId, userId);
      } catch (err) {
        refused.push({ userId, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return refused;
  }

  /** Joined and invited members, highest power first (members are lazy-loaded, so fetched on demand). */
  async members(roomId: string): Promise<MemberSummary[]> {
    const room = this.client.getRoom(roomId);
    if (!room) return [];
    await room.loadMembersIfNeeded();
    return room
      .getMembers()
      .filter((m) => m.membership === KnownMembership.Join || m.membership === KnownMembership.Invite)
      .map((m) => ({ userId: m.userId, name: m.name, avatarMxc: m.getMxcAvatarUrl() ?? null, membership: m.membership ?? '', powerLevel: m.powerLevel }))
      .sort((a, b) => b.powerLevel - a.powerLevel || a.name.localeCompare(b.name));
  }

  displayName(roomId: string, userId: string): string {
    return this.client.getRoom(roomId)?.getMember(userId)?.name ?? userId;
  }

  selectRoom(roomId: string | null): void {
    this.selectedRoomId = roomId;
    this.firstUnreadId = roomId ? this.#findFirstUnread(roomId) : null;
    this.reachedStart = false;
    this.editing = null;
    this.replyingTo = null;
    this.#typingSentAt = 0;
    this.#recomputeTyping();
    for (const u of this.uploads) {
      u.cancel();
      u.dispose();
    }
    this.uploads = [];
    this.#recomputeTimeline();
    this.markRead();
  }

  // ——— actions ———

  async sendText(text: string): Promise<void> {
    const roomId = this.selectedRoomId;
    if (!roomId || !text.trim()) return;
    const content: Record<string, unknown> = { ...textContent(text) };
    if (this.replyingTo) content['m.relates_to'] = { 'm.in_reply_to': { event_id: this.replyingTo.eventId } };
    this.replyingTo = null;
    this.setTyping(false);
    await this.client.sendMessage(roomId, content as never); // the SDK's content union is not exported
  }

  /** Tells the room I am typing (renewed every few seconds while I type) or that I stopped. */
  setTyping(typing: boolean): void {
    const roomId = this.selectedRoomId;
    if (!roomId) return;
    const now = Date.now();
    if (typing && now - this.#typingSentAt < 4000) return;
    if (!typing && this.#typingSentAt === 0) return;
    this.#typingSentAt = typing ? now : 0;
    this.client.sendTyping(roomId, typing, 6000).catch(() => (this.#typingSentAt = 0));
  }

  #recomputeTyping(): void {
    const room = this.selectedRoom;
    this.typing = room ? room.getMembers().filter((m) => m.typing && m.userId !== this.userId).map((m) => m.name) : [];
  }

  async editMessage(eventId: string, text: string): Promise<void> {
    const roomId = this.selectedRoomId;
    if (!roomId || !text.trim()) return;
    const content = textContent(text);
    await this.client.sendMessage(roomId, {
      ...content,
      body: `* ${content.body}`,
      ...(content.formatted_body ? { formatted_body: `* ${content.formatted_body}` } : {}),
      'm.new_content': content,
      'm.relates_to': { rel_type: 'm.replace', event_id: eventId },
    } as never);
  }

  stageFiles(files: Iterable<File>): void {
    this.uploads = [...this.uploads, ...[...files].map((f) => new PendingUpload(f))];
  }

  unstage(upload: PendingUpload): void {
    upload.cancel();
    upload.dispose();
    this.uploads = this.uploads.filter((u) => u !== upload);
  }

  /** The server's upload limit (m.upload.size), asked once. */
  maxUploadBytes(): Promise<number | null> {
    this.#maxUploadBytes ??= this.media
      .useAuthenticatedMedia()
      .then((auth) => this.client.getMediaConfig(auth))
      .then((c) => (typeof c['m.upload.size'] === 'number' ? c['m.upload.size'] : null), () => null);
    return this.#maxUploadBytes;
  }

  /** Uploads every staged file, one after another, and drops each from the list once sent. */
  async sendStagedFiles(): Promise<void> {
    const roomId = this.selectedRoomId;
    if (!roomId) return;
    const max = await this.maxUploadBytes();
    for (const upload of this.uploads.filter((u) => u.status === 'staged' || u.status === 'failed')) {
      await upload.send(this.client, roomId, max);
      if (upload.status === 'sent') {
        upload.dispose();
        this.uploads = this.uploads.filter((u) => u !== upload);
      }
    }
  }

  async toggleReaction(eventId: string, key: string, myReactionId: string | null): Promise<void> {
    const roomId = this.selectedRoomId;
    if (!roomId) return;
    if (myReactionId) await this.client.redactEvent(roomId, myReactionId);
    else await this.client.sendEvent(roomId, EventType.Reaction, { 'm.relates_to': { rel_type: 'm.annotation', event_id: eventId, key } } as never);
  }

  async deleteMessage(eventId: string): Promise<void> {
    const roomId = this.selectedRoomId;
    if (roomId) await this.client.redactEvent(roomId, eventId);
  }

  /** Creates a private group (encrypted unless asked not to), inviting people by localpart or full user ID, and opens it once synced. */
  async createGroup(name: string, topic: string, people: string[], encrypted = true): Promise<void> {
    const server = this.userId.slice(this.userId.indexOf(':') + 1);
    const invite = people.map((p) => (p.startsWith('@') ? p : `@${p}:${server}`));
    const { room_id } = await this.client.createRoom({
      name,
      ...(topic ? { topic } : {}),
      preset: Preset.PrivateChat,
      visibility: Visibility.Private,
      invite,
      ...(encrypted && this.encryptionAvailable ? { initial_state: [ENCRYPTION_STATE] } : {}),
    });
    await this.#waitForJoinedRoom(room_id);
    this.#recomputeRooms();
    this.selectRoom(room_id);
  }

  /** People on the server matching a search (user directory). */
  async searchPeople(term: string): Promise<{ userId: string; displayName: string }[]> {
    const res = await this.client.searchUserDirectory({ term, limit: 10 });
    return res.results
      .filter((r) => r.user_id !== this.userId)
      .map((r) => ({ userId: r.user_id, displayName: r.display_name || r.user_id }));
  }

  /** Opens my DM with this person: an existing one from m.direct, else a new room recorded there. */
  async startDirectChat(userId: string): Promise<void> {
    const direct = { ...((this.client.getAccountData(EventType.Direct)?.getContent() ?? {}) as Record<string, string[]>) };
    const existing = (direct[userId] ?? []).find((roomId) => this.client.getRoom(roomId)?.getMyMembership() === KnownMembership.Join);
    if (existing) {
      this.selectRoom(existing);
      return;
    }
    const encrypt = await this.#hasDeviceKeys(userId);
    const { room_id } = await this.client.createRoom({
      is_direct: true,
      invite: [userId],
      preset: Preset.TrustedPrivateChat,
      visibility: Visibility.Private,
      ...(encrypt ? { initial_state: [ENCRYPTION_STATE] } : {}),
    });
    direct[userId] = [...(direct[userId] ?? []), room_id];
    await this.client.setAccountData(EventType.Direct, direct as never);
    await this.#waitForJoinedRoom(room_id);
    this.#recomputeRooms();
    this.selectRoom(room_id);
  }

  /** True when the person has a device that can receive room keys (else an encrypted DM could not be read by them). */
  async #hasDeviceKeys(userId: string): Promise<boolean> {
    const crypto = this.client.getCrypto();
    if (!crypto || !this.encryptionAvailable) return false;
    try {
      const devices = await crypto.getUserDeviceInfo([userId], true);
      return (devices.get(userId)?.size ?? 0) > 0;
    } catch {
      return false;
    }
  }

  async leaveRoom(roomId: string): Promise<void> {
    await this.client.leave(roomId);
    if (this.selectedRoomId === roomId) this.selectRoom(null);
  }

  #waitForJoinedRoom(roomId: string): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.client.getRoom(roomId)?.getMyMembership() !== KnownMembership.Join) return false;
        this.client.off(ClientEvent.Room, check);
        this.client.off(RoomEvent.MyMembership, check);
        resolve();
        return true;
      };
      if (!check()) {
        this.client.on(ClientEvent.Room, check);
        this.client.on(RoomEvent.MyMembership, check);
      }
    });
  }

  async acceptInvite(roomId: string): Promise<void> {
    await this.client.joinRoom(roomId);
  }

  async declineInvite(roomId: string): Promise<void> {
    await this.client.leave(roomId);
  }

  /** Loads older messages into the open room. */
  async loadOlder(): Promise<void> {
    const room = this.selectedRoom;
    if (!room || this.loadingOlder || this.reachedStart) return;
    this.loadingOlder = true;
    try {
      const more = await this.client.paginateEventTimeline(room.getLiveTimeline(), { backwards: true, limit: 40 });
      if (!more) this.reachedStart = true;
    } finally {
      this.loadingOlder = false;
      this.#recomputeTimeline();
    }
  }

  /** Sends a read receipt for the newest event in the open room, when the window is in view. */
  markRead(): void {
    const room = this.selectedRoom;
    if (!room || document.visibilityState !== 'visible') return;
    const events = room.getLiveTimeline().getEvents();
    const last = [...events].reverse().find((e) => e.getId() && !e.getId()!.startsWith('~') && e.status === null);
    const lastId = last?.getId();
    if (!last || !lastId || this.#lastReceipt.get(room.roomId) === lastId) return;
    this.#lastReceipt.set(room.roomId, lastId);
    this.client.sendReadReceipt(last).catch(() => this.#lastReceipt.delete(room.roomId));
  }

  /** The first message from someone else after my read receipt, among the loaded events. */
  #findFirstUnread(roomId: string): string | null {
    const room = this.client.getRoom(roomId);
    if (!room) return null;
    const events = room.getLiveTimeline().getEvents();
    const readUpTo = room.getEventReadUpTo(this.userId);
    const readIndex = readUpTo ? events.findIndex((e) => e.getId() === readUpTo) : -1;
    // Receipt older than what is loaded: with unread messages, every loaded one is new to me.
    if (readIndex < 0 && room.getUnreadNotificationCount(NotificationCountType.Total) === 0) return null;
    const unread = events.slice(readIndex + 1).find((e) => e.getType() === 'm.room.message' && e.getSender() !== this.userId && !e.isRedacted());
    return unread?.getId() ?? null;
  }

  // ——— derived state ———

  #schedule(): void {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      if (this.#dirtyRooms) this.#recomputeRooms();
      if (this.#dirtyTimeline) {
        this.#recomputeTimeline();
        this.markRead();
      }
    });
  }

  #markRooms(): void {
    this.#dirtyRooms = true;
    this.#schedule();
  }

  #markTimeline(): void {
    this.#dirtyTimeline = true;
    this.#schedule();
  }

  #recomputeTimeline(): void {
    this.#dirtyTimeline = false;
    const room = this.selectedRoom;
    this.timeline = room ? buildTimeline(room.getLiveTimeline().getEvents(), this.userId) : [];
    const readers = new Map<string, string[]>();
    for (const member of room?.getJoinedMembers() ?? []) {
      if (member.userId === this.userId) continue;
      const upTo = room!.getEventReadUpTo(member.userId, true);
      if (upTo) readers.set(upTo, [...(readers.get(upTo) ?? []), member.userId]);
    }
    this.readers = readers;
  }

  #recomputeRooms(): void {
    this.#dirtyRooms = false;
    const direct = new Set(Object.values((this.client.getAccountData(EventType.Direct)?.getContent() ?? {}) as Record<string, string[]>).flat());
    const joined: RoomSummary[] = [];
    const invited: RoomSummary[] = [];
    for (const room of this.client.getRooms()) {
      const membership = room.getMyMembership();
      if (membership === KnownMembership.Join) joined.push(this.#summarise(room, direct));
      else if (membership === KnownMembership.Invite) invited.push(this.#summarise(room, direct));
    }
    joined.sort((a, b) => b.lastActivity - a.lastActivity);
    invited.sort((a, b) => b.lastActivity - a.lastActivity);
    this.rooms = joined;
    this.invites = invited;
    if (this.selectedRoomId && !joined.some((r) => r.roomId === this.selectedRoomId)) this.selectRoom(null);
  }

  #summarise(room: Room, direct: Set<string>): RoomSummary {
    const me = room.getMember(this.userId);
    const inviteEvent = me?.events.member;
    const memberContent = inviteEvent?.getContent() ?? {};
    return {
      roomId: room.roomId,
      name: room.name || room.roomId,
      topic: this.roomTopic(room.roomId),
      isDirect: direct.has(room.roomId) || memberContent.is_direct === true,
      lastActivity: room.getLastActiveTimestamp() > 0 ? room.getLastActiveTimestamp() : (inviteEvent?.getTs() ?? 0),
      preview: this.#preview(room),
      unread: room.getUnreadNotificationCount(NotificationCountType.Total),
      highlight: room.getUnreadNotificationCount(NotificationCountType.Highlight),
      inviter: room.getMyMembership() === KnownMembership.Invite ? (inviteEvent?.getSender() ?? null) : null,
      avatarMxc: room.getMxcAvatarUrl() ?? room.getAvatarFallbackMember()?.getMxcAvatarUrl() ?? null,
    };
  }

  #preview(room: Room): RoomSummary['preview'] {
    const events = room.getLiveTimeline().getEvents();
    for (let i = events.length - 1; i >= 0; i--) {
      const ev: MatrixEvent = events[i]!;
      const type = ev.getType();
      if (type !== 'm.room.message' && type !== 'm.room.encrypted' && type !== 'm.sticker') continue;
      if (ev.getWireContent()['m.relates_to']?.rel_type === 'm.replace') continue;
      const sender = ev.getSender() ?? '';
      const base = { sender, senderName: room.getMember(sender)?.name ?? sender };
      if (ev.isRedacted()) return { ...base, kind: 'deleted', text: '' };
      if (type === 'm.room.encrypted' || ev.isDecryptionFailure()) return { ...base, kind: 'encrypted', text: '' };
      const content = ev.getContent();
      const body = typeof content.body === 'string' ? content.body : '';
      return { ...base, kind: PREVIEW_KINDS[content.msgtype as string] ?? 'text', text: body.split('\n').find((l: string) => l && !l.startsWith('>')) ?? body };
    }
    return null;
  }
}
