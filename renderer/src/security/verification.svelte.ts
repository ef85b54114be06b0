// One emoji (SAS) verification, incoming or outgoing, to-device (my other session) or in a room
// (another person), as reactive state the dialog draws. Only SAS is offered: QR needs a camera.
import type { MatrixClient } from 'matrix-js-sdk';
import {
  VerificationPhase,
  VerificationRequestEvent,
  VerifierEvent,
  type ShowSasCallbacks,
  type VerificationRequest,
  type Verifier,
} from 'matrix-js-sdk/lib/crypto-api/index.js';

export type FlowStep = 'incoming' | 'waiting' | 'ready' | 'emoji' | 'confirming' | 'done' | 'cancelled';

const SAS = 'm.sas.v1';

export class VerificationFlow {
  readonly request: VerificationRequest;
  readonly #client: MatrixClient;
  step = $state<FlowStep>('waiting');
  /** The 7 emoji to compare: [symbol, English name]. */
  emoji = $state.raw<[string, string][]>([]);
  /** Why it stopped: a spec cancel code (m.user, m.timeout, m.mismatched_sas, …), and whether I stopped it. */
  cancelCode = $state<string | null>(null);
  cancelledByMe = $state(false);
  /** After "done": whether the crypto now really trusts the other side (read back, not assumed). */
  otherVerified = $state<boolean | null>(null);
  error = $state('');
  /** True once this session accepted or declined (its own reply then is not "answered elsewhere"). */
  answeredHere = false;
  #verifier: Verifier | null = null;
  #sas: ShowSasCallbacks | null = null;
  #starting = false;

  constructor(client: MatrixClient, request: VerificationRequest, deviceId?: string) {
    this.#client = client;
    this.request = request;
    this.otherDeviceId = deviceId;
    request.on(VerificationRequestEvent.Change, this.#update);
    this.#update();
  }

  get isOwn(): boolean {
    return this.request.isSelfVerification;
  }

  get otherUserId(): string {
    return this.request.otherUserId;
  }

  /** The other device, once known (the request forgets it when it ends, so it is kept here). */
  otherDeviceId = $state<string | undefined>(undefined);

  /** Accepts an incoming request; the side that asked then starts the emoji. */
  async accept(): Promise<void> {
    this.answeredHere = true;
    await this.#guard(() => this.request.accept());
  }

  async decline(): Promise<void> {
    this.answeredHere = true;
    this.cancelledByMe = true;
    await this.#guard(() => this.request.cancel({ code: 'm.user', reason: 'declined' }));
  }

  async cancel(): Promise<void> {
    if (this.step === 'done' || this.step === 'cancelled') return;
    this.cancelledByMe = true;
    await this.#guard(() => this.request.cancel());
  }

  /** Starts the emoji exchange (done by itself on the side that asked, once the other accepts). */
  async start(): Promise<void> {
    if (this.#starting || this.request.verifier) return;
    this.#starting = true;
    await this.#guard(async () => this.#attach(await this.request.startVerification(SAS)));
  }

  async confirmMatch(): Promise<void> {
    if (!this.#sas) return;
    this.step = 'confirming';
    await this.#guard(() => this.#sas!.confirm());
  }

  mismatch(): void {
    this.cancelledByMe = true;
    this.#sas?.mismatch();
  }

  dispose(): void {
    this.request.off(VerificationRequestEvent.Change, this.#update);
  }

  readonly #update = (): void => {
    const req = this.request;
    this.otherDeviceId = req.otherDeviceId ?? this.otherDeviceId;
    switch (req.phase) {
      case VerificationPhase.Unsent:
      case VerificationPhase.Requested:
        this.step = req.initiatedByMe ? 'waiting' : 'incoming';
        break;
      case VerificationPhase.Ready:
        if (req.initiatedByMe) void this.start();
        if (this.step !== 'emoji' && this.step !== 'confirming') this.step = 'ready';
        break;
      case VerificationPhase.Started:
        if (req.verifier && req.verifier !== this.#verifier) this.#attach(req.verifier);
        break;
      case VerificationPhase.Done:
        if (this.step !== 'done') {
          this.step = 'done';
          void this.#readTrust();
        }
        break;
      case VerificationPhase.Cancelled:
        this.step = 'cancelled';
        this.cancelCode = req.cancellationCode ?? 'm.user';
        if (req.cancellingUserId && req.cancellingUserId !== this.#client.getUserId()) this.cancelledByMe = false;
        break;
    }
  };

  #attach(verifier: Verifier): void {
    if (this.#verifier === verifier) return;
    this.#verifier = verifier;
    const show = (sas: ShowSasCallbacks) => {
      this.#sas = sas;
      this.emoji = (sas.sas.emoji ?? []).map(([symbol, name]) => [symbol, name]);
      if (this.step !== 'confirming' && this.step !== 'done') this.step = 'emoji';
    };
    verifier.on(VerifierEvent.ShowSas, show);
    const already = verifier.getShowSasCallbacks();
    if (already) show(already);
    // verify() runs the exchange and settles when it is done or cancelled (the request's phase says which).
    verifier.verify().catch(() => undefined);
  }

  async #readTrust(): Promise<void> {
    const crypto = this.#client.getCrypto();
    if (!crypto) return;
    const deviceId = this.otherDeviceId;
    // The signatures are uploaded as the exchange ends: look again for a few seconds before saying no.
    for (let attempt = 0; attempt < 10; attempt++) {
      if (this.isOwn && deviceId) this.otherVerified = (await crypto.getDeviceVerificationStatus(this.otherUserId, deviceId))?.isVerified() ?? false;
      else this.otherVerified = (await crypto.getUserVerificationStatus(this.otherUserId)).isVerified();
      if (this.otherVerified) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async #guard(run: () => Promise<unknown>): Promise<void> {
    try {
      this.error = '';
      await run();
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
  }
}
