// The recovery key, once entered or created, kept in memory only for this session: the crypto asks
// for it (getSecretStorageKey) whenever it reads from or writes to secure storage on the server.
import type { ICreateClientOpts } from 'matrix-js-sdk';

type CryptoCallbacks = NonNullable<ICreateClientOpts['cryptoCallbacks']>;

export class SecretKeyCache {
  readonly #keys = new Map<string, Uint8Array<ArrayBuffer>>();

  /** Passed to createClient: the crypto asks these when it needs the recovery key. */
  readonly callbacks: CryptoCallbacks = {
    getSecretStorageKey: async ({ keys }) => {
      for (const keyId of Object.keys(keys)) {
        const key = this.#keys.get(keyId);
        if (key) return [keyId, key];
      }
      return null; // unknown here: the caller asks the person for their recovery key first
    },
    cacheSecretStorageKey: (keyId, _info, key) => void this.#keys.set(keyId, key),
  };

  set(keyId: string, key: Uint8Array<ArrayBuffer>): void {
    this.#keys.set(keyId, key);
  }

  clear(): void {
    this.#keys.clear();
  }
}
