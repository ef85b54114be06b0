// Files on their way into a room: staged (with an image preview), uploading (with progress and
// cancel), then sent as m.image / m.video / m.audio / m.file with the spec's info block.
import type { MatrixClient } from 'matrix-js-sdk';
import { encryptAttachment } from './attachments.ts';

export type UploadStatus = 'staged' | 'uploading' | 'sent' | 'failed' | 'cancelled' | 'too-large';

const THUMB_MAX_W = 800;
const THUMB_MAX_H = 600;

let nextId = 1;

export class PendingUpload {
  readonly id = nextId++;
  readonly file: File;
  readonly previewUrl: string | null;
  status = $state<UploadStatus>('staged');
  loaded = $state(0);
  error = $state('');
  #abort = new AbortController();

  constructor(file: File) {
    this.file = file;
    this.previewUrl = file.type.startsWith('image/') ? URL.createObjectURL(file) : null;
  }

  get fraction(): number {
    return this.file.size ? Math.min(1, this.loaded / this.file.size) : 1;
  }

  cancel(): void {
    if (this.status === 'uploading') this.#abort.abort();
    this.status = 'cancelled';
  }

  dispose(): void {
    if (this.previewUrl) URL.revokeObjectURL(this.previewUrl);
  }

  /** Uploads and sends into the room. Resolves when sent, or quietly when cancelled. */
  async send(client: MatrixClient, roomId: string, maxBytes: number | null): Promise<void> {
    if (this.status !== 'staged' && this.status !== 'failed') return;
    if (maxBytes !== null && this.file.size > maxBytes) {
      this.status = 'too-large';
      return;
    }
    this.status = 'uploading';
    this.#abort = new AbortController();
    try {
      // In an encrypted room the server only ever gets ciphertext; the keys travel in the encrypted event.
      const encrypt = (await client.getCrypto()?.isEncryptionEnabledInRoom(roomId)) ?? false;
      const upload = async (blob: Blob, name: string, type: string, progress?: (loaded: number) => void) => {
        const sealed = encrypt ? await encryptAttachment(blob) : null;
        const { content_uri } = await client.uploadContent(sealed ? sealed.data : blob, {
          name,
          type: sealed ? 'application/octet-stream' : type,
          abortController: this.#abort,
          ...(progress ? { progressHandler: ({ loaded }: { loaded: number }) => progress(loaded) } : {}),
        });
        return sealed ? { file: { ...sealed.file, url: content_uri } } : { url: content_uri };
      };
      const mimetype = this.file.type || 'application/octet-stream';
      const info: Record<string, unknown> = { size: this.file.size, mimetype };
      let msgtype = mimetype.startsWith('video/') ? 'm.video' : mimetype.startsWith('audio/') ? 'm.audio' : 'm.file';
      if (mimetype.startsWith('image/')) {
        const image = await describeImage(this.file);
        if (image) {
          msgtype = 'm.image';
          info.w = image.w;
          info.h = image.h;
          if (image.thumbnail) {
            const thumb = await upload(image.thumbnail.blob, `thumbnail-${this.file.name}.jpg`, 'image/jpeg');
            if (thumb.file) info.thumbnail_file = thumb.file;
            else info.thumbnail_url = thumb.url;
            info.thumbnail_info = { w: image.thumbnail.w, h: image.thumbnail.h, size: image.thumbnail.blob.size, mimetype: 'image/jpeg' };
          }
        }
      }
      const stored = await upload(this.file, this.file.name, mimetype, (loaded) => (this.loaded = loaded));
      if (this.#abort.signal.aborted) return;
      this.loaded = this.file.size;
      // A small image is its own thumbnail: clients still find one to show.
      if (msgtype === 'm.image' && !info.thumbnail_url && !info.thumbnail_file) {
        if (stored.file) info.thumbnail_file = stored.file;
        else info.thumbnail_url = stored.url;
        info.thumbnail_info = { w: info.w, h: info.h, size: this.file.size, mimetype };
      }
      await client.sendMessage(roomId, { msgtype, body: this.file.name, filename: this.file.name, ...stored, info } as never);
      this.status = 'sent';
    } catch (err) {
      if (this.#abort.signal.aborted) {
        this.status = 'cancelled';
        return;
      }
      this.status = 'failed';
      this.error = err instanceof Error ? err.message : String(err);
    }
  }
}

interface ImageFacts {
  w: number;
  h: number;
  /** A JPEG no larger than 800×600, when the image itself is larger. */
  thumbnail: { blob: Blob; w: number; h: number } | null;
}

async function describeImage(file: File): Promise<ImageFacts | null> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null; // not decodable here: send as a plain file
  }
  const { width: w, height: h } = bitmap;
  let thumbnail: ImageFacts['thumbnail'] = null;
  const scale = Math.min(THUMB_MAX_W / w, THUMB_MAX_H / h);
  if (scale < 1) {
    const tw = Math.max(1, Math.round(w * scale));
    const th = Math.max(1, Math.round(h * scale));
    const canvas = new OffscreenCanvas(tw, th);
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, tw, th);
    thumbnail = { blob: await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.8 }), w: tw, h: th };
  }
  bitmap.close();
  return { w, h, thumbnail };
}
