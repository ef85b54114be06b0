// End-to-end encryption: matrix-js-sdk's Rust crypto (WebAssembly, bundled by Vite next to the app),
// with its keys in IndexedDB so this device keeps its identity across reloads and restarts.
import type { MatrixClient } from 'matrix-js-sdk';

/** One IndexedDB store per account and device: a second login on this browser never reuses keys. */
export function cryptoStorePrefix(userId: string, deviceId: string): string {
  return `meowtrix-crypto:${userId}:${deviceId}`;
}

/**
 * Starts the Rust crypto before the first sync. Resolves false when this browser cannot run it
 * (no IndexedDB or WebAssembly, or the store belongs to another device): the app then works
 * unencrypted and shows encrypted messages as undecryptable, rather than not starting at all.
 */
export async function startCrypto(client: MatrixClient): Promise<boolean> {
  try {
    await client.initRustCrypto({
      useIndexedDB: true,
      cryptoDatabasePrefix: cryptoStorePrefix(client.getSafeUserId(), client.getDeviceId() ?? ''),
    });
    return true;
  } catch (err) {
    console.warn('Encryption is unavailable on this device:', err);
    return false;
  }
}

/** Deletes this device's keys from the browser (after logging out: the device no longer exists). */
export async function forgetCrypto(client: MatrixClient): Promise<void> {
  await client.clearStores({ cryptoDatabasePrefix: cryptoStorePrefix(client.getSafeUserId(), client.getDeviceId() ?? '') }).catch(() => undefined);
}
