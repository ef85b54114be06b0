// Where the built pieces live, relative to dist/main (also inside the packaged app.asar).
import path from 'node:path';

const here = import.meta.dirname;

export const RENDERER_INDEX = path.join(here, '..', 'renderer', 'index.html');
export const PRELOAD = path.join(here, 'preload.cjs');
