// Values derived from some tables and kept in memory until a write changes one of them.
// storage.tableVersion() changes as soon as a write's statement changes a table and again when its
// batch ends (committed or rolled back), so a value read in the middle of a write is dropped then,
// and a cache is also safe inside writes. Bounded: when full it starts afresh (entries are cheap to
// read again; what matters is that the hot ones are read once per change, not once per request).
import type { Storage } from './types.ts';

export class TableCache<V> {
  private readonly storage: Storage;
  private readonly tables: readonly string[];
  private readonly maxEntries: number;
  private readonly values = new Map<string, V>();
  private readonly versions: number[];

  constructor(storage: Storage, tables: string | readonly string[], maxEntries: number) {
    this.storage = storage;
    this.tables = typeof tables === 'string' ? [tables] : tables;
    this.maxEntries = maxEntries;
    this.versions = this.tables.map(() => -1);
  }

  /** The value kept for `key`, if its tables have not changed since. */
  get(key: string): V | undefined {
    return this.current().get(key);
  }

  set(key: string, value: V): void {
    const values = this.current();
    if (values.size >= this.maxEntries && !values.has(key)) values.clear();
    values.set(key, value);
  }

  /** The kept value, or `load()`'s, kept unless it is undefined. */
  getOrLoad(key: string, load: () => V): V {
    let value = this.get(key);
    if (value === undefined) {
      value = load();
      if (value !== undefined) this.set(key, value);
    }
    return value;
  }

  /** The map of kept values, emptied first if one of the tables changed. */
  private current(): Map<string, V> {
    const { tables, versions } = this;
    let changed = false;
    for (let i = 0; i < tables.length; i++) {
      const version = this.storage.tableVersion(tables[i]!);
      if (version !== versions[i]) {
        versions[i] = version;
        changed = true;
      }
    }
    if (changed) this.values.clear();
    return this.values;
  }
}
