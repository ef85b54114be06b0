// Storage failures. The HTTP layer answers a StorageError with 500 "storage write failed".

export class StorageError extends Error {}

/** A write that could not be made durable (ENOSPC, EIO, ...); nothing of it was applied. */
export class StorageWriteError extends StorageError {
  readonly code: string | undefined;
  constructor(cause: unknown) {
    const code = (cause as NodeJS.ErrnoException)?.code;
    super(`storage write failed: ${(cause as Error)?.message ?? String(cause)}`);
    this.code = code;
  }
}
