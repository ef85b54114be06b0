// This session's security, as the UI needs it: is secure backup set up on the account, is this
// session verified, is backup on; setting up secure backup with a recovery key; unlocking a new
// session with that key; and the emoji verification in progress (incoming or outgoing).
import { ClientEvent, EventType, MatrixError, RoomEvent, SyncState, type AuthDict, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { CryptoEvent, decodeRecoveryKey, type GeneratedSecretStorageKey, type VerificationRequest } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { VerificationFlow } from './verification.svelte.ts';
import type { SecretKeyCache } from './secret-keys.ts';

export type SessionStatus = 'checking' | 'unavailable' | 'needs-setup' | 'needs-verification' | 'verified';

export class RecoveryKeyError extends Error {
  readonly problem: 'not-a-key' | 'wrong-key' | 'no-backup';
  constructor(problem: RecoveryKeyError['problem']) {
    super(problem);
    this.problem = problem;
  }
}

export class SecurityCenter {
  readonly client: MatrixClient;
  readonly #secretKeys: SecretKeyCache;
  readonly #encryptionAvailable: () => boolean;
  status = $state<SessionStatus>('checking');
  backup = $state<{ on: boolean; count: number | null }>({ on: false, count: null });
  /** Bumped when anyone's keys or trust change: shields re-read. */
  trustVersion = $state(0);
  /** The verification shown in the dialog (one at a time, as in Element). */
  flow = $state.raw<VerificationFlow | null>(null);
  /** Set while the server asks for my password to publish new cross-signing keys. */
  passwordPrompt = $state.raw<{ wrong: boolean; answer: (password: string | null) => void } | null>(null);
  /** Which of the secure-backup dialogs is open (from the sidebar prompt or from settings). */
  openDialog = $state<'setup' | 'verify-session' | null>(null);
  #refreshTimer = 0;

  constructor(client: MatrixClient, secretKeys: SecretKeyCache, encryptionAvailable: () => boolean) {
    this.client = client;
    this.#secretKeys = secretKeys;
    this.#encryptionAvailable = encryptionAvailable;
    const onSync = (state: SyncState) => {
      if (state !== SyncState.Prepared) return;
      client.off(ClientEvent.Sync, onSync);
      void this.refresh();
    };
    client.on(ClientEvent.Sync, onSync);
    client.on(CryptoEvent.VerificationRequestReceived, (request) => this.#incoming(request));
    // An in-room request one of my other sessions already answered is not asked again here.
    client.on(RoomEvent.Timeline, (event) => {
      const flow = this.flow;
      if (flow?.step === 'incoming' && !flow.answeredHere && flow.request.roomId && this.#answersRequest(event, flow.request)) {
        flow.dispose();
        this.flow = null;
      }
    });
    const trustChanged = () => {
      this.trustVersion++;
      this.#scheduleRefresh();
    };
    client.on(CryptoEvent.UserTrustStatusChanged, trustChanged);
    client.on(CryptoEvent.KeysChanged, trustChanged);
    client.on(CryptoEvent.DevicesUpdated, trustChanged);
    client.on(CryptoEvent.KeyBackupStatus, () => this.#scheduleRefresh());
    // The backup key can arrive from my other session after I verify this one with it.
    client.on(CryptoEvent.KeyBackupDecryptionKeyCached, () => void this.#restoreWithCachedKey());
  }

  get #crypto() {
    const crypto = this.client.getCrypto();
    return crypto && this.#encryptionAvailable() ? crypto : null;
  }

  #scheduleRefresh(): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = window.setTimeout(() => void this.refresh(), 200);
  }

  /** Reads where this account and session stand (asks the server for my keys once). */
  async refresh(): Promise<void> {
    try {
      await this.#readStatus();
    } catch (err) {
      // Signed out meanwhile (e.g. by another session): the crypto was freed under the reads; nothing to show.
      if (!this.client.clientRunning) return;
      throw err;
    }
  }

  async #readStatus(): Promise<void> {
    const crypto = this.#crypto;
    if (!crypto) {
      this.status = 'unavailable';
      return;
    }
    const me = this.client.getSafeUserId();
    if (!(await crypto.userHasCrossSigningKeys(me, true))) this.status = 'needs-setup';
    else {
      const mine = await crypto.getDeviceVerificationStatus(me, this.client.getDeviceId() ?? '');
      this.status = mine?.crossSigningVerified ? 'verified' : 'needs-verification';
    }
    const info = await crypto.getKeyBackupInfo();
    const active = await crypto.getActiveSessionBackupVersion();
    this.backup = { on: info !== null && active === info.version, count: info ? info.count : null };
  }

  /** A new recovery key, shown to the person before anything is stored with it. */
  createRecoveryKey(): Promise<GeneratedSecretStorageKey> {
    return this.#crypto!.createRecoveryKeyFromPassphrase();
  }

  /**
   * Cross-signing keys (my identity), secure storage locked by the recovery key, and server-side
   * key backup, in that order; the password is asked only if the server wants it.
   */
  async setUpSecureBackup(recoveryKey: GeneratedSecretStorageKey): Promise<void> {
    const crypto = this.#crypto!;
    await crypto.bootstrapCrossSigning({
      authUploadDeviceSigningKeys: (makeRequest) => this.#withPassword(makeRequest),
    });
    await crypto.bootstrapSecretStorage({
      createSecretStorageKey: async () => recoveryKey,
      setupNewSecretStorage: true,
      setupNewKeyBackup: true,
    });
    await crypto.checkKeyBackupAndEnable();
    await this.refresh();
  }

  /**
   * Unlocks a new session with the recovery key: my identity keys from secure storage sign this
   * device, the backup key is taken too, and the backed-up keys are restored so old messages decrypt.
   * Returns how many message keys were restored.
   */
  async unlockWithRecoveryKey(text: string): Promise<number> {
    const crypto = this.#crypto!;
    let key: Uint8Array<ArrayBuffer>;
    try {
      key = decodeRecoveryKey(text.trim()) as Uint8Array<ArrayBuffer>;
    } catch {
      throw new RecoveryKeyError('not-a-key');
    }
    const keyId = await this.client.secretStorage.getDefaultKeyId();
    const found = keyId ? await this.client.secretStorage.getKey(keyId) : null;
    if (!keyId || !found) throw new RecoveryKeyError('no-backup');
    if (!(await this.client.secretStorage.checkKey(key, found[1] as never))) throw new RecoveryKeyError('wrong-key');
    this.#secretKeys.set(keyId, key);
    await crypto.bootstrapCrossSigning({}); // reads the identity keys from secure storage and signs this device
    await crypto.loadSessionBackupPrivateKeyFromSecretStorage();
    await crypto.checkKeyBackupAndEnable();
    const restored = await crypto.restoreKeyBackup();
    await this.refresh();
    return restored.imported;
  }

  async #restoreWithCachedKey(): Promise<void> {
    const crypto = this.#crypto;
    if (!crypto) return;
    try {
      const check = await crypto.checkKeyBackupAndEnable();
      if (check?.backupInfo) await crypto.restoreKeyBackup();
    } catch (err) {
      console.warn('Restoring from secure backup failed:', err);
    }
    await this.refresh();
  }

  /** Runs an authenticated request, asking for my password when the server answers with UIA. */
  async #withPassword<T>(makeRequest: (auth: AuthDict | null) => Promise<T>): Promise<void> {
    let session: string | undefined;
    try {
      await makeRequest(null);
      return;
    } catch (err) {
      if (!(err instanceof MatrixError) || err.httpStatus !== 401) throw err;
      session = err.data?.session as string | undefined;
    }
    let wrong = false;
    for (;;) {
      const password = await new Promise<string | null>((answer) => (this.passwordPrompt = { wrong, answer }));
      this.passwordPrompt = null;
      if (password === null) throw new Error('cancelled');
      try {
        await makeRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: this.client.getSafeUserId() }, password, session } as AuthDict);
        return;
      } catch (err) {
        if (!(err instanceof MatrixError) || err.httpStatus !== 401) throw err;
        session = (err.data?.session as string | undefined) ?? session;
        wrong = true;
      }
    }
  }

  // ——— verification ———

  /** Asks my other sessions to verify this one (to-device). */
  async verifyOwnSession(): Promise<void> {
    this.#show(await this.#crypto!.requestOwnUserVerification());
  }

  /** Verifies another person through a room we share (in-room request), or one of my devices. */
  async verify(userId: string, options: { roomId?: string; deviceId?: string } = {}): Promise<void> {
    const crypto = this.#crypto!;
    if (options.deviceId) {
      await this.#untilDeviceKnown(userId, options.deviceId);
      this.#show(await crypto.requestDeviceVerification(userId, options.deviceId), options.deviceId);
    }
    else if (userId === this.client.getSafeUserId()) this.#show(await crypto.requestOwnUserVerification());
    else {
      const roomId = options.roomId ?? this.#directRoomWith(userId);
      if (!roomId) throw new Error(`no chat with ${userId}`);
      this.#show(await crypto.requestVerificationDM(userId, roomId));
    }
  }

  /** A just-logged-in device is listed by the server before its keys reach this crypto: wait briefly for them. */
  async #untilDeviceKnown(userId: string, deviceId: string): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const devices = await this.#crypto!.getUserDeviceInfo([userId], true);
      if (devices.get(userId)?.has(deviceId)) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  closeFlow(): void {
    const flow = this.flow;
    if (!flow) return;
    void flow.cancel();
    flow.dispose();
    this.flow = null;
    void this.refresh();
  }

  #incoming(request: VerificationRequest): void {
    if (request.initiatedByMe) return;
    // The same request can be announced again (the in-room event, then its decryption).
    if (this.flow && (this.flow.request === request || this.flow.request.transactionId === request.transactionId)) return;
    const room = request.roomId ? this.client.getRoom(request.roomId) : null;
    if (room?.getLiveTimeline().getEvents().some((event) => this.#answersRequest(event, request))) return;
    if (this.flow && this.flow.step !== 'done' && this.flow.step !== 'cancelled') {
      void request.cancel({ code: 'm.user', reason: 'busy with another verification' });
      return;
    }
    this.#show(request);
  }

  /**
   * An event from another of my sessions replying to an in-room request (m.relates_to is never
   * encrypted; this session's own events carry their transaction_id).
   */
  #answersRequest(event: MatrixEvent, request: VerificationRequest): boolean {
    const relation = event.getWireContent()['m.relates_to'] as { event_id?: string } | undefined;
    if (event.getSender() !== this.client.getUserId() || event.getUnsigned().transaction_id || event.status !== null) return false;
    return relation?.event_id === request.transactionId && event.getRoomId() === request.roomId;
  }

  #show(request: VerificationRequest, deviceId?: string): void {
    this.flow?.dispose();
    this.flow = new VerificationFlow(this.client, request, deviceId);
  }

  #directRoomWith(userId: string): string | null {
    const direct = (this.client.getAccountData(EventType.Direct)?.getContent() ?? {}) as Record<string, string[]>;
    return (direct[userId] ?? []).find((roomId) => this.client.getRoom(roomId)?.getMyMembership() === 'join') ?? null;
  }

  dispose(): void {
    clearTimeout(this.#refreshTimer);
    this.flow?.dispose();
    this.#secretKeys.clear();
  }
}
