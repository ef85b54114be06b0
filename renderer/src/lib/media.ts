// Media from the homeserver as blob: URLs. Authenticated media (v1.11) needs the access token in a
// header, which <img src> cannot send, so every download goes through fetch(). Cached per URL.
import type { MatrixClient } from 'matrix-js-sdk';
import { decryptAttachment, type EncryptedFile } from './attachments.ts';

export class MediaLoader {
  readonly #client: MatrixClient;
  readonly #token: string;
  readonly #cache = new Map<string, Promise<string>>();
  #authenticated: Promise<boolean> | null = null;

  constructor(client: MatrixClient, accessToken: string) {
    this.#client = client;
    this.#token = accessToken;
  }

  /** v1.11 servers (or MSC3916) serve media only under /_matrix/client/v1/media, with a token. */
  useAuthenticatedMedia(): Promise<boolean> {
    this.#authenticated ??= Promise.all([
      this.#client.isVersionSupported('v1.11'),
      this.#client.doesServerSupportUnstableFeature('org.matrix.msc3916.stable'),
    ]).then(([v, f]) => v || f, () => false);
    return this.#authenticated;
  }

  async thumbnail(mxc: string, width: number, height: number): Promise<string> {
    const auth = await this.useAuthenticatedMedia();
    return this.#load(this.#client.mxcUrlToHttp(mxc, width, height, 'scale', false, true, auth));
  }

  /** A square avatar thumbnail, cropped, at twice the drawn size for sharp screens. */
  async avatar(mxc: string, size: number): Promise<string> {
    const auth = await this.useAuthenticatedMedia();
    const px = Math.min(Math.max(size * 2, 32), 256);
    return this.#load(this.#client.mxcUrlToHttp(mxc, px, px, 'crop', false, true, auth));
  }

  async full(mxc: string): Promise<string> {
    const auth = await this.useAuthenticatedMedia();
    return this.#load(this.#client.mxcUrlToHttp(mxc, undefined, undefined, undefined, false, true, auth));
  }

  /** An attachment from an encrypted room: downloaded as ciphertext, checked and decrypted here. */
  async decrypted(file: EncryptedFile, mimetype: string | null): Promise<string> {
    const auth = await this.useAuthenticatedMedia();
    return this.#load(this.#client.mxcUrlToHttp(file.url, undefined, undefined, undefined, false, true, auth), async (res) =>
      decryptAttachment(await res.arrayBuffer(), file, mimetype ?? 'application/octet-stream'),
    );
  }

  #load(url: string | null, read: (res: Response) => Promise<Blob> = (res) => res.blob()): Promise<string> {
    if (!url) return Promise.reject(new Error('not an mxc:// URL'));
    let pending = this.#cache.get(url);
    if (!pending) {
      pending = fetch(url, { headers: { Authorization: `Bearer ${this.#token}` } }).then(async (res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return URL.createObjectURL(await read(res));
      });
      pending.catch(() => this.#cache.delete(url)); // a failed load may be retried
      this.#cache.set(url, pending);
    }
    return pending;
  }

  dispose(): void {
    for (const p of this.#cache.values()) p.then((u) => URL.revokeObjectURL(u), () => {});
    this.#cache.clear();
  }
}

export function formatBytes(bytes: number, locale: string): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value)} ${units[unit]}`;
}
