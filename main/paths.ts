// Where the built pieces live, relative to dist/main (also inside the packaged app.asar).
import path from 'node:path';

const here = import.meta.dirname;

export const RENDERER_INDEX = path.join(here, '..', 'renderer', 'index.html');
export const RENDERER_DIR = path.join(here, '..', 'renderer');
export const PRELOAD = path.join(here, 'preload.cjs');
/** The homeserver's utility-process entry (built from server/host_entry.ts). */
export const HOST_ENTRY = path.join(here, '..', 'server', 'host_entry.js');
