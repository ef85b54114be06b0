// Keeps resident memory flat while hundreds of megabytes stream through.
//
// Every socket or file read hands us a fresh 64-256 KB Buffer whose memory lives outside the
// JS heap. V8 only collects those when young-generation GC runs, which the few small JS
// objects per chunk do not trigger, so a 200 MB upload would leave ~60 MB of dead buffers
// resident until V8's external-memory limit forces a collection. A minor (scavenge) GC every
// few megabytes frees them; it takes well under a millisecond on the young generation.
import v8 from 'node:v8';
import vm from 'node:vm';

type GcFunction = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let gc: GcFunction | null = null;
try {
  // Exposes gc() to new contexts only; the server's own global scope is unchanged.
  v8.setFlagsFromString('--expose-gc');
  gc = vm.runInNewContext('gc') as GcFunction;
} catch {
  gc = null; // without it we only lose the memory nudge, never correctness
}

const EVERY_BYTES = 4 * 1024 * 1024;

/** Returns a counter to call with each chunk's size; it runs a minor GC every few MB. */
export function streamingGc(): (bytes: number) => void {
  let sinceLast = 0;
  return (bytes) => {
    sinceLast += bytes;
    if (sinceLast >= EVERY_BYTES) {
      sinceLast = 0;
      gc?.({ type: 'minor' });
    }
  };
}
