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
    await withFileFetch(() => client.initRustCrypto({
      useIndexedDB: true,
      cryptoDatabasePrefix: cryptoStorePrefix(client.getSafeUserId(), client.getDeviceId() ?? ''),
    }));
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

/**
 * The crypto loads its .wasm with fetch(), which Chromium and Electron refuse for file:// URLs, while
 * XMLHttpRequest may read them (Electron's window loads the app from file://). So, on a file:// page
 * and only while the crypto starts, file:// fetches are answered from XMLHttpRequest.
 */
async function withFileFetch<T>(run: () => Promise<T>): Promise<T> {
  if (location.protocol !== 'file:') return run();
  const original = globalThis.fetch;
  globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith('file:')) return original(input, init);
    return readFileUrl(url).then(
      (bytes) => new Response(bytes, { headers: { 'Content-Type': url.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream' } }),
    );
  };
  try {
    return await run();
  } finally {
    globalThis.fetch = original;
  }
}

function readFileUrl(url: string): Promise<ArrayBuffer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('GET', url);
    xhr.responseType = 'arraybuffer';
    // file:// answers have status 0.
    xhr.onload = () => (xhr.status === 0 || xhr.status === 200 ? resolve(xhr.response as ArrayBuffer) : reject(new Error(`cannot read ${url}: ${xhr.status}`)));
    xhr.onerror = () => reject(new Error(`cannot read ${url}`));
    xhr.send();
  });
}
