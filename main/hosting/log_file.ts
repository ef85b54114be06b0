// The server's log in the data dir: appended line by line, rotated to .1 … .N when it grows past a size.
import fs from 'node:fs';
import path from 'node:path';

export class RotatingLog {
  readonly file: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private size: number;

  constructor(file: string, options: { maxBytes?: number; keep?: number } = {}) {
    this.file = file;
    this.maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
    this.keep = options.keep ?? 3;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      this.size = fs.statSync(file).size;
    } catch {
      this.size = 0;
    }
  }

  write(text: string): void {
    if (!text) return;
    if (this.size > 0 && this.size + Buffer.byteLength(text) > this.maxBytes) this.rotate();
    try {
      fs.appendFileSync(this.file, text, { mode: 0o600 });
      this.size += Buffer.byteLength(text);
    } catch {
      // A full disk must not take hosting down with it; the server keeps serving.
    }
  }

  private rotate(): void {
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        fs.renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      } catch {
        // that generation does not exist yet
      }
    }
    try {
      fs.renameSync(this.file, `${this.file}.1`);
    } catch {
      // nothing to rotate
    }
    fs.rmSync(`${this.file}.${this.keep + 1}`, { force: true });
    this.size = 0;
  }
}
