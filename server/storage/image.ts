// A database image shared with sql.js instead of copied into it.
//
// sql.js keeps an open database as a file of its in-memory file system (Emscripten MEMFS), whose
// contents are a plain Uint8Array. `new SQL.Database(bytes)` copies the bytes into that file
// unless the array's slice() hands back a view (MEMFS takes `bytes.slice(0, n)` as the file's
// storage on a first write). So we allocate the storage ourselves, with room to grow (untouched
// pages of a large zeroed allocation are never resident), read the snapshot straight into it and
// hand it over: the database then exists once in memory, and a snapshot can be written from the
// same bytes without db.export()'s second copy.
import type { Database, SqlJsStatic } from 'sql.js';

export interface SharedImage {
  db: Database;
  /** The storage handed to sql.js; its first bytes are the database file while `owned` holds. */
  store: Uint8Array;
  /** False if sql.js copied the bytes after all (then the store is not the database). */
  owned: boolean;
}

/** Zeroed storage for an image of `length` bytes plus `headroom` to grow into without a reallocation. */
export function allocateImage(length: number, headroom: number): Uint8Array {
  const room = Math.max(0, Math.floor(headroom));
  if (room > 0) {
    try {
      return new Uint8Array(length + room);
    } catch {
      // address space refused (e.g. strict overcommit): sql.js grows the file itself when needed
    }
  }
  return new Uint8Array(length);
}

/** Opens the first `length` bytes of `store` as a database whose file is `store` itself. */
export function openShared(SQL: SqlJsStatic, store: Uint8Array, length: number): SharedImage {
  const handed = store.subarray(0, length);
  let owned = false;
  Object.defineProperty(handed, 'slice', {
    value(start = 0, end = length) {
      if (start !== 0 || end !== length) return Uint8Array.prototype.slice.call(handed, start, end);
      owned = true;
      return store; // MEMFS keeps its own count of the bytes in use; the rest is room to grow
    },
  });
  const db = new SQL.Database(handed);
  return { db, store, owned };
}

/**
 * The database file's bytes as they are now, as a view of the store, if the store still IS the
 * file: sql.js replaces a file's storage when it outgrows it or is truncated. Proven by a write:
 * a changed header field must show in the store (then it is set back). Null otherwise.
 * Call with no transaction open.
 */
export function liveImage(image: SharedImage): Uint8Array | null {
  const { db, store } = image;
  if (!image.owned) return null;
  const value = (sql: string) => Number(db.exec(sql)[0]!.values[0]![0]);
  const bytes = value('PRAGMA page_count') * value('PRAGMA page_size');
  if (bytes === 0 || bytes > store.length) return null;
  // application_id (header offset 68) is ours to use: nothing else in Meowtrix reads or sets it.
  const view = new DataView(store.buffer, store.byteOffset, store.byteLength);
  const original = value('PRAGMA application_id');
  const probe = (original ^ 0x4d454f57) | 0 || 1;
  db.run(`PRAGMA application_id = ${probe}`);
  const seen = view.getInt32(68);
  db.run(`PRAGMA application_id = ${original}`);
  if (seen !== probe || view.getInt32(68) !== original) return null;
  return store.subarray(0, bytes);
}
