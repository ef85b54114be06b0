// A stream's latest position, read again only after its table changed. Every /sync asks every
// stream for its position first; a message wakes 50 long-polls, which would each read the same
// MAX() again. storage.tableVersion changes as soon as a write changes the table and again when
// its batch ends, so a value read mid-write (durable state, the older position) is dropped then.
import type { Storage } from '../storage/types.ts';

export class LatestPosition {
  private readonly storage: Storage;
  private readonly table: string;
  private readonly read: () => number;
  private version = -1;
  private value = 0;

  constructor(storage: Storage, table: string, read: () => number) {
    this.storage = storage;
    this.table = table;
    this.read = read;
  }

  get(): number {
    const version = this.storage.tableVersion(this.table);
    if (version !== this.version) {
      this.value = this.read();
      this.version = version;
    }
    return this.value;
  }
}
