// Points out a new session of mine that is not verified: the sessions known when this app started
// are the baseline; when the crypto reports my device list changed, sessions beyond it are news.
import type { MatrixClient } from 'matrix-js-sdk';
import { CryptoEvent } from 'matrix-js-sdk/lib/crypto-api/index.js';

export interface NewSession {
  deviceId: string;
  name: string;
}

export class NewSessionWatcher {
  /** Unverified sessions that appeared while this app ran and are not yet acknowledged. */
  sessions = $state.raw<NewSession[]>([]);
  readonly #client: MatrixClient;
  #known: Promise<Set<string>>;
  readonly #onDevicesUpdated = (userIds: string[]) => {
    if (userIds.includes(this.#client.getSafeUserId())) void this.check();
  };

  constructor(client: MatrixClient) {
    this.#client = client;
    this.#known = this.#serverDeviceIds().catch(() => new Set<string>());
    client.on(CryptoEvent.DevicesUpdated, this.#onDevicesUpdated);
  }

  stop(): void {
    this.#client.off(CryptoEvent.DevicesUpdated, this.#onDevicesUpdated);
  }

  async #serverDeviceIds(): Promise<Set<string>> {
    const { devices } = await this.#client.getDevices();
    return new Set(devices.map((d) => d.device_id));
  }

  /** Compares the server's list with what was known; also drops news about sessions since signed out. */
  async check(): Promise<void> {
    const known = await this.#known;
    let devices;
    try {
      ({ devices } = await this.#client.getDevices());
    } catch {
      return; // offline: the next device-list change checks again
    }
    const crypto = this.#client.getCrypto();
    const me = this.#client.getSafeUserId();
    const fresh: NewSession[] = [];
    for (const d of devices) {
      if (known.has(d.device_id)) continue;
      known.add(d.device_id);
      const status = await crypto?.getDeviceVerificationStatus(me, d.device_id).catch(() => null);
      if (!status?.isVerified()) fresh.push({ deviceId: d.device_id, name: d.display_name?.trim() || d.device_id });
    }
    const present = new Set(devices.map((d) => d.device_id));
    this.sessions = [...this.sessions.filter((s) => present.has(s.deviceId)), ...fresh];
  }

  dismiss(deviceId: string): void {
    this.sessions = this.sessions.filter((s) => s.deviceId !== deviceId);
  }
}
